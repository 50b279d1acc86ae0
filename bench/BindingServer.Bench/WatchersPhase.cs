using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace BindingServer.Bench;

/// <summary>
/// What open watches cost the server, on the SQLite file store (issue 16): the memory of many idle watches and of
/// their delivering a burst of writes; then one watcher that never reads while many objects are written, against the
/// same writes with no watcher at all.
/// </summary>
internal static class WatchersPhase
{
    private const string Bindings = ThroughputPhase.Bindings;

    public static async Task RunAsync(Options options, Report report)
    {
        await ManyWatchersAsync(options, report);

        // The same writes twice, each on a fresh server: first with nobody watching, as the reference peak.
        var alone = await WritesAsync(options, stall: false);
        var stalled = await WritesAsync(options, stall: true);
        var objects = $"{options.Objects:N0}";
        report.Watch($"writing {objects} objects, no watcher: peak RSS (final)", alone.Peak, $"{alone.Peak:F0} MiB ({alone.Final:F0} MiB)");
        report.Watch($"writing {objects} objects, one stalled watcher: peak RSS (final)", stalled.Peak, $"{stalled.Peak:F0} MiB ({stalled.Final:F0} MiB)");
        report.Watch("peak RSS, stalled watcher ÷ no watcher", stalled.Peak / alone.Peak, $"{stalled.Peak / alone.Peak:F2}×");
        var ending = stalled.Ending!;
        report.Watch("stalled watch ended by the server",
            ending.Ended
                ? $"yes: once read, it gave {ending.Events:N0} of the {objects} events, then the end of the response"
                : $"no: still open {ending.Waited.TotalSeconds:F0} s after the writes, {ending.Events:N0} events read meanwhile");
        if (!ending.Ended)
        {
            report.Fail("watchers: the server did not end the stalled watch");
        }

        Console.WriteLine($"writes of {objects} objects: {alone.Seconds:F1} s with no watcher, {stalled.Seconds:F1} s with the stalled one");
    }

    /// <summary>RSS when ready, with the watches open and idle, and after each received every write of one burst.</summary>
    private static async Task ManyWatchersAsync(Options options, Report report)
    {
        var (count, events) = (options.WatchCount, options.WatchEvents);
        var data = Target.Fresh();
        try
        {
            await using var server = await Target.StartServerAsync(options, inMemory: false, data);
            var ready = server.RssMiB();
            report.Watch("RSS when ready (fresh file store)", ready, $"{ready:F0} MiB");

            // One connection per watch, as separate clients would have.
            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = count + 10 };
            using var client = new HttpClient(handler) { BaseAddress = server.Address, Timeout = Timeout.InfiniteTimeSpan };
            var revision = await RevisionAsync(client, CancellationToken.None);
            var prefix = "watch-" + Guid.NewGuid().ToString("N")[..8];

            // Opened 50 at a time: a thousand connects at once overflow Kestrel's accept backlog and wait for SYN retries.
            using var opening = new SemaphoreSlim(50);
            var responses = await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
            {
                await opening.WaitAsync();
                try
                {
                    var response = await client.GetAsync($"{Bindings}?watch=true&resourceVersion={revision}", HttpCompletionOption.ResponseHeadersRead);
                    return response.EnsureSuccessStatusCode();
                }
                finally
                {
                    opening.Release();
                }
            }));

            var pending = count;
            var endedEarly = 0;
            var received = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var stop = new CancellationTokenSource();
            var readers = responses.Select(response => Task.Run(async () =>
            {
                using var lines = new StreamReader(await response.Content.ReadAsStreamAsync(stop.Token));
                var seen = 0;
                while (await lines.ReadLineAsync(stop.Token) is { } line)
                {
                    if (line.StartsWith("""{"type":"ADDED""", StringComparison.Ordinal) && line.Contains(prefix, StringComparison.Ordinal) &&
                        ++seen == events && Interlocked.Decrement(ref pending) == 0)
                    {
                        received.TrySetResult();
                    }
                }

                // The stream ended before the phase did: the server gave up on this watcher.
                if (seen < events)
                {
                    Interlocked.Increment(ref endedEarly);
                    received.TrySetException(new InvalidOperationException($"a watch ended after {seen} of {events} events"));
                }
            })).ToList();

            try
            {
                var idle = server.RssMiB();
                var perWatch = (idle - ready) * 1024 / count;
                report.Watch($"RSS with {count:N0} idle watches open", idle, $"{idle:F0} MiB");
                report.Watch("memory per idle watch ((with − ready) ÷ watches)", $"{perWatch:F0} KiB");

                var clock = Stopwatch.StartNew();
                await Fixtures.LoadBindingsAsync(client, prefix, 0, events);
                await received.Task.WaitAsync(TimeSpan.FromMinutes(options.Smoke ? 1 : 10));
                var delivered = server.RssMiB();
                report.Watch($"RSS after each of the {count:N0} watches received {events:N0} ADDED events", delivered, $"{delivered:F0} MiB");
                report.Note($"watchers: {count:N0} × {events:N0} events delivered {clock.Elapsed.TotalSeconds:F1} s after the fixtures request was sent");
            }
            finally
            {
                await stop.CancelAsync();
                foreach (var response in responses)
                {
                    response.Dispose();
                }

                await Task.WhenAll(readers.Select(r => r.ContinueWith(_ => { }, TaskScheduler.Default)));
            }
        }
        finally
        {
            ThroughputPhase.DeleteFolder(data);
        }
    }

    private sealed record Writes(double Peak, double Final, double Seconds, StalledWatch.Ending? Ending);

    /// <summary>
    /// Writes <c>--objects</c> ClusterRoleBindings (fixtures, lists of 5,000) to a fresh server, sampling its RSS every
    /// second; with <paramref name="stall"/>, a watch that never reads is open throughout, and is read to its end after.
    /// </summary>
    private static async Task<Writes> WritesAsync(Options options, bool stall)
    {
        // In smoke, a buffer of 100 changes lets a few thousand writes overflow it, as 100,000 overflow the default 10,000.
        string[] settings = options.Smoke ? ["--Store:WatchBufferSize=100"] : [];
        var data = Target.Fresh();
        try
        {
            await using var server = await Target.StartServerAsync(options, inMemory: false, data, settings);
            using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromMinutes(5) };
            using var watch = stall
                ? await StalledWatch.OpenAsync(server.Address, $"{Bindings}?watch=true&resourceVersion={await RevisionAsync(client, CancellationToken.None)}")
                : null;

            IReadOnlyList<RssSample> samples;
            var clock = Stopwatch.StartNew();
            await using (var sampler = RssSampler.Start(server, TimeSpan.FromSeconds(1)))
            {
                await Fixtures.LoadBindingsAsync(client, stall ? "stalled" : "alone", 0, options.Objects);
                samples = await sampler.StopAsync();
            }

            var seconds = clock.Elapsed.TotalSeconds;
            var ending = watch is null ? null : await watch.ReadToEndAsync(TimeSpan.FromSeconds(options.Smoke ? 10 : 120));
            return new Writes(samples.Max(s => s.MiB), samples[^1].MiB, seconds, ending);
        }
        finally
        {
            ThroughputPhase.DeleteFolder(data);
        }
    }

    /// <summary>The store's current revision, from a list of one.</summary>
    public static async Task<string> RevisionAsync(HttpClient client, CancellationToken cancellationToken)
    {
        var list = JsonNode.Parse(await client.GetStringAsync(Bindings + "?limit=1", cancellationToken))!;
        return list["metadata"]!["resourceVersion"]!.GetValue<string>();
    }
}

