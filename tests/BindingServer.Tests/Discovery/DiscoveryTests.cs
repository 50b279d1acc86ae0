using System.Net;
using System.Text.Json.Nodes;
using static BindingServer.Tests.Http;

namespace BindingServer.Tests.Discovery;

public sealed class DiscoveryTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private readonly HttpClient _client = factory.Client();

    private async Task<(HttpResponseMessage Response, JsonNode Body)> GetAsync(string url, string? accept = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        var response = await _client.SendAsync(request);
        return (response, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    [Fact]
    public async Task Version_has_every_field_clients_require()
    {
        var (_, body) = await GetAsync("/version");

        Assert.Equal(["major", "minor", "gitVersion", "gitCommit", "gitTreeState", "buildDate", "goVersion", "compiler", "platform"],
            body.AsObject().Select(p => p.Key));
        Assert.Equal("32", body["minor"].Str());
        Assert.Equal("v1.32.4", body["gitVersion"].Str());
    }

    [Fact]
    public async Task Legacy_group_list_and_group_documents()
    {
        var (_, apis) = await GetAsync("/apis");
        var (_, group) = await GetAsync("/apis/rbac.authorization.k8s.io");
        var (_, api) = await GetAsync("/api");

        Assert.Equal("APIGroupList", apis["kind"].Str());
        Assert.Contains(apis["groups"]!.AsArray(), g => g!["name"].Str() == "rbac.authorization.k8s.io"
            && g["preferredVersion"]!["groupVersion"].Str() == "rbac.authorization.k8s.io/v1");
        Assert.Equal("APIGroup", group["kind"].Str());
        Assert.Equal("APIVersions", api["kind"].Str());
        Assert.Equal("""["v1"]""", api["versions"]!.ToJsonString());
    }

    [Fact]
    public async Task Rbac_resource_list_has_the_real_entry_with_sorted_verbs()
    {
        var (_, list) = await GetAsync("/apis/rbac.authorization.k8s.io/v1");

        Assert.Equal("v1", list["apiVersion"].Str());
        var entry = list["resources"]!.AsArray().Single(r => r!["name"].Str() == "clusterrolebindings")!;
        Assert.Equal("""{"name":"clusterrolebindings","singularName":"clusterrolebinding","namespaced":false,"kind":"ClusterRoleBinding","verbs":["create","delete","deletecollection","get","list","patch","update","watch"]}""",
            entry.ToJsonString());
    }

    [Fact]
    public async Task Core_resource_list_has_no_api_version()
    {
        var (_, list) = await GetAsync("/api/v1");

        Assert.Equal("APIResourceList", list["kind"].Str());
        Assert.False(list.AsObject().ContainsKey("apiVersion"));
    }

    [Fact]
    public async Task Aggregated_discovery_answers_with_the_exact_media_type_and_response_kinds()
    {
        var (response, body) = await GetAsync("/apis",
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json");

        // The test host re-spaces header parameters; the exact bytes on a real socket are checked end to end.
        var contentType = response.Content.Headers.ContentType!;
        Assert.Equal("application/json", contentType.MediaType);
        Assert.Equal(["as=APIGroupDiscoveryList", "g=apidiscovery.k8s.io", "v=v2"], contentType.Parameters.Select(p => $"{p.Name}={p.Value}").Order());
        Assert.Equal("APIGroupDiscoveryList", body["kind"].Str());
        var rbac = body["items"]!.AsArray().Single(i => i!["metadata"]!["name"].Str() == "rbac.authorization.k8s.io")!;
        var version = rbac["versions"]![0]!;
        Assert.Equal("v1", version["version"].Str());
        Assert.Equal("Current", version["freshness"].Str());
        var resource = version["resources"]!.AsArray().Single(r => r!["resource"].Str() == "clusterrolebindings")!;
        Assert.Equal("ClusterRoleBinding", resource["responseKind"]!["kind"].Str());
        Assert.Equal("Cluster", resource["scope"].Str());

        var etag = response.Headers.ETag!.Tag;
        using var again = new HttpRequestMessage(HttpMethod.Get, "/apis");
        again.Headers.TryAddWithoutValidation("Accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
        again.Headers.TryAddWithoutValidation("If-None-Match", etag);
        using var notModified = await _client.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
    }

    [Fact]
    public async Task Unknown_groups_are_the_plain_404()
    {
        using var response = await _client.GetAsync("/apis/example.com");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("404 page not found\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Self_subject_access_reviews_are_allowed()
    {
        var (code, body) = await _client.PostAsync("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            """{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{"resourceAttributes":{"verb":"create","resource":"pods","namespace":"default"}}}""");

        Assert.Equal(201, code);
        Assert.True(body["status"]!["allowed"]!.GetValue<bool>());
        Assert.Equal("pods", body["spec"]!["resourceAttributes"]!["resource"].Str());
    }

    [Fact]
    public async Task Health_endpoints_answer_ok_in_plain_text()
    {
        foreach (var path in new[] { "/healthz", "/livez", "/readyz" })
        {
            using var response = await _client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("ok", await response.Content.ReadAsStringAsync());
        }

        var verbose = await _client.GetStringAsync("/readyz?verbose");
        Assert.Equal("[+]ping ok\n[+]store ok\nreadyz check passed\n", verbose);
    }

    [Fact]
    public async Task The_kubeconfig_endpoint_points_at_the_address_asked()
    {
        var text = await _client.GetStringAsync("/_bindingserver/kubeconfig");

        Assert.Contains("server: http://localhost", text);
        Assert.Contains("current-context: bindingserver", text);
    }
}
