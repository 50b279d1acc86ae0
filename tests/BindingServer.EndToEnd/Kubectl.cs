using System.Diagnostics;

namespace BindingServer.EndToEnd;

/// <summary>Runs the machine's real kubectl against the server process, with its own kubeconfig and discovery cache.</summary>
public sealed class Kubectl : IAsyncLifetime
{
    private readonly ServerProcess _server;

    public Kubectl()
        : this(new ServerProcess())
    {
    }

    private readonly bool _ownsServer;
    private readonly string? _kubeconfig;

    /// <summary>kubectl for a server started with particular arguments; the kubectl owns (starts and stops) it unless told not to.</summary>
    internal Kubectl(ServerProcess server, bool owned = true)
    {
        _server = server;
        _ownsServer = owned;
    }

    /// <summary>
    /// kubectl with a kubeconfig it is handed (a tenant's, say) for a server someone else runs, in a folder of its own
    /// (so its discovery cache is its own too).
    /// </summary>
    internal Kubectl(ServerProcess server, string kubeconfig)
        : this(server, owned: false) => _kubeconfig = kubeconfig;

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "bindingserver-kubectl-" + Guid.NewGuid().ToString("N"));

    public string Folder => _folder;

    public Uri ServerAddress => _server.BaseAddress;

    public async Task InitializeAsync()
    {
        if (_ownsServer)
        {
            await _server.InitializeAsync();
        }

        Directory.CreateDirectory(_folder);
        if (_kubeconfig is not null)
        {
            await File.WriteAllTextAsync(KubeconfigPath, _kubeconfig);
            return;
        }

        using var client = new HttpClient { BaseAddress = _server.BaseAddress };
        await File.WriteAllTextAsync(KubeconfigPath, await client.GetStringAsync("_bindingserver/kubeconfig"));
    }

    public async Task DisposeAsync()
    {
        if (_ownsServer)
        {
            await _server.DisposeAsync();
        }

        Directory.Delete(_folder, recursive: true);
    }

    private string KubeconfigPath => Path.Combine(_folder, "kubeconfig.yaml");

    public string WriteFile(string name, string content)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, content);
        return path;
    }

    public sealed record Result(int ExitCode, string Out, string Err);

    public async Task<Result> RunAsync(params string[] args) => await RunWithAsync(null, args);

    public async Task<Result> RunWithAsync(IDictionary<string, string>? environment, params string[] args)
    {
        using var process = Start(environment, args);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        return new Result(process.ExitCode, await output, await error);
    }

    /// <summary>Starts a long-running kubectl (such as <c>get -w</c>); the caller reads its output and kills it.</summary>
    public Process Start(IDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("kubectl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add($"--kubeconfig={KubeconfigPath}");
        start.ArgumentList.Add($"--cache-dir={Path.Combine(_folder, "cache")}");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["HOME"] = _folder;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        return Process.Start(start) ?? throw new InvalidOperationException("kubectl could not be started");
    }
}
