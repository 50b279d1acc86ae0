using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace BindingServer.Bench;

/// <summary>
/// How the server holds up with many objects, on the SQLite file store: memory, a page of 500, a restart, and the
/// delay from one write to 100 watchers.
/// </summary>
internal static partial class ScalePhase
{
    private const string Bindings = ThroughputPhase.Bindings;

    public static async Task RunAsync(Options options, Report report)
    {
        var data = Target.Fresh();
        var (all, tenth) = (options.Objects, options.Objects / 10);
        try
        {
            await using (var server = await Target.StartServerAsync(options, inMemory: false, data))
            {
                // Read at once: what a user's machine gives the server before any request.
                var rss = server.RssMiB();
                report.Scale("RSS when ready (fresh file store)", rss, $"{rss:F0} MiB", "≤ 100 MiB");
                using var client = new HttpClient { BaseAddress = server.Address };
                var clock = Stopwatch.StartNew();
                await Fixtures.LoadBindingsAsync(client, "scale", 0, tenth);
                var (p50, p99) = await PageAsync(client, options.Samples);
                report.Scale($"one page of 500 from {tenth:N0} objects: p50 (p99)", p50, $"{Report.Ms(p50)} ({Report.Ms(p99)})", "p50 ≤ 10 ms");

                await Fixtures.LoadBindingsAsync(client, "scale", tenth, all - tenth);
                Console.WriteLine($"loaded {all:N0} ClusterRoleBindings through /_bindingserver/fixtures in {clock.Elapsed.TotalSeconds:F1} s (with the page samples)");
                (p50, p99) = await PageAsync(client, options.Samples);
                report.Scale($"one page of 500 from {all:N0} objects: p50 (p99)", p50, $"{Report.Ms(p50)} ({Report.Ms(p99)})", "p50 ≤ 10 ms");
                rss = server.RssMiB();
                report.Scale($"RSS with {all:N0} objects", rss, $"{rss:F0} MiB", "≤ 300 MiB");
            }

            await using var again = await Target.StartServerAsync(options, inMemory: false, data);
            using var http = new HttpClient();
            var answered = await again.FirstOkAsync(http, Bindings + "?limit=500");
            report.Scale($"restart with {all:N0} objects: process start to ready line", again.ToReady.TotalMilliseconds, Report.Ms(again.ToReady.TotalMilliseconds), "< 1,000 ms");
            report.Scale("restart: process start to first answered list (limit=500)", answered.TotalMilliseconds, Report.Ms(answered.TotalMilliseconds), "–");
            var restartedRss = again.RssMiB();
            report.Scale($"RSS after the restart with {all:N0} objects", restartedRss, $"{restartedRss:F0} MiB", "–");

            var delays = await WatchDelaysAsync(again.Address, again.Address, options.Watchers, options.Rounds);
            report.Scale($"{options.Watchers} watchers receiving one write: p50 (p99) of {delays.Count:N0} deliveries",
                Stats.Percentile(delays, 99), $"{Report.Ms(Stats.Percentile(delays, 50))} ({Report.Ms(Stats.Percentile(delays, 99))})", "p99 ≤ 20 ms");
        }
        finally
        {
            ThroughputPhase.DeleteFolder(data);
        }
    }

    /// <summary>Sequential GETs of the first page of 500 on one connection, after a few to warm up; p50 and p99 in ms.</summary>
    private static async Task<(double P50, double P99)> PageAsync(HttpClient client, int samples)
    {
        var times = new List<double>();
        for (var i = -Math.Max(samples / 10, 1); i < samples; i++)
        {
            var clock = Stopwatch.StartNew();
            using var response = await client.GetAsync(Bindings + "?limit=500");
            await response.Content.CopyToAsync(Stream.Null);
            response.EnsureSuccessStatusCode();
            if (i >= 0)
            {
                times.Add(clock.Elapsed.TotalMilliseconds);
            }
        }

        times.Sort();
        return (Stats.Percentile(times, 50), Stats.Percentile(times, 99));
    }

