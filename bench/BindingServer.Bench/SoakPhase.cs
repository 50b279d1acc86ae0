using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace BindingServer.Bench;

/// <summary>
/// A long steady load on the SQLite file store (issue 16): the soak mix of reads, creates and deletes, with watchers
/// that keep reading and watch again when their stream ends, while the server's RSS is sampled. Whether memory stays
/// flat is for the reader of the figures to judge.
/// </summary>
internal static partial class SoakPhase
{
    private const string Bindings = ThroughputPhase.Bindings;

    public static async Task RunAsync(Options options, LoadGenerator load, Report report)
    {
        var seconds = options.SoakSeconds;
        var data = Target.Fresh();
        try
        {
            await using var server = await Target.StartServerAsync(options, inMemory: false, data);
            using var client = new HttpClient { BaseAddress = server.Address };
            await Fixtures.LoadBindingsAsync(client, "soak", 0, options.Bindings);

            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = options.SoakWatchers + 10 };
            using var watchClient = new HttpClient(handler) { BaseAddress = server.Address, Timeout = Timeout.InfiniteTimeSpan };
            var watchers = new Watchers(watchClient, options.SoakWatchers, options.Smoke);
            using var stop = new CancellationTokenSource();
            var loops = Enumerable.Range(0, options.SoakWatchers).Select(_ => watchers.RunAsync(stop.Token)).ToList();
            IReadOnlyList<RssSample> samples;
            LoadResult result;
            try
            {
                await watchers.AllOpen.WaitAsync(TimeSpan.FromSeconds(30));
                var before = server.RssMiB();
                report.Watch($"soak: RSS before the load ({options.Bindings:N0} objects, {options.SoakWatchers} watches open)", before, $"{before:F0} MiB");
                Console.WriteLine($"soak: {seconds} s of load with {options.SoakWatchers} watchers");

                await using var sampler = RssSampler.Start(server, TimeSpan.FromSeconds(options.Smoke ? 1 : 10));
                result = await load.RunOnceAsync(new Load(server.Address, MixedGet: $"soak-{options.Bindings / 2}"), seconds);
                samples = await sampler.StopAsync();
            }
            finally
            {
                await stop.CancelAsync();
                await Task.WhenAll(loops);
            }

            report.LoadPhase($"soak: mixed GET, LIST limit=100, POST, DELETE for {Duration(seconds)}, {options.SoakWatchers} watchers", result);
            report.Watch("soak: requests per second (non-2xx of all)", result.RequestsPerSecond,
                $"{result.RequestsPerSecond:N0} req/s ({result.Non2xx:N0} of {result.Requests:N0})");
            report.Watch($"soak: watch events received by the {options.SoakWatchers} watchers", watchers.Events, $"{watchers.Events:N0}");
            report.Watch("soak: watch restarts (of which after a 410 Expired; failed watch requests)",
                $"{watchers.Restarts:N0} ({watchers.Expired:N0}; {watchers.Errors:N0})");

            // "Minute 1" in a real soak; in a short one, a fifth of the way.
            var early = Math.Min(60, seconds / 5.0);
            var atEarly = samples.FirstOrDefault(s => s.Seconds >= early, samples[^1]);
            report.Watch(early >= 60 ? "soak: RSS at minute 1" : $"soak: RSS at {atEarly.Seconds:F0} s", atEarly.MiB, $"{atEarly.MiB:F0} MiB");
            report.Watch("soak: RSS at the end", samples[^1].MiB, $"{samples[^1].MiB:F0} MiB");
            var max = samples.MaxBy(s => s.MiB);
            report.Watch("soak: RSS max", max.MiB, $"{max.MiB:F0} MiB (at {max.Seconds:F0} s)");
            var slope = RssSampler.SlopePerMinute(samples, seconds / 2.0);
            report.Watch("soak: RSS slope over the last half (least squares)", $"{slope:+0.00;-0.00;0.00} MiB/min");
            foreach (var error in watchers.ErrorTexts)
            {
                report.Note($"soak: a failed watch request: {error}");
            }

            report.Note($"soak RSS samples (s: MiB): {string.Join(", ", samples.Select(s => $"{s.Seconds:F0}: {s.MiB:F0}"))}");
            if (watchers.Events == 0)
            {
                report.Fail("soak: the watchers received no event");
            }
        }
        finally
        {
            ThroughputPhase.DeleteFolder(data);
        }
    }

    private static string Duration(int seconds) => seconds % 60 == 0 ? $"{seconds / 60} min" : $"{seconds} s";

    /// <summary>
    /// Watchers as a controller's informer keeps one: read every event, remember the last resourceVersion, and watch
    /// again from it when the stream ends (after a 410 Expired, from the current revision, as after a new list).
    /// </summary>
    private sealed class Watchers(HttpClient client, int count, bool smoke)
    {
        private readonly TaskCompletionSource _allOpen = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _open;
        private long _events;
        private long _restarts;
        private long _expired;
        private readonly ConcurrentQueue<string> _errorTexts = new();
        private long _errors;

        public long Events => Interlocked.Read(ref _events);
        public long Restarts => Interlocked.Read(ref _restarts);
        public long Expired => Interlocked.Read(ref _expired);
        public long Errors => Interlocked.Read(ref _errors);

        /// <summary>What the first few failed watch requests threw, so a failure can be told from a client's hiccup.</summary>
        public IEnumerable<string> ErrorTexts => _errorTexts;

        /// <summary>Done when every watcher's first watch has answered its headers.</summary>
        public Task AllOpen => _allOpen.Task;

        public async Task RunAsync(CancellationToken stop)
        {
            var first = true;
            try
            {
                var revision = await WatchersPhase.RevisionAsync(client, stop);
                while (!stop.IsCancellationRequested)
                {
                    // Streams end at timeoutSeconds as client-go's reflector asks (there 5–10 min), shorter here so a
                    // soak sees many restarts; each restart subscribes again and must leave nothing behind.
                    var timeout = smoke ? Random.Shared.Next(1, 3) : Random.Shared.Next(30, 91);
                    try
                    {
                        using var response = await client.GetAsync($"{Bindings}?watch=true&resourceVersion={revision}&timeoutSeconds={timeout}",
                            HttpCompletionOption.ResponseHeadersRead, stop);
                        response.EnsureSuccessStatusCode();
                        if (first)
                        {
                            first = false;
                            if (Interlocked.Increment(ref _open) == count)
                            {
                                _allOpen.TrySetResult();
                            }
                        }

                        using var lines = new StreamReader(await response.Content.ReadAsStreamAsync(stop));
                        while (await lines.ReadLineAsync(stop) is { } line)
                        {
                            if (line.StartsWith("""{"type":"ERROR""", StringComparison.Ordinal))
                            {
                                Interlocked.Increment(ref _expired);
                                revision = await WatchersPhase.RevisionAsync(client, stop);
                                break;
                            }

                            Interlocked.Increment(ref _events);
                            if (ResourceVersion().Match(line) is { Success: true } match)
                            {
                                revision = match.Groups[1].Value;
                            }
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or IOException && !stop.IsCancellationRequested)
                    {
                        if (Interlocked.Increment(ref _errors) <= 5)
                        {
                            _errorTexts.Enqueue($"{e.GetType().Name}: {e.Message}" + (e.InnerException is { } inner ? $" ({inner.GetType().Name}: {inner.Message})" : ""));
                        }

                        await Task.Delay(TimeSpan.FromMilliseconds(100), stop);
                    }

                    if (!stop.IsCancellationRequested)
                    {
                        Interlocked.Increment(ref _restarts);
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // The soak is over.
            }
        }
    }

    /// <summary>The first resourceVersion of an event line: its object's (metadata comes before anything else that has one).</summary>
    [GeneratedRegex("\"resourceVersion\":\"(\\d+)\"")]
    private static partial Regex ResourceVersion();
}
