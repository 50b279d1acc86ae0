using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace BindingServer.EndToEnd;

/// <summary>
/// A child process that announces itself with a line naming its URL (the server, the test broker): started with its
/// output redirected, found ready by that line (no sleeps), its standard error kept, and killed with its children on
/// dispose.
/// </summary>
public sealed class ReadyProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _errors = new();

    private ReadyProcess(Process process) => _process = process;

    public Uri Address { get; private set; } = null!;

    public int Id => _process.Id;

    /// <summary>Waits for the process to end by itself, and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken);
        return _process.ExitCode;
    }

    /// <summary>What the process wrote to standard error so far.</summary>
    public string Errors
    {
        get
        {
            lock (_errors)
            {
                return _errors.ToString();
            }
        }
    }

    /// <summary>
    /// Starts the process and waits up to a minute for <paramref name="readyLine"/> (its first group is the URL); if the
    /// process ends first, throws what <paramref name="exited"/> makes of its exit code and standard error.
    /// </summary>
    public static async Task<ReadyProcess> StartAsync(ProcessStartInfo start, Regex readyLine, Func<int, string, Exception> exited)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        var ready = new ReadyProcess(Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}"));
        ready._process.ErrorDataReceived += (_, line) =>
        {
            lock (ready._errors)
            {
                ready._errors.AppendLine(line.Data);
            }
        };
        ready._process.BeginErrorReadLine();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await ready._process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (readyLine.Match(line) is { Success: true } match)
            {
                ready.Address = new Uri(match.Groups[1].Value);
                _ = DrainAsync(ready._process.StandardOutput);
                return ready;
            }
        }

        await ready._process.WaitForExitAsync(timeout.Token);
        var error = exited(ready._process.ExitCode, ready.Errors);
        await ready.DisposeAsync();
        throw error;
    }

    /// <summary>Reads the rest of standard output, so a chatty process never blocks on a full pipe.</summary>
    private static async Task DrainAsync(StreamReader output)
    {
        while (await output.ReadLineAsync() is not null)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