    /// <summary>
    /// Opens the watches on <paramref name="watchOn"/> from its current revision, then creates one binding per round on
    /// <paramref name="writeTo"/> (the same server, or another replica) and takes, for every watcher, the time from just
    /// before the POST to the arrival of its ADDED line. Sorted, in ms. <paramref name="answered"/>, when given, gets each
    /// counted POST's own time to its answer, the part of the delay that is the write itself.
    /// </summary>
    public static async Task<List<double>> WatchDelaysAsync(Uri writeTo, Uri watchOn, int watchers, int rounds, List<double>? answered = null)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = watchers + 1 };
        using var client = new HttpClient(handler) { BaseAddress = watchOn, Timeout = Timeout.InfiniteTimeSpan };
        var create = new Uri(writeTo, Bindings).ToString();
        var list = JsonNode.Parse(await client.GetStringAsync(Bindings + "?limit=1"))!;
        var revision = list["metadata"]!["resourceVersion"]!.GetValue<string>();
        var prefix = "watch-" + Guid.NewGuid().ToString("N")[..8];

        // One more write than asked, first and not counted: its delivery runs the watch path for the first time (JIT).
        rounds++;
        var arrivals = new long[rounds, watchers];
        var pending = Enumerable.Repeat(watchers, rounds).ToArray();
        var delivered = Enumerable.Range(0, rounds).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        using var stop = new CancellationTokenSource();
        var streams = await Task.WhenAll(Enumerable.Range(0, watchers).Select(async _ =>
        {
            var response = await client.GetAsync($"{Bindings}?watch=true&resourceVersion={revision}", HttpCompletionOption.ResponseHeadersRead);
            return response.EnsureSuccessStatusCode();
        }));
        var readers = streams.Select((response, watcher) => Task.Run(async () =>
        {
            using var lines = new StreamReader(await response.Content.ReadAsStreamAsync(stop.Token));
            while (await lines.ReadLineAsync(stop.Token) is { } line)
            {
                var arrived = Stopwatch.GetTimestamp();
                if (AddedName().Match(line) is { Success: true } match && match.Groups[1].Value == prefix)
                {
                    var round = int.Parse(match.Groups[2].Value);
                    arrivals[round, watcher] = arrived;
                    if (Interlocked.Decrement(ref pending[round]) == 0)
                    {
                        delivered[round].TrySetResult();
                    }
                }
            }
        })).ToList();

        var delays = new List<double>();
        try
        {
            for (var round = 0; round < rounds; round++)
            {
                var before = Stopwatch.GetTimestamp();
                await ThroughputPhase.PostJsonAsync(client, create,
                    $$$"""{"metadata":{"name":"{{{prefix}}}-{{{round}}}"},"subjects":[{"kind":"User","name":"w{{{round}}}"}],"roleRef":{"kind":"ClusterRole","name":"view"}}""");
                if (round > 0)
                {
                    answered?.Add(Stopwatch.GetElapsedTime(before).TotalMilliseconds);
                }

                await delivered[round].Task.WaitAsync(TimeSpan.FromSeconds(10));
                for (var watcher = 0; watcher < watchers && round > 0; watcher++)
                {
                    delays.Add(Stopwatch.GetElapsedTime(before, arrivals[round, watcher]).TotalMilliseconds);
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
            foreach (var response in streams)
            {
                response.Dispose();
            }

            await Task.WhenAll(readers.Select(r => r.ContinueWith(_ => { }, TaskScheduler.Default)));
        }

        delays.Sort();
        return delays;
    }

    /// <summary>An ADDED event's object name (the metadata name comes first in the object): prefix and round.</summary>
    [GeneratedRegex("""^\{"type":"ADDED","object":\{.*?"metadata":\{"name":"(watch-[0-9a-f]{8})-(\d+)""")]
    private static partial Regex AddedName();
}
