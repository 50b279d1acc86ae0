using System.Net;
using System.Text.Json.Nodes;
using BindingServer.TestSupport;
using BindingServer.Tests.CloudFoundry;

namespace BindingServer.Tests.Hosting;

/// <summary>/_bindingserver/faults: deterministic failures, written as each platform writes them.</summary>
public sealed class FaultInjectionTests(ServerFactory factory) : IClassFixture<ServerFactory>, IAsyncLifetime
{
    private readonly HttpClient _client = factory.Client();

    public async Task InitializeAsync() => (await _client.DeleteAsync("/_bindingserver/faults")).EnsureSuccessStatusCode();

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task AddAsync(string rule)
    {
        var (code, body) = await _client.SendAsync(HttpMethod.Post, "/_bindingserver/faults", Http.Json(rule));
        Assert.True(code == 201, body.ToJsonString());
    }

    [Fact]
    public async Task A_counted_conflict_fails_the_next_update_only_with_the_apiservers_status()
    {
        var manifest = """
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"faulty"},
             "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"}}
            """;
        Assert.Equal(201, (await _client.SendAsync(HttpMethod.Post, Http.Crbs, Http.Json(manifest))).Code);
        await AddAsync("""{"method":"put","path":"/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/*","status":409,"count":1}""");

        var (code, status) = await _client.SendAsync(HttpMethod.Put, $"{Http.Crbs}/faulty", Http.Json(manifest));

        Assert.Equal(409, code);
        Assert.Equal("Conflict", status["reason"]!.GetValue<string>());
        Assert.Equal("Operation cannot be fulfilled on clusterrolebindings.rbac.authorization.k8s.io \"faulty\": the object has been modified; please apply your changes to the latest version and try again",
            status["message"]!.GetValue<string>());
        Assert.Equal("""{"name":"faulty","group":"rbac.authorization.k8s.io","kind":"clusterrolebindings"}""", status["details"]!.ToJsonString());
        Assert.Equal(200, (await _client.SendAsync(HttpMethod.Put, $"{Http.Crbs}/faulty", Http.Json(manifest))).Code);
        Assert.Empty((await _client.SendAsync(HttpMethod.Get, "/_bindingserver/faults")).Body["faults"]!.AsArray());
    }

    [Fact]
    public async Task Throttling_carries_retry_after_in_the_header_and_the_status()
    {
        await AddAsync("""{"path":"/api/v1/namespaces","status":429,"retryAfterSeconds":2,"count":1}""");

        var response = await _client.GetAsync("/api/v1/namespaces");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("2", response.Headers.GetValues("Retry-After").Single());
        var status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(("TooManyRequests", "Too many requests, please try again later.", 2),
            (status["reason"]!.GetValue<string>(), status["message"]!.GetValue<string>(), status["details"]!["retryAfterSeconds"]!.GetValue<int>()));
    }

