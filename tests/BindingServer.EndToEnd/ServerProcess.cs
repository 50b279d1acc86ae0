using System.Diagnostics;
using System.Text.RegularExpressions;
using BindingServer.Testing;

namespace BindingServer.EndToEnd;

/// <summary>
/// The real server as users run it: its own process on a free loopback port (port 0), in-memory store,
/// found ready by the line it prints.
/// </summary>
public sealed partial class ServerProcess : IAsyncLifetime
{
    private Process? _process;

    public Uri BaseAddress { get; private set; } = null!;

    [GeneratedRegex(@"^BindingServer ready: (http://\S+)")]
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
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start the server");
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginErrorReadLine();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await _process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            var match = ReadyLine().Match(line);
            if (match.Success)
            {
                BaseAddress = new Uri(match.Groups[1].Value);
                _ = DrainAsync(_process.StandardOutput);
                return;
            }
        }

        throw new InvalidOperationException("the server exited before printing its ready line");
    }

    private static async Task DrainAsync(StreamReader output)
    {
        while (await output.ReadLineAsync() is not null)
        {
        }
    }

    public async Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
    }
}
