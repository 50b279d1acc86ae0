using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;

namespace BindingServer.Bench;

/// <summary>
/// What one load phase sends: a GET of <see cref="Url"/>, or a POST creating a new ClusterRoleBinding per request; or,
/// with <see cref="MixedGet"/>, the soak mix against the server at <see cref="Url"/> (see soak.lua), whose GETs read
/// the ClusterRoleBinding of that name.
/// </summary>
internal sealed record Load(Uri Url, bool Post = false, string? Header = null, string? MixedGet = null);

/// <summary>What one load phase measured.</summary>
/// <remarks><see cref="SocketErrorKinds"/>: wrk's split of the socket errors (a timeout is a request unanswered after 2 s).</remarks>
internal sealed record LoadResult(double RequestsPerSecond, double P50Ms, double P99Ms, long Requests, long Non2xx, long SocketErrors, string? SocketErrorKinds = null)
{
    /// <summary>A number came out and every answer was a 2xx.</summary>
    public bool Ok => Requests > 0 && RequestsPerSecond > 0 && !double.IsNaN(P50Ms) && !double.IsNaN(P99Ms) && Non2xx == 0;
}

/// <summary>
/// Closed-loop load: <c>wrk -t2 -c16 -d&lt;N&gt;s --latency</c> when wrk is installed, otherwise as many HttpClient loops as
/// connections, each sending its next request when the last one answered (the same model, with a heavier client).
/// </summary>
internal sealed partial class LoadGenerator(Options options)
{
    private static readonly string Script = Path.Combine(AppContext.BaseDirectory, "create-binding.lua");
    private static readonly string SoakScript = Path.Combine(AppContext.BaseDirectory, "soak.lua");

    public string Description => options.Wrk is { } wrk
        ? $"wrk ({wrk}) -t{options.Threads} -c{options.Connections} --latency, {options.Duration} s per phase after {options.Warmup} s of warm-up"
        : $"no wrk (not on PATH, or --wrk none): in-process closed-loop HttpClient generator, {options.Connections} connections, {options.Duration} s per phase " +
          $"after {options.Warmup} s of warm-up (install wrk for figures comparable with docs/benchmarks.md)";

    /// <summary>Warms the target (JIT, caches, connection pools), then measures.</summary>
    public async Task<LoadResult> RunAsync(Load load)
    {
        if (options.Warmup > 0)
        {
            await RunOnceAsync(load, options.Warmup);
        }

        return await RunOnceAsync(load, options.Duration);
    }

    /// <summary>One run of <paramref name="seconds"/>, no warm-up (the soak's single long run).</summary>
    public Task<LoadResult> RunOnceAsync(Load load, int seconds) =>
        options.Wrk is { } wrk ? RunWrkAsync(wrk, load, seconds) : RunInProcessAsync(load, seconds);