    [Theory]
    [InlineData(500, "InternalError", "Internal error occurred: injected fault")]
    [InlineData(503, "ServiceUnavailable", "the server is currently unable to handle the request")]
    public async Task Server_failures_are_status_objects(int injected, string reason, string message)
    {
        await AddAsync($$"""{"path":"/api/v1/nodes/**","status":{{injected}},"count":1}""");

        var (code, status) = await _client.SendAsync(HttpMethod.Get, "/api/v1/nodes/worker-1");

        Assert.Equal((injected, "Status", reason, message),
            (code, status["kind"]!.GetValue<string>(), status["reason"]!.GetValue<string>(), status["message"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Cloud_foundry_paths_get_cloud_controllers_errors()
    {
        await AddAsync("""{"path":"/v2/**","status":429,"count":1}""");

        var reply = await factory.Authorized().CallAsync(HttpMethod.Get, "/v2/service_bindings");

        Assert.Equal(429, reply.Code);
        Assert.Equal("""{"description":"Rate Limit of V2 API Exceeded. Please consider using the V3 API","error_code":"CF-RateLimitV2APIExceeded","code":10018}""",
            reply.Body!.ToJsonString());
    }

    [Fact]
    public async Task Latency_alone_delays_but_does_not_fail_and_unlimited_rules_stay()
    {
        await AddAsync("""{"path":"/version","latencyMs":50}""");

        Assert.Equal(200, (await _client.SendAsync(HttpMethod.Get, "/version")).Code);
        Assert.Equal(200, (await _client.SendAsync(HttpMethod.Get, "/version")).Code);
        var rule = Assert.Single((await _client.SendAsync(HttpMethod.Get, "/_bindingserver/faults")).Body["faults"]!.AsArray());
        Assert.Null(rule!["remaining"]);
    }

    private async Task<StreamReader> OpenWatchAsync(string path)
    {
        var response = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Get, path), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return new StreamReader(await response.Content.ReadAsStreamAsync());
    }

    [Fact]
    public async Task Gone_on_a_watch_is_one_expired_error_event_and_on_a_list_an_expired_status()
    {
        await AddAsync("""{"method":"GET","path":"/api/v1/namespaces","status":410,"count":2}""");

        using var watch = await OpenWatchAsync("/api/v1/namespaces?watch=true&resourceVersion=5");
        var error = JsonNode.Parse((await watch.ReadLineAsync())!)!;
        Assert.Null(await watch.ReadLineAsync());
        Assert.Equal(("ERROR", "Status", 410, "Expired"),
            (error["type"]!.GetValue<string>(), error["object"]!["kind"]!.GetValue<string>(), error["object"]!["code"]!.GetValue<int>(),
                error["object"]!["reason"]!.GetValue<string>()));
        Assert.StartsWith("too old resource version: 5 (", error["object"]!["message"]!.GetValue<string>());
        Assert.Empty(OfficialSchemas.Validate("core", "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent", error.ToJsonString()));

        var (code, status) = await _client.SendAsync(HttpMethod.Get, "/api/v1/namespaces?limit=1&continue=stale");
        Assert.Equal((410, "Expired"), (code, status["reason"]!.GetValue<string>()));
        Assert.StartsWith("The provided continue parameter is too old to display a consistent list result.", status["message"]!.GetValue<string>());
        Assert.Equal(200, (await _client.SendAsync(HttpMethod.Get, "/api/v1/namespaces")).Code);

        await AddAsync("""{"method":"GET","path":"/api/v1/namespaces","status":410,"watch":false,"count":1}""");
        var (listCode, listStatus) = await _client.SendAsync(HttpMethod.Get, "/api/v1/namespaces?resourceVersion=2&resourceVersionMatch=Exact");
        Assert.Equal((410, "The resourceVersion for the provided list is too old."), (listCode, listStatus["message"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_watch_closes_after_the_given_number_of_events()
    {
        await AddAsync("""{"method":"GET","path":"/api/v1/namespaces","closeAfterEvents":2,"count":1}""");

        using var cut = await OpenWatchAsync("/api/v1/namespaces?watch=true&timeoutSeconds=30");
        var first = JsonNode.Parse((await cut.ReadLineAsync())!)!;
        var second = JsonNode.Parse((await cut.ReadLineAsync())!)!;
        Assert.Equal(("ADDED", "ADDED"), (first["type"]!.GetValue<string>(), second["type"]!.GetValue<string>()));
        Assert.Null(await cut.ReadLineAsync());

        // The rule was used up: the next watch lists every namespace (there are at least four system ones).
        using var whole = await OpenWatchAsync("/api/v1/namespaces?watch=true&timeoutSeconds=30");
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("ADDED", JsonNode.Parse((await whole.ReadLineAsync())!)!["type"]!.GetValue<string>());
        }
    }

    [Theory]
    [InlineData("""{"status":500}""", "path is required, e.g. \"/api/v1/namespaces/*/pods/**\"")]
    [InlineData("""{"path":"/api","status":418}""", "status 418 is not injectable; use one of 409, 410, 429, 500, 503")]
    [InlineData("""{"path":"/api"}""", "a fault needs a status, a positive latencyMs, closeAfterEvents, or a mix")]
    [InlineData("""{"path":"/v2/apps","status":410}""", "status 410 is a Kubernetes watch failure; Cloud Controller v2 does not answer with it")]
    [InlineData("""{"path":"/api","closeAfterEvents":-1}""", "closeAfterEvents must not be negative")]
    [InlineData("""{"path":"/api","status":500,"count":0}""", "count must be positive when given")]
    public async Task Invalid_rules_are_refused_with_the_reason(string rule, string message)
    {
        var (code, body) = await _client.SendAsync(HttpMethod.Post, "/_bindingserver/faults", Http.Json(rule));
        Assert.Equal((400, message), (code, body["message"]!.GetValue<string>()));
    }
}
