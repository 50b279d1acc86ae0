using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using BindingServer.TestSupport;

namespace BindingServer.EndToEnd;

/// <summary>
/// The scripted Open Service Broker (tests/BindingServer.TestBroker) in its own process on a free loopback port,
/// found ready by the line it prints. Tests register it with the server, then read back what the server sent it.
/// Each plan's name scripts the broker's answers (sync, async, failing, slow, conflict, async-failing, async-required).
/// </summary>
public sealed partial class TestBrokerProcess : IAsyncLifetime
{
    public const string ServiceId = "test-db-service-id";

    private readonly StringBuilder _errors = new();
    private Process? _process;
    private HttpClient _control = null!;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The Basic credentials the broker demands on every /v2 request.</summary>
    public string Username { get; } = "broker-user";

    public string Password { get; } = "broker-pass";

    /// <summary>What the broker wrote to standard error so far.</summary>
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

    /// <summary>The id of one of the default catalog's plans, by name (such as "sync" or "async-failing").</summary>
    public static string PlanId(string plan) => $"test-db-{plan}-id";

    [GeneratedRegex(@"^TestBroker ready: (https?://\S+)")]
    private static partial Regex ReadyLine();

    public static string BrokerAssembly()
    {
        // Same configuration as the tests themselves (Debug or Release), from the broker project's build output.
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var path = Path.Combine(OfficialSchemas.RepositoryRoot(), "tests", "BindingServer.TestBroker", "bin", configuration, "net10.0", "BindingServer.TestBroker.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("build the test broker first", path);
    }

    public async Task InitializeAsync()
    {
        var assembly = BrokerAssembly();
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { assembly, "--urls", "http://127.0.0.1:0", "--username", Username, "--password", Password },
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start the test broker");
        _process.ErrorDataReceived += (_, line) =>
        {
            lock (_errors)
            {
                _errors.AppendLine(line.Data);
            }
        };
        _process.BeginErrorReadLine();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await _process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            var match = ReadyLine().Match(line);
            if (match.Success)
            {
                BaseAddress = new Uri(match.Groups[1].Value);
                _control = new HttpClient { BaseAddress = BaseAddress };
                _ = DrainAsync(_process.StandardOutput);
                return;
            }
        }

        await _process.WaitForExitAsync(timeout.Token);
        throw new InvalidOperationException($"the test broker exited ({_process.ExitCode}) before printing its ready line: {Errors}");
    }

    /// <summary>Every /v2 request the broker received, oldest first, including the ones it refused.</summary>
    public async Task<IReadOnlyList<BrokerRequest>> RequestsAsync() =>
        await _control.GetFromJsonAsync<List<BrokerRequest>>("control/requests", JsonSerializerOptions.Web) ?? [];

    public async Task ClearRequestsAsync()
    {
        using var response = await _control.DeleteAsync("control/requests");
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Serves this text at GET /v2/catalog as it is, valid or not, until <see cref="ResetCatalogAsync"/>.</summary>
    public async Task SetCatalogAsync(string catalog)
    {
        using var content = new StringContent(catalog, Encoding.UTF8, "application/json");
        using var response = await _control.PutAsync("control/catalog", content);
        response.EnsureSuccessStatusCode();
    }

    public Task SetCatalogAsync(JsonNode catalog) => SetCatalogAsync(catalog.ToJsonString());

    /// <summary>Goes back to the default catalog: the test-db service with one plan per scripted behaviour.</summary>
    public async Task ResetCatalogAsync()
    {
        using var response = await _control.DeleteAsync("control/catalog");
        response.EnsureSuccessStatusCode();
    }

    private static async Task DrainAsync(StreamReader output)
    {
        while (await output.ReadLineAsync() is not null)
        {
        }
    }

    public async Task DisposeAsync()
    {
        _control?.Dispose();
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
    }
}

/// <summary>One request as the test broker recorded it: query without its '?', header names lower-cased, body parsed (null if none).</summary>
public sealed record BrokerRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, JsonNode? Body);