/// <summary>
/// A watch over a raw socket whose client reads the response headers and then nothing, so the server's socket buffer
/// and Kestrel's output fill and every further event waits in the server.
/// </summary>
internal sealed class StalledWatch : IDisposable
{
    private static readonly byte[] Added = """"type":"ADDED""""u8.ToArray();

    private readonly Socket _socket;
    private readonly List<byte> _pending;

    private StalledWatch(Socket socket, List<byte> pending)
    {
        _socket = socket;
        _pending = pending;
    }

    /// <summary>How the watch ended once read: whether the server closed it, and the events it still delivered.</summary>
    public sealed record Ending(bool Ended, long Events, TimeSpan Waited);

    public static async Task<StalledWatch> OpenAsync(Uri server, string pathAndQuery)
    {
        // A small receive window: the stall shows after a few events rather than after megabytes of kernel buffers
        // (set before connecting, so the window is negotiated with it).
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        try
        {
            await socket.ConnectAsync(server.Host, server.Port);
            // Connection: close, so the end of the response is the end of the connection.
            var request = $"GET /{pathAndQuery} HTTP/1.1\r\nHost: {server.Authority}\r\nAccept: application/json\r\nConnection: close\r\n\r\n";
            await socket.SendAsync(Encoding.ASCII.GetBytes(request));

            // The headers only (the server flushes them at once), to know the watch is open before the writes start.
            var received = new List<byte>();
            var buffer = new byte[4096];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            int end;
            while ((end = IndexOf(received, "\r\n\r\n"u8)) < 0)
            {
                var n = await socket.ReceiveAsync(buffer, timeout.Token);
                if (n == 0)
                {
                    throw new IOException("the watch closed before its headers");
                }

                received.AddRange(buffer.AsSpan(0, n));
            }

            var head = Encoding.ASCII.GetString([.. received[..end]]);
            if (!head.StartsWith("HTTP/1.1 200", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"the stalled watch was not opened: {head.Split('\n')[0].Trim()}");
            }

            return new StalledWatch(socket, received[(end + 4)..]);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads until the server closes the connection (or resets it), counting the ADDED events that arrive; not ended
    /// when <paramref name="timeout"/> passes first.
    /// </summary>
    public async Task<Ending> ReadToEndAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        var buffer = new byte[64 * 1024];
        var window = new List<byte>(_pending);
        long events = 0;
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                // A marker may straddle two reads, so the window keeps the last read's tail, too short to hold a whole one.
                var all = window.ToArray();
                events += Occurrences(all);
                window = [.. all[^Math.Min(Added.Length - 1, all.Length)..]];
                var n = await _socket.ReceiveAsync(buffer, deadline.Token);
                if (n == 0)
                {
                    return new Ending(true, events, clock.Elapsed);
                }

                window.AddRange(buffer.AsSpan(0, n));
            }
        }
        catch (SocketException)
        {
            return new Ending(true, events, clock.Elapsed);
        }
        catch (OperationCanceledException)
        {
            return new Ending(false, events, clock.Elapsed);
        }
    }

    private static int Occurrences(ReadOnlySpan<byte> text)
    {
        var count = 0;
        for (int at; (at = text.IndexOf(Added)) >= 0; text = text[(at + Added.Length)..])
        {
            count++;
        }

        return count;
    }

    private static int IndexOf(List<byte> bytes, ReadOnlySpan<byte> pattern) => bytes.ToArray().AsSpan().IndexOf(pattern);

    public void Dispose() => _socket.Dispose();
}
