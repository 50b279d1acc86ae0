using System.Net.Http.Headers;

namespace BindingServer.Tests.Kubernetes;

/// <summary><c>Accept: application/yaml</c>: the apiserver's YAML, which is go-yaml's rendering of its JSON.</summary>
public sealed class YamlResponseTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private readonly HttpClient _client = factory.Client();

    private async Task<(string MediaType, string Text)> GetAsync(string path, string accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd(accept);
        using var response = await _client.SendAsync(request);
        return (response.Content.Headers.ContentType!.MediaType!, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_object_comes_back_with_sorted_keys_and_go_yamls_quoting()
    {
        var manifest = """
            {"metadata":{"name":"yaml-crb","labels":{"tier":"1","a10":"x","a2":"y"},
              "annotations":{"note":"line1\nline2\n","colon":"a: b","empty":"","yes":"yes","when":"2024-01-02T03:04:05Z","dash":"-","hash":"#x","quote":"it's"}},
             "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"}}
            """;
        Assert.Equal(201, (await _client.PostAsync(Http.Crbs, manifest)).Code);

        var (mediaType, yaml) = await GetAsync($"{Http.Crbs}/yaml-crb", "application/yaml");

        Assert.Equal("application/yaml", mediaType);
        Assert.StartsWith("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  annotations:\n", yaml);
        Assert.Contains("""
              annotations:
                colon: 'a: b'
                dash: '-'
                empty: ""
                hash: '#x'
                note: |
                  line1
                  line2
                quote: it's
                when: "2024-01-02T03:04:05Z"
                "yes": "yes"
            """, yaml);
        Assert.Contains("  labels:\n    a2: \"y\"\n    a10: x\n    tier: \"1\"\n", yaml);
        Assert.EndsWith("roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: view\n", yaml);
    }

    [Fact]
    public async Task Lists_and_errors_come_as_yaml_and_json_wins_when_listed_first()
    {
        var (_, list) = await GetAsync("/api/v1/namespaces", "application/yaml");
        var (_, missing) = await GetAsync("/api/v1/namespaces/nowhere", "application/yaml");
        var (mediaType, _) = await GetAsync("/api/v1/namespaces", "application/json, application/yaml");

        Assert.StartsWith("apiVersion: v1\nitems:\n- metadata:\n    creationTimestamp: \"", list);
        Assert.Contains("kind: NamespaceList\nmetadata:\n  resourceVersion: ", list);
        Assert.Equal("apiVersion: v1\ncode: 404\ndetails:\n  kind: namespaces\n  name: nowhere\nkind: Status\nmessage: namespaces \"nowhere\" not found\nmetadata: {}\nreason: NotFound\nstatus: Failure\n", missing);
        Assert.Equal("application/json", mediaType);
    }
}
