using System.Text.Json.Nodes;
using BindingServer.Tests.CloudFoundry;

namespace BindingServer.Tests.Hosting;

/// <summary>POST /_bindingserver/reset: back to the start state between tests, by family or whole.</summary>
public sealed class AdminResetTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private readonly HttpClient _client = factory.Client();
    private readonly HttpClient _cf = factory.Authorized();

    private async Task<string> CreateBindingAsync(string name)
    {
        var (code, body) = await _client.SendAsync(HttpMethod.Post, Http.Crbs, Http.Json($$"""
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"{{name}}"},
             "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},
             "subjects":[{"kind":"User","name":"jane","apiGroup":"rbac.authorization.k8s.io"}]}
            """));
        Assert.Equal(201, code);
        return body["metadata"]!["resourceVersion"]!.GetValue<string>();
    }

    private async Task<List<string>> NamesAsync(string url) =>
        (await _client.SendAsync(HttpMethod.Get, url)).Body["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()).ToList();

    private async Task<List<string>> CfNamesAsync(string url) =>
        (await _cf.CallAsync(HttpMethod.Get, url)).Body!["resources"]!.AsArray().Select(r => r!["entity"]!["name"].Str()).ToList();

    private async Task CreateAppAsync(string name)
    {
        var space = (await _cf.CallAsync(HttpMethod.Get, "/v2/spaces")).Body!["resources"]![0]!["metadata"]!["guid"].Str();
        Assert.Equal(201, (await _cf.CallAsync(HttpMethod.Post, "/v2/apps", $$"""{"name":"{{name}}","space_guid":"{{space}}"}""")).Code);
    }

    [Fact]
    public async Task Reset_returns_every_family_to_the_start_state_and_revisions_keep_rising()
    {
        var before = long.Parse(await CreateBindingAsync("before-reset"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(201, (await _client.SendAsync(HttpMethod.Post, "/api/v1/namespaces", Http.Json("""{"metadata":{"name":"team-a"}}"""))).Code);
        await CreateAppAsync("before-reset-app");

        var (code, body) = await _client.SendAsync(HttpMethod.Post, "/_bindingserver/reset");

        Assert.Equal(200, code);
        Assert.True(body["removed"]!.GetValue<int>() >= 3);
        var bindings = await NamesAsync(Http.Crbs);
        Assert.DoesNotContain("before-reset", bindings);
        Assert.Contains("cluster-admin", bindings); // the default RBAC policy is part of the start state
        Assert.Equal(["default", "kube-node-lease", "kube-public", "kube-system"], (await NamesAsync("/api/v1/namespaces")).Order());
        Assert.Empty(await CfNamesAsync("/v2/apps"));
        Assert.Equal(["default-space"], await CfNamesAsync("/v2/spaces"));
        Assert.Contains("small", await CfNamesAsync("/v2/service_plans"));
        var after = long.Parse(await CreateBindingAsync("after-reset"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(after > before, "a reset must not reuse resource versions that watchers have already seen");
    }

    [Fact]
    public async Task A_family_reset_leaves_the_other_family_alone()
    {
        await CreateBindingAsync("kept-through-cf-reset");
        await CreateAppAsync("dropped-by-cf-reset");

        Assert.Equal(200, (await _client.SendAsync(HttpMethod.Post, "/_bindingserver/reset?family=cloudfoundry")).Code);

        Assert.Contains("kept-through-cf-reset", await NamesAsync(Http.Crbs));
        Assert.Empty(await CfNamesAsync("/v2/apps"));

        var (code, body) = await _client.SendAsync(HttpMethod.Post, "/_bindingserver/reset?family=openstack");
        Assert.Equal(400, code);
        Assert.Equal("unknown family \"openstack\": use kubernetes or cloudfoundry", body["message"]!.GetValue<string>());
    }
}

/// <summary>GET and DELETE /_bindingserver/journal: what clients sent, for tests to assert on.</summary>
public sealed class RequestJournalTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private readonly HttpClient _client = factory.Client();

    [Fact]
    public async Task Requests_are_journalled_with_status_and_body_digest_and_the_journal_can_be_cleared()
    {
        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await _client.DeleteAsync("/_bindingserver/journal")).StatusCode);
        const string body = """{"metadata":{"name":"journalled"}}""";

        Assert.Equal(201, (await _client.SendAsync(HttpMethod.Post, "/api/v1/namespaces?fieldManager=tests", Http.Json(body))).Code);
        Assert.Equal(409, (await _client.SendAsync(HttpMethod.Post, "/api/v1/namespaces", Http.Json(body))).Code);
        Assert.Equal(200, (await _client.SendAsync(HttpMethod.Get, "/api/v1/namespaces/journalled")).Code);

        var entries = (await _client.SendAsync(HttpMethod.Get, "/_bindingserver/journal")).Body["entries"]!.AsArray();
        var digest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(body)));
        Assert.Equal(
            [("POST", "/api/v1/namespaces", "?fieldManager=tests", 201, digest), ("POST", "/api/v1/namespaces", "", 409, digest), ("GET", "/api/v1/namespaces/journalled", "", 200, null)],
            entries.Select(e => (e!["method"]!.GetValue<string>(), e["path"]!.GetValue<string>(), e["query"]!.GetValue<string>(), e["status"]!.GetValue<int>(),
                e["bodySha256"]?.GetValue<string>())));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", entries[0]!["time"]!.GetValue<string>());

        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await _client.DeleteAsync("/_bindingserver/journal")).StatusCode);
        Assert.Empty((await _client.SendAsync(HttpMethod.Get, "/_bindingserver/journal")).Body["entries"]!.AsArray());
    }
}
