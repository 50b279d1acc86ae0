using System.Diagnostics;
using System.Text.RegularExpressions;
using BindingServer.TestSupport;

namespace BindingServer.EndToEnd;

/// <summary>
/// The real server as users run it: its own process on a free loopback port (port 0), in-memory store,
/// found ready by the line it prints.
/// </summary>
public sealed partial class ServerProcess : IAsyncLifetime
{
    private readonly string[] _extraArguments;
    private ReadyProcess? _process;

    public ServerProcess()
        : this([])
    {
    }

    /// <summary>A server started with more arguments (such as <c>--seed</c>); not public, so test fixtures use the one above.</summary>
    internal ServerProcess(params string[] extraArguments) => _extraArguments = extraArguments;
    /// <summary>What the server wrote to standard error so far.</summary>
    public string Errors => _process?.Errors ?? "";

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The server's process id (for tests that kill it).</summary>
    public int ProcessId => _process?.Id ?? throw new InvalidOperationException("not started");

    /// <summary>Waits for the server to end by itself (after a signal, say), and returns its exit code.</summary>
    public Task<int> WaitForExitAsync(CancellationToken cancellationToken) =>
        (_process ?? throw new InvalidOperationException("not started")).WaitForExitAsync(cancellationToken);

    [GeneratedRegex(@"^BindingServer ready: (https?://\S+)")]
    private static partial Regex ReadyLine();

    public static string ServerAssembly()
    {
        // Same configuration as the tests themselves (Debug or Release), from the server project's build output.
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var path = Path.Combine(OfficialSchemas.RepositoryRoot(), "src", "BindingServer", "bin", configuration, "net10.0", "BindingServer.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("build the server first", path);
    }

    public async Task InitializeAsync()
    {
        var assembly = ServerAssembly();
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { assembly, "--Server:Port=0", "--Store:InMemory=true", "--Serilog:MinimumLevel:Default=Warning" },
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
        };
        foreach (var argument in _extraArguments)
        {
            start.ArgumentList.Add(argument);
        }

        _process = await ReadyProcess.StartAsync(start, ReadyLine(), (code, errors) => new ServerExitedException(code, errors));
        BaseAddress = _process.Address;
    }

    public async Task DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }
    }
}

/// <summary>The server ended before it was ready, with its exit code and what it wrote to standard error.</summary>
public sealed class ServerExitedException(int exitCode, string errors)
    : Exception($"the server exited ({exitCode}) before printing its ready line: {errors}")
{
    public int ExitCode { get; } = exitCode;

    public string Errors { get; } = errors;
}
