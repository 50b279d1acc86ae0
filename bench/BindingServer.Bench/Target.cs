using System.Diagnostics;
using System.Text;

namespace BindingServer.Bench;

/// <summary>
/// A process under test (the server or the baseline app), started with <c>dotnet app.dll</c> and found ready by the
/// line it prints. The clock starts just before the process does, so start-up figures are what a user waits.
/// </summary>
internal sealed class Target : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _errors = new();
    private readonly Queue<string> _output = new();

    private Target(Process process, Stopwatch clock)
    {
        _process = process;
        Clock = clock;
    }

    /// <summary>Running since just before the process started.</summary>
    public Stopwatch Clock { get; }

    public Uri Address { get; private set; } = null!;

    /// <summary>
    /// What the process wrote: standard error, then the last lines of standard output after the ready line (the server's
    /// log, warnings and errors only), for a phase that got error answers to show why.
    /// </summary>
    public string Log
    {
        get
        {
            lock (_output)
            {
                lock (_errors)
                {
                    return _errors + string.Join(Environment.NewLine, _output);
                }
            }
        }
    }

    /// <summary>Process start to the ready line.</summary>
    public TimeSpan ToReady { get; private set; }

    /// <summary>
    /// The server (<c>--server</c>) on <paramref name="dataPath"/>, which the caller deletes afterwards;
    /// <paramref name="settings"/> are more of its command-line settings (<c>--Section:Key=value</c>).
    /// </summary>
    public static Task<Target> StartServerAsync(Options options, bool inMemory, string dataPath, params string[] settings) =>
        StartAsync(options.Server, "BindingServer ready: ",
        [
            "--Server:Port=0", $"--Store:InMemory={inMemory}", $"--Store:DataPath={dataPath}", "--Serilog:MinimumLevel:Default=Warning",
            .. settings,
        ]);

    /// <summary>The baseline app; <paramref name="rows"/> 0 is the bare app without a database.</summary>
    public static Task<Target> StartBaselineAsync(Options options, int rows) =>
        StartAsync(options.Baseline, "Baseline ready: ", "--rows", rows.ToString());

    /// <summary>A new, not yet created data folder under the temporary folder.</summary>
    public static string Fresh() => Path.Combine(Path.GetTempPath(), "bindingserver-bench-" + Guid.NewGuid().ToString("N"));

    private static async Task<Target> StartAsync(string dll, string readyPrefix, params string[] arguments)
    {
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"build it first: {dll}");
        }

        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var clock = Stopwatch.StartNew();
        var target = new Target(Process.Start(start)!, clock);
        target._process.ErrorDataReceived += (_, line) =>
        {
            lock (target._errors)
            {
                target._errors.AppendLine(line.Data);
            }
        };
        target._process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await target._process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith(readyPrefix, StringComparison.Ordinal))
            {
                target.ToReady = clock.Elapsed;
                target.Address = new Uri(line[readyPrefix.Length..].Trim().TrimEnd('/') + "/");
                _ = target.KeepOutputAsync(); // keep the pipe drained
                return target;
            }
        }

        await target._process.WaitForExitAsync(timeout.Token);
        throw new InvalidOperationException($"{Path.GetFileName(dll)} exited ({target._process.ExitCode}) before it was ready: {target._errors}");
    }

    /// <summary>Reads standard output to its end, keeping the last 200 lines: enough to explain, bounded for a soak.</summary>
    private async Task KeepOutputAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            lock (_output)
            {
                _output.Enqueue(line);
                if (_output.Count > 200)
                {
                    _output.Dequeue();
                }
            }
        }
    }

    /// <summary>Resident memory now, from /proc (Linux), in MiB.</summary>
    public double RssMiB()
    {
        var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
    }

    /// <summary>User and system CPU time so far, in clock ticks (1/100 s on Linux), from /proc.</summary>
    public long CpuTicks()
    {
        var fields = File.ReadAllText($"/proc/{_process.Id}/stat");
        var rest = fields[(fields.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(rest[11]) + long.Parse(rest[12]);
    }

    /// <summary>Polls <paramref name="path"/> until it answers 200; returns the time since process start.</summary>
    public async Task<TimeSpan> FirstOkAsync(HttpClient client, string path)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            using var response = await client.GetAsync(new Uri(Address, path), timeout.Token);
            if (response.IsSuccessStatusCode)
            {
                return Clock.Elapsed;
            }
        }
    }

    /// <summary>Stops gracefully (SIGTERM, as a user's Ctrl+C or a container stop), so a file store is closed cleanly.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString()]))
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }
}
