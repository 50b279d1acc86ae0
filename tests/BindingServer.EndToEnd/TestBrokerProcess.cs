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

    private ReadyProcess? _process;
    private HttpClient _control = null!;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The Basic credentials the broker demands on every /v2 request.</summary>
    public string Username { get; } = "broker-user";

    public string Password { get; } = "broker-pass";

    /// <summary>What the broker wrote to standard error so far.</summary>
    public string Errors => _process?.Errors ?? "";

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
        };
        _process = await ReadyProcess.StartAsync(start, ReadyLine(),
            (code, errors) => new InvalidOperationException($"the test broker exited ({code}) before printing its ready line: {errors}"));
        BaseAddress = _process.Address;
        _control = new HttpClient { BaseAddress = BaseAddress };
    }

    /// <summary>Every /v2 request the broker received, oldest first, including the ones it refused.</summary>
    public async Task<IReadOnlyList<BrokerRequest>> RequestsAsync() =>
        await _control.GetFromJsonAsync<List<BrokerRequest>>("control/requests", JsonSerializerOptions.Web) ?? [];

    /// <summary>The requests, once the broker has received more than <paramref name="count"/> of them.</summary>
    public async Task<IReadOnlyList<BrokerRequest>> RequestsAfterAsync(int count, CancellationToken cancellationToken) =>
        await _control.GetFromJsonAsync<List<BrokerRequest>>($"control/requests?after={count}", JsonSerializerOptions.Web, cancellationToken) ?? [];

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

    public async Task DisposeAsync()
    {
        _control?.Dispose();
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }
    }
}

/// <summary>One request as the test broker recorded it: query without its '?', header names lower-cased, body parsed (null if none).</summary>
public sealed record BrokerRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, JsonNode? Body);
