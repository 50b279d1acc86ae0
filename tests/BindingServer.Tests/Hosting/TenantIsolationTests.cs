using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using BindingServer.Hosting.Tenants;
using BindingServer.Tests.CloudFoundry;
using BindingServer.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace BindingServer.Tests.Hosting;

/// <summary>
/// Two tenants and the default tenant side by side: on every API family, nothing done under one prefix can be read,
/// watched, changed or learnt of under another.
/// </summary>
public sealed class TenantIsolationTests(ServerFactory factory) : IClassFixture<ServerFactory>, IAsyncLifetime
{
    private readonly HttpClient _client = factory.Client();
    private readonly string _a = "iso-a-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _b = "iso-b-" + Guid.NewGuid().ToString("N")[..8];

    private string A => $"/tenants/{_a}";

    private string B => $"/tenants/{_b}";

    public async Task InitializeAsync()
    {
        Assert.Equal(201, (await _client.SendAsync(HttpMethod.Post, $"/_bindingserver/tenants?id={_a}")).Code);
        Assert.Equal(201, (await _client.SendAsync(HttpMethod.Post, $"/_bindingserver/tenants?id={_b}")).Code);
    }

    public async Task DisposeAsync()
    {
        await _client.DeleteAsync($"/_bindingserver/tenants/{_a}");
        await _client.DeleteAsync($"/_bindingserver/tenants/{_b}");
    }

    private async Task<JsonObject> CreatedAsync(HttpClient client, string url, string body)
    {
        var (code, created) = await client.PostAsync(url, body);
        Assert.True(code == 201, created.Compact());
        return created;
    }

    private static long Revision(JsonObject obj) => long.Parse(obj["metadata"]!["resourceVersion"].Str(), System.Globalization.CultureInfo.InvariantCulture);

    private static List<string> Names(JsonObject list) => [.. list["items"]!.AsArray().Select(i => i!["metadata"]!["name"].Str())];

    [Fact]
    public async Task Same_named_objects_live_apart_with_their_own_data_uids_and_revisions()
    {
        var revisions = new List<long>();
        foreach (var (root, mode) in new[] { (A, "a"), (B, "b"), ("", "default") })
        {
            await CreatedAsync(_client, $"{root}/api/v1/namespaces", """{"metadata":{"name":"shared-name"} }""");
            var map = await CreatedAsync(_client, $"{root}/api/v1/namespaces/shared-name/configmaps", $$"""{"metadata":{"name":"settings"},"data":{"mode":"{{mode}}"} }""");
            if (root == A)
            {
                revisions.Add(Revision(map));
            }
        }

        var uids = new HashSet<string>();
        foreach (var (root, mode) in new[] { (A, "a"), (B, "b"), ("", "default") })
        {
            var (code, map) = await _client.GetJsonAsync($"{root}/api/v1/namespaces/shared-name/configmaps/settings");
            Assert.Equal((200, mode), (code, map["data"]!["mode"].Str()));
            Assert.Empty(OfficialSchemas.Validate("core", "io.k8s.api.core.v1.ConfigMap", map.ToJsonString()));
            uids.Add(map["metadata"]!["uid"].Str());
            var (_, list) = await _client.GetJsonAsync($"{root}/api/v1/configmaps");
            Assert.Equal(["settings"], Names(list));
        }

        Assert.Equal(3, uids.Count);

        // A's revisions rise with A's writes alone: B's and the default tenant's writes in between leave no trace in A.
        var patched = (await _client.PatchAsync($"{A}/api/v1/namespaces/shared-name/configmaps/settings", """{"data":{"mode":"a2"} }""",
            "application/merge-patch+json")).Body;
        Assert.Equal(revisions[0] + 1, Revision(patched));
    }