    private async Task<LoadResult> RunWrkAsync(string wrk, Load load, int seconds)
    {
        var start = new ProcessStartInfo(wrk) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])[$"-t{options.Threads}", $"-c{options.Connections}", $"-d{seconds}s", "--latency"])
        {
            start.ArgumentList.Add(argument);
        }

        if (load.Header is { } header)
        {
            start.ArgumentList.Add("-H");
            start.ArgumentList.Add(header);
        }

        if (load.Post || load.MixedGet is not null)
        {
            start.ArgumentList.Add("-s");
            start.ArgumentList.Add(load.Post ? Script : SoakScript);
        }

        start.ArgumentList.Add(load.Url.ToString());
        if (load.Post || load.MixedGet is not null)
        {
            start.ArgumentList.Add("--");
            start.ArgumentList.Add(UniquePrefix());
        }

        if (load.MixedGet is { } name)
        {
            start.ArgumentList.Add(name);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var text = await output;
        return process.ExitCode == 0
            ? ParseWrk(text)
            : throw new InvalidOperationException($"wrk failed ({process.ExitCode}): {text}{await errors}");
    }

    /// <summary>Reads wrk's summary: Requests/sec, the 50% and 99% lines of --latency, and the error counts.</summary>
    internal static LoadResult ParseWrk(string text)
    {
        double Number(Regex pattern) => pattern.Match(text) is { Success: true } m ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        double Percentile(string percent)
        {
            var m = Regex.Match(text, $@"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", RegexOptions.Multiline);
            if (!m.Success)
            {
                return double.NaN;
            }

            var value = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            return value * m.Groups[2].Value switch { "us" => 0.001, "ms" => 1, "s" => 1000, _ => 60_000 };
        }

        var socket = SocketErrors().Match(text);
        var socketErrors = socket.Success ? Enumerable.Range(1, 4).Sum(i => long.Parse(socket.Groups[i].Value)) : 0;
        return new LoadResult(Number(RequestsPerSecond()), Percentile("50"), Percentile("99"), (long)Number(RequestCount()),
            (long)Number(Non2xx()), socketErrors, socket.Success ? socket.Value["Socket errors: ".Length..] : null);
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex RequestCount();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex Non2xx();

    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex SocketErrors();

    /// <summary>The fallback: one loop per connection, each waiting for its answer before sending again.</summary>
    private async Task<LoadResult> RunInProcessAsync(Load load, int seconds)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = options.Connections, UseCookies = false };
        using var client = new HttpClient(handler);
        var prefix = UniquePrefix();
        var latencies = new List<double>[options.Connections];
        long non2xx = 0;
        long errors = 0;
        var clock = Stopwatch.StartNew();
        var end = TimeSpan.FromSeconds(seconds);
        await Task.WhenAll(Enumerable.Range(0, options.Connections).Select(async worker =>
        {
            var mine = latencies[worker] = [];
            var created = new Queue<string>();
            for (var n = 0; clock.Elapsed < end; n++)
            {
                var fresh = $"{prefix}-{worker}-{n}";
                var (method, url, name) = load.MixedGet is { } one
                    ? Mixed(load.Url, one, n, created, fresh)
                    : (load.Post ? HttpMethod.Post : HttpMethod.Get, load.Url, fresh);
                using var request = new HttpRequestMessage(method, url);
                if (load.Header is { } header)
                {
                    request.Headers.TryAddWithoutValidation(header[..header.IndexOf(':', StringComparison.Ordinal)], header[(header.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim());
                }

                if (method == HttpMethod.Post)
                {
                    request.Content = new StringContent(
                        $$$"""{"metadata":{"name":"{{{name}}}"},"subjects":[{"kind":"User","name":"u{{{name}}}"}],"roleRef":{"kind":"ClusterRole","name":"view"}}""",
                        Encoding.UTF8);
                    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                }

                var sent = clock.Elapsed;
                try
                {
                    using var response = await client.SendAsync(request);
                    await response.Content.CopyToAsync(Stream.Null);
                    mine.Add((clock.Elapsed - sent).TotalMilliseconds);
                    if (!response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref non2xx);
                    }
                    else if (method == HttpMethod.Post && load.MixedGet is not null)
                    {
                        created.Enqueue(name);
                    }
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        }));
        var elapsed = clock.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToList();
        return new LoadResult(all.Count / elapsed, Stats.Percentile(all, 50), Stats.Percentile(all, 99), all.Count, non2xx, errors);
    }

    /// <summary>
    /// The soak mix of soak.lua, by the request's number on its connection: of every 20, 2 creates, 2 deletes of what
    /// this connection created (a GET of one when there is none yet), 6 lists of 100 and 10 GETs of one.
    /// </summary>
    private static (HttpMethod Method, Uri Url, string Name) Mixed(Uri server, string one, int n, Queue<string> created, string name)
    {
        const string bindings = ThroughputPhase.Bindings;
        return (n % 20) switch
        {
            < 2 => (HttpMethod.Post, new Uri(server, bindings), name),
            < 4 when created.TryDequeue(out var old) => (HttpMethod.Delete, new Uri(server, $"{bindings}/{old}"), old),
            >= 4 and < 10 => (HttpMethod.Get, new Uri(server, $"{bindings}?limit=100"), name),
            _ => (HttpMethod.Get, new Uri(server, $"{bindings}/{one}"), name),
        };
    }

    /// <summary>Names of created bindings differ between runs (warm-up and measurement), so every POST is a create.</summary>
    private static string UniquePrefix() => "bench-" + Guid.NewGuid().ToString("N")[..8];
}

internal static class Stats
{
    /// <summary>The nearest-rank percentile of sorted samples (NaN when there are none).</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double percent) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(percent / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];

    public static double Median(IEnumerable<double> samples) => Percentile(samples.Order().ToList(), 50);
}
