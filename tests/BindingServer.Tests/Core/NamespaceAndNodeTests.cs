using System.Text.Json.Nodes;
using BindingServer.TestSupport;
using static BindingServer.Tests.Http;

namespace BindingServer.Tests.Core;

public sealed class NamespaceAndNodeTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private const string Namespaces = "/api/v1/namespaces";
    private readonly HttpClient _client = factory.Client();

    [Fact]
    public async Task The_system_namespaces_exist_from_the_start()
    {
        var (_, list) = await _client.GetJsonAsync(Namespaces);
        var names = list["items"]!.AsArray().Select(n => n!["metadata"]!["name"].Str()).ToList();

        Assert.Subset(names.ToHashSet(), new HashSet<string> { "default", "kube-node-lease", "kube-public", "kube-system" });
        var system = list["items"]!.AsArray().Single(n => n!["metadata"]!["name"].Str() == "kube-system")!;
        Assert.Equal("kube-system", system["metadata"]!["labels"]!["kubernetes.io/metadata.name"].Str());
        Assert.Equal("""{"finalizers":["kubernetes"]}""", system["spec"]!.ToJsonString());
        Assert.Equal("""{"phase":"Active"}""", system["status"]!.ToJsonString());
        Assert.Empty(OfficialSchemas.Validate("core", "io.k8s.api.core.v1.Namespace", system.ToJsonString()));
    }

    [Fact]
    public async Task Namespace_names_are_dns_labels()
    {
        var (code, body) = await _client.PostAsync(Namespaces, """{"metadata":{"name":"has.dots"}}""");

        Assert.Equal(422, code);
        Assert.Equal("Namespace \"has.dots\" is invalid: metadata.name: Invalid value: \"has.dots\": must not contain dots", body["message"].Str());
    }

    [Fact]
    public async Task Immortal_namespaces_refuse_deletion()
    {
        var (code, body) = await _client.DeleteJsonAsync($"{Namespaces}/default");

        Assert.Equal(403, code);
        Assert.Equal("namespaces \"default\" is forbidden: this namespace may not be deleted", body["message"].Str());
    }

    [Fact]
    public async Task Deleting_a_namespace_terminates_it_removes_its_contents_and_then_it_goes()
    {
        await _client.PostAsync(Namespaces, """{"metadata":{"name":"doomed"}}""");
        await _client.PostAsync("/api/v1/namespaces/doomed/pods", PodTests.Pod("inside"));

        var (code, marked) = await _client.DeleteJsonAsync($"{Namespaces}/doomed");
        Assert.Equal(200, code);
        Assert.Equal("Terminating", marked["status"]!["phase"].Str());
        Assert.NotEmpty(marked["metadata"]!["deletionTimestamp"].Str());

        var (againCode, again) = await _client.DeleteJsonAsync($"{Namespaces}/doomed");
        if (againCode != 404)
        {
            Assert.Equal(409, againCode);
            Assert.Equal("Operation cannot be fulfilled on namespaces \"doomed\": The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.",
                again["message"].Str());
        }

        // The namespace controller empties it, then drops its finalizer, and the namespace goes.
        await factory.UntilStatusAsync(_client, $"{Namespaces}/doomed", 404);
        Assert.Equal(404, (await _client.GetJsonAsync("/api/v1/namespaces/doomed/pods/inside")).Code);
    }

    [Fact]
    public async Task Nothing_new_may_be_created_in_a_terminating_namespace()
    {
        await _client.PostAsync(Namespaces, """{"metadata":{"name":"closing","finalizers":["example.com/hold"]}}""");
        await _client.DeleteJsonAsync($"{Namespaces}/closing");

        var (code, body) = await _client.PostAsync("/api/v1/namespaces/closing/pods", PodTests.Pod("late"));

        Assert.Equal(403, code);
        Assert.Equal(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"late\" is forbidden: unable to create new content in namespace closing because it is being terminated","reason":"Forbidden","details":{"name":"late","kind":"pods","causes":[{"reason":"NamespaceTerminating","message":"namespace closing is being terminated","field":"metadata.namespace"}]},"code":403}""",
            body.Compact());
        await _client.PatchAsync($"{Namespaces}/closing", """{"metadata":{"finalizers":null}}""", "application/merge-patch+json");
    }

    [Fact]
    public async Task Namespaces_have_no_deletecollection()
    {
        var (code, _) = await _client.DeleteJsonAsync(Namespaces);

        Assert.Equal(405, code);
    }

    [Fact]
    public async Task Nodes_are_listed_with_their_status_and_roles()
    {
        var node = """
            {"metadata":{"name":"worker-1","labels":{"node-role.kubernetes.io/worker":""}},
             "status":{"conditions":[{"type":"Ready","status":"True"}],"nodeInfo":{"machineID":"m","systemUUID":"s","bootID":"b","kernelVersion":"6.1.0","osImage":"Debian GNU/Linux 12 (bookworm)","containerRuntimeVersion":"containerd://1.7.24","kubeletVersion":"v1.32.4","kubeProxyVersion":"v1.32.4","operatingSystem":"linux","architecture":"amd64"},
                       "addresses":[{"type":"InternalIP","address":"10.0.0.5"}]}}
            """;
        var (code, created) = await _client.PostAsync("/api/v1/nodes", node);
        Assert.Equal(201, code);
        Assert.Equal("""{"type":"Ready","status":"True","lastHeartbeatTime":null,"lastTransitionTime":null}""", created["status"]!["conditions"]![0]!.ToJsonString());
        Assert.Empty(OfficialSchemas.Validate("core", "io.k8s.api.core.v1.Node", Http.WithoutNullConditionTimes(created)));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/nodes/worker-1");
        request.Headers.TryAddWithoutValidation("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io");
        using var response = await _client.SendAsync(request);
        var cells = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["rows"]![0]!["cells"]!.AsArray().Select(c => c.Str()).ToList();

        Assert.Equal(["worker-1", "Ready", "worker"], cells[..3]);
        Assert.Equal(["v1.32.4", "10.0.0.5", "<none>"], cells[4..7]);
    }

    [Fact]
    public async Task A_bare_node_carries_the_empty_parts_go_always_writes()
    {
        var (code, node) = await _client.PostAsync("/api/v1/nodes", """{"metadata":{"name":"bare-node"}}""");

        Assert.Equal(201, code);
        Assert.Equal("{}", node["spec"]!.ToJsonString());
        Assert.Equal("""{"kubeletEndpoint":{"Port":0}}""", node["status"]!["daemonEndpoints"]!.ToJsonString());
        Assert.Equal("""{"machineID":"","systemUUID":"","bootID":"","kernelVersion":"","osImage":"","containerRuntimeVersion":"","kubeletVersion":"","kubeProxyVersion":"","operatingSystem":"","architecture":""}""",
            node["status"]!["nodeInfo"]!.ToJsonString());
        Assert.Empty(OfficialSchemas.Validate("core", "io.k8s.api.core.v1.Node", node.ToJsonString()));
    }

    [Theory]
    [InlineData("""{"metadata":{"name":"bad-1"},"spec":{"unschedulable":"yes"}}""", "string into Go struct field NodeSpec.spec.unschedulable of type bool")]
    [InlineData("""{"metadata":{"name":"bad-2"},"status":{"addresses":[{"type":"InternalIP","address":7}]}}""", "number into Go struct field NodeAddress.status.addresses.address of type string")]
    [InlineData("""{"metadata":{"name":"bad-3","labels":{"zone":1}}}""", "number into Go struct field ObjectMeta.metadata.labels of type string")]
    public async Task A_node_with_a_mistyped_field_is_refused_naming_the_go_struct_that_holds_it(string body, string detail)
    {
        var (code, status) = await _client.PostAsync("/api/v1/nodes", body);

        Assert.Equal((400, "BadRequest"), (code, status["reason"].Str()));
        Assert.Equal($"Node in version \"v1\" cannot be handled as a Node: json: cannot unmarshal {detail}", status["message"].Str());
    }
}