    [Fact]
    public async Task A_watch_sees_its_own_tenants_changes_only()
    {
        var (_, start) = await _client.GetJsonAsync($"{A}/api/v1/namespaces/default/configmaps");
        using var response = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Get,
            $"{A}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={Revision(start)}&timeoutSeconds=30"), HttpCompletionOption.ResponseHeadersRead);
        using var watch = new StreamReader(await response.Content.ReadAsStreamAsync());

        await CreatedAsync(_client, $"{B}/api/v1/namespaces/default/configmaps", """{"metadata":{"name":"from-b"} }""");
        await CreatedAsync(_client, "/api/v1/namespaces/default/configmaps", """{"metadata":{"name":"from-default"} }""");
        await CreatedAsync(_client, $"{A}/api/v1/namespaces/default/configmaps", """{"metadata":{"name":"from-a"} }""");

        // The first event is A's, though B's and the default tenant's creates were committed before it.
        var added = JsonNode.Parse((await watch.ReadLineAsync())!)!;
        Assert.Equal(("ADDED", "from-a"), (added["type"].Str(), added["object"]!["metadata"]!["name"].Str()));
    }

    [Fact]
    public async Task Deleting_a_tenant_ends_its_watches_and_frees_its_store()
    {
        Assert.Equal(201, (await _client.SendAsync(HttpMethod.Post, "/_bindingserver/tenants?id=doomed")).Code);
        Assert.True(factory.Services.GetRequiredService<TenantRegistry>().TryGet("doomed", out var tenant));
        using var response = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Get,
            "/tenants/doomed/api/v1/namespaces?watch=true&resourceVersion=0&timeoutSeconds=60"), HttpCompletionOption.ResponseHeadersRead);
        using var watch = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal("ADDED", JsonNode.Parse((await watch.ReadLineAsync())!)!["type"].Str());

        Assert.Equal(204, (int)(await _client.DeleteAsync("/_bindingserver/tenants/doomed")).StatusCode);

        // Its watch ends (the rest of the synthetic ADDED events, then the end of the stream), long before its timeout.
        while (await watch.ReadLineAsync() is { } line)
        {
            Assert.Equal("ADDED", JsonNode.Parse(line)!["type"].Str());
        }

        // Its container, the store with it, is disposed: nothing of it is kept for a tenant that is gone.
        Assert.Throws<ObjectDisposedException>(() => tenant.Services.GetService(typeof(BindingServer.Storage.ObjectStore)));
    }

    [Fact]
    public async Task Rbac_decides_from_each_tenants_own_bindings()
    {
        var alice = factory.ClientAs("alice");
        await CreatedAsync(_client, $"{A}{Http.Crbs}", Http.Binding("alice-views", subjects: """[{"kind":"User","name":"alice","apiGroup":"rbac.authorization.k8s.io"}]"""));

        Assert.Equal(200, (await alice.GetJsonAsync($"{A}/api/v1/pods")).Code);
        var (code, refusal) = await alice.GetJsonAsync($"{B}/api/v1/pods");
        Assert.Equal(403, code);
        Assert.Equal("pods is forbidden: User \"alice\" cannot list resource \"pods\" in API group \"\" at the cluster scope", refusal["message"].Str());
        Assert.Equal(403, (await alice.GetJsonAsync("/api/v1/pods")).Code);

        var (_, review) = await alice.PostAsync($"{B}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            """{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{"resourceAttributes":{"verb":"list","resource":"pods"}}}""");
        Assert.False(review["status"]!["allowed"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_service_account_token_authenticates_in_its_own_tenant_only()
    {
        await CreatedAsync(_client, $"{A}/api/v1/namespaces/default/serviceaccounts", """{"metadata":{"name":"robot"} }""");
        await CreatedAsync(_client, $"{B}/api/v1/namespaces/default/serviceaccounts", """{"metadata":{"name":"robot"} }""");
        var token = (await CreatedAsync(_client, $"{A}/api/v1/namespaces/default/serviceaccounts/robot/token", """{"spec":{} }"""))["status"]!["token"].Str();
        var robot = factory.Client();
        robot.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        const string WhoAmI = """{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}""";

        var (mine, review) = await robot.PostAsync($"{A}/apis/authentication.k8s.io/v1/selfsubjectreviews", WhoAmI);
        Assert.Equal((201, "system:serviceaccount:default:robot"), (mine, review["status"]!["userInfo"]!["username"].Str()));

        // B has an account of the same name, but its own signing key: the token is not one of B's.
        var (theirs, refusal) = await robot.PostAsync($"{B}/apis/authentication.k8s.io/v1/selfsubjectreviews", WhoAmI);
        Assert.Equal((401, "Unauthorized"), (theirs, refusal["reason"].Str()));
        Assert.Equal(401, (await robot.PostAsync("/apis/authentication.k8s.io/v1/selfsubjectreviews", WhoAmI)).Code);

        var (_, jwksA) = await _client.GetJsonAsync($"{A}/openid/v1/jwks");
        var (_, jwksB) = await _client.GetJsonAsync($"{B}/openid/v1/jwks");
        Assert.NotEqual(jwksA["keys"]![0]!["kid"].Str(), jwksB["keys"]![0]!["kid"].Str());
        var (_, issuer) = await _client.GetJsonAsync($"{A}/.well-known/openid-configuration");
        Assert.Equal($"http://localhost{A}/openid/v1/jwks", issuer["jwks_uri"].Str());
    }

    [Fact]
    public async Task OpenShift_views_show_each_tenants_own_role_bindings()
    {
        const string Views = "/apis/authorization.openshift.io/v1/namespaces/default/rolebindings";
        await CreatedAsync(_client, $"{A}{Views}", """{"metadata":{"name":"os-viewers"},"roleRef":{"name":"view"},"subjectsRef":null,"subjects":[{"kind":"User","name":"olga"}]}""");

        Assert.Equal(200, (await _client.GetJsonAsync($"{A}/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings/os-viewers")).Code);
        var (code, missing) = await _client.GetJsonAsync($"{B}{Views}/os-viewers");
        Assert.Equal((404, "rolebindings.authorization.openshift.io \"os-viewers\" not found"), (code, missing["message"].Str()));
        Assert.DoesNotContain("os-viewers", Names((await _client.GetJsonAsync(Views)).Body));
    }

    [Fact]
    public async Task Discovery_and_openapi_are_served_under_the_prefix_as_at_the_root()
    {
        foreach (var path in new[] { "/api", "/apis", "/api/v1", "/apis/rbac.authorization.k8s.io/v1", "/apis/authorization.openshift.io/v1", "/openapi/v2", "/openapi/v3", "/version" })
        {
            Assert.Equal(await _client.GetStringAsync(path), await _client.GetStringAsync(A + path));
        }
    }

    [Fact]
    public async Task Cloud_Foundry_apps_instances_and_bindings_stay_in_their_tenant_and_bind_through_its_own_broker()
    {
        var cf = factory.Authorized();
        async Task<string> GuidOfFirstAsync(string url, Func<JsonNode, bool>? which = null) =>
            (await cf.CallAsync(HttpMethod.Get, url)).Body!["resources"]!.AsArray().First(r => which?.Invoke(r!) ?? true)!["metadata"]!["guid"].Str();
        async Task<string> CreateAsync(string url, string body)
        {
            var reply = await cf.CallAsync(HttpMethod.Post, url, body);
            Assert.True(reply.Code == 201, reply.Text);
            return reply.Guid();
        }

        var space = await GuidOfFirstAsync($"{A}/v2/spaces");
        var app = await CreateAsync($"{A}/v2/apps", $$"""{"name":"tenant-web","space_guid":"{{space}}"}""");
        var plan = await GuidOfFirstAsync($"{A}/v2/service_plans", p => p["entity"]!["name"].Str() == "small");
        var instance = await CreateAsync($"{A}/v2/service_instances", $$"""{"name":"tenant-db","space_guid":"{{space}}","service_plan_guid":"{{plan}}"}""");
        var binding = await cf.CallAsync(HttpMethod.Post, $"{A}/v2/service_bindings", $$"""{"app_guid":"{{app}}","service_instance_guid":"{{instance}}"}""");
        Assert.Equal(201, binding.Code);

        // The built-in broker that answered is A's own: it keeps the binding A can fetch back, and B's has none.
        var (fetched, _) = await BrokerGetAsync($"{A}/_bindingserver/osb/v2/service_instances/{instance}/service_bindings/{binding.Guid()}");
        Assert.Equal(200, fetched);
        Assert.Equal(404, (await BrokerGetAsync($"{B}/_bindingserver/osb/v2/service_instances/{instance}/service_bindings/{binding.Guid()}")).Code);
        Assert.Equal(404, (await BrokerGetAsync($"/_bindingserver/osb/v2/service_instances/{instance}/service_bindings/{binding.Guid()}")).Code);

        var env = (await cf.CallAsync(HttpMethod.Get, $"{A}/v2/apps/{app}/env")).Body!;
        Assert.Equal(binding.Body!["entity"]!["credentials"]!.ToJsonString(),
            env["system_env_json"]!["VCAP_SERVICES"]!["fake-db"]![0]!["credentials"]!.ToJsonString());
        Assert.Equal($"http://localhost{A}", env["application_env_json"]!["VCAP_APPLICATION"]!["cf_api"].Str());

        foreach (var other in new[] { B, "" })
        {
            Assert.Equal(0, (await cf.CallAsync(HttpMethod.Get, $"{other}/v2/apps")).Body!["total_results"]!.GetValue<int>());
            Assert.Equal(0, (await cf.CallAsync(HttpMethod.Get, $"{other}/v2/service_bindings")).Body!["total_results"]!.GetValue<int>());
            var notFound = await cf.CallAsync(HttpMethod.Get, $"{other}/v2/apps/{app}");
            Assert.Equal((404, 100004), (notFound.Code, notFound.Body!["code"]!.GetValue<int>()));
        }

        // The default org and space keep their stable guids in every tenant, as across resets.
        Assert.Equal(space, await GuidOfFirstAsync($"{B}/v2/spaces"));
    }

    private async Task<(int Code, string Text)> BrokerGetAsync(string url)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("bindingserver:bindingserver"u8));
        request.Headers.Add("X-Broker-API-Version", "2.15");
        using var response = await _client.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Reset_journal_faults_and_export_act_on_their_own_tenant()
    {
        await CreatedAsync(_client, $"{A}/api/v1/namespaces", """{"metadata":{"name":"kept-by-a"} }""");
        await CreatedAsync(_client, $"{B}/api/v1/namespaces", """{"metadata":{"name":"reset-in-b"} }""");
        Assert.Equal(204, (int)(await _client.DeleteAsync($"{A}/_bindingserver/journal")).StatusCode);

        Assert.Equal(200, (await _client.SendAsync(HttpMethod.Post, $"{B}/_bindingserver/reset")).Code);
        Assert.Equal(404, (await _client.GetJsonAsync($"{B}/api/v1/namespaces/reset-in-b")).Code);
        Assert.Equal(200, (await _client.GetJsonAsync($"{A}/api/v1/namespaces/kept-by-a")).Code);

        // A's journal holds A's request, as the path the tenant served; B's reset and read went to B's.
        var entries = (await _client.GetJsonAsync($"{A}/_bindingserver/journal")).Body["entries"]!.AsArray();
        Assert.Equal(["GET /api/v1/namespaces/kept-by-a"], entries.Select(e => $"{e!["method"].Str()} {e["path"].Str()}"));
        Assert.DoesNotContain((await _client.GetJsonAsync("/_bindingserver/journal")).Body["entries"]!.AsArray(),
            e => e!["path"].Str().Contains("kept-by-a", StringComparison.Ordinal));

        var (faultCode, _) = await _client.PostAsync($"{A}/_bindingserver/faults", """{"method":"GET","path":"/api/v1/namespaces","status":503}""");
        Assert.Equal(201, faultCode);
        Assert.Equal(503, (await _client.GetJsonAsync($"{A}/api/v1/namespaces")).Code);
        Assert.Equal(200, (await _client.GetJsonAsync($"{B}/api/v1/namespaces")).Code);
        Assert.Equal(200, (await _client.GetJsonAsync("/api/v1/namespaces")).Code);
        Assert.Equal(204, (int)(await _client.DeleteAsync($"{A}/_bindingserver/faults")).StatusCode);

        var export = await _client.GetStringAsync($"{A}/_bindingserver/export?family=kubernetes");
        Assert.Contains("name: kept-by-a", export, StringComparison.Ordinal);
        Assert.DoesNotContain("reset-in-b", await _client.GetStringAsync($"{B}/_bindingserver/export?family=kubernetes"), StringComparison.Ordinal);
    }
}
