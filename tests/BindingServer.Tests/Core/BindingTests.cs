using System.Text.Json.Nodes;
using static BindingServer.Tests.Http;

namespace BindingServer.Tests.Core;

/// <summary>Both Binding endpoints, every check of the apiserver's BindingREST with its exact answer.</summary>
public sealed class BindingTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private const string Pods = PodTests.Pods;
    private readonly HttpClient _client = factory.Client();

    private async Task<JsonObject> PodAsync(string name, string extraSpec = "")
    {
        var (code, pod) = await _client.PostAsync(Pods, PodTests.Pod(name, extraSpec: extraSpec));
        Assert.Equal(201, code);
        return pod;
    }

    private static string Binding(string name, string node = "node-1", string kind = "Node", string metadataExtra = "") =>
        $$$"""{"apiVersion":"v1","kind":"Binding","metadata":{"name":"{{{name}}}"{{{metadataExtra}}}},"target":{"apiVersion":"v1","kind":"{{{kind}}}","name":"{{{node}}}"}}""";

    [Fact]
    public async Task Binding_through_the_subresource_assigns_the_node_and_answers_a_201_status()
    {
        var before = await PodAsync("bind-me");

        var (code, body) = await _client.PostAsync($"{Pods}/bind-me/binding", Binding("bind-me", metadataExtra: ""","annotations":{"scheduler.example/why":"fits"}"""));

        Assert.Equal(201, code);
        Assert.Equal("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","code":201}""", body.Compact());
        var (_, pod) = await _client.GetJsonAsync($"{Pods}/bind-me");
        Assert.Equal("node-1", pod["spec"]!["nodeName"].Str());
        Assert.Equal("fits", pod["metadata"]!["annotations"]!["scheduler.example/why"].Str());
        var condition = pod["status"]!["conditions"]![0]!;
        Assert.Equal("PodScheduled", condition["type"].Str());
        Assert.Equal("True", condition["status"].Str());
        Assert.Null(condition["lastProbeTime"]);
        Assert.True(condition.AsObject().ContainsKey("lastProbeTime"));
        Assert.NotEmpty(condition["lastTransitionTime"].Str());
        Assert.Equal(long.Parse(before["metadata"]!["resourceVersion"].Str()) + 1, long.Parse(pod["metadata"]!["resourceVersion"].Str()));
    }

    [Fact]
    public async Task The_legacy_bindings_collection_takes_the_pod_name_from_the_body()
    {
        await PodAsync("legacy");

        var (code, _) = await _client.PostAsync("/api/v1/namespaces/default/bindings", Binding("legacy", node: "node-2"));

        Assert.Equal(201, code);
        Assert.Equal("node-2", (await _client.GetJsonAsync($"{Pods}/legacy")).Body["spec"]!["nodeName"].Str());
    }

    [Fact]
    public async Task A_second_binding_is_a_conflict_naming_the_node()
    {
        await PodAsync("twice");
        await _client.PostAsync($"{Pods}/twice/binding", Binding("twice"));

        var (code, body) = await _client.PostAsync($"{Pods}/twice/binding", Binding("twice", node: "node-9"));

        Assert.Equal(409, code);
        Assert.Equal(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on pods/binding \"twice\": pod twice is already assigned to node \"node-1\"","reason":"Conflict","details":{"name":"twice","kind":"pods/binding"},"code":409}""",
            body.Compact());
    }

    [Fact]
    public async Task Name_in_the_url_must_match_the_binding()
    {
        await PodAsync("url-name");

        var (code, body) = await _client.PostAsync($"{Pods}/url-name/binding", Binding("other-name"));

        Assert.Equal(400, code);
        Assert.Equal("name in URL does not match name in Binding object", body["message"].Str());
    }

    [Fact]
    public async Task The_legacy_collection_needs_a_name()
    {
        var (code, body) = await _client.PostAsync("/api/v1/namespaces/default/bindings", """{"metadata":{},"target":{"name":"n"}}""");

        Assert.Equal(400, code);
        Assert.Equal("Name parameter required.", body["message"].Str());
    }

    [Fact]
    public async Task An_invalid_target_is_the_real_servers_reasonless_500()
    {
        await PodAsync("bad-target");

        var (code, body) = await _client.PostAsync($"{Pods}/bad-target/binding", """{"metadata":{"name":"bad-target"},"target":{"kind":"Pod"}}""");

        Assert.Equal(500, code);
        Assert.Equal(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"[target.kind: Unsupported value: \"Pod\": supported values: \"Node\", \"<empty>\", target.name: Required value]","code":500}""",
            body.Compact());
    }

    [Fact]
    public async Task A_missing_pod_is_NotFound()
    {
        var (code, body) = await _client.PostAsync($"{Pods}/ghost/binding", Binding("ghost"));

        Assert.Equal(404, code);
        Assert.Equal("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"ghost\" not found","reason":"NotFound","details":{"name":"ghost","kind":"pods"},"code":404}""",
            body.Compact());
    }

    [Fact]
    public async Task A_missing_namespace_wins_over_everything_else()
    {
        var (code, body) = await _client.PostAsync("/api/v1/namespaces/nowhere/pods/x/binding", Binding("mismatch"));

        Assert.Equal(404, code);
        Assert.Equal("namespaces \"nowhere\" not found", body["message"].Str());
    }

    [Fact]
    public async Task A_pod_being_deleted_cannot_be_bound()
    {
        var body = """{"metadata":{"name":"dying","finalizers":["example.com/hold"]},"spec":{"containers":[{"name":"c","image":"nginx"}]}}""";
        await _client.PostAsync(Pods, body);
        await _client.DeleteJsonAsync($"{Pods}/dying");

        var (code, status) = await _client.PostAsync($"{Pods}/dying/binding", Binding("dying"));

        Assert.Equal(409, code);
        Assert.Equal("Operation cannot be fulfilled on pods/binding \"dying\": pod dying is being deleted, cannot be assigned to a host", status["message"].Str());
        await _client.PatchAsync($"{Pods}/dying", """{"metadata":{"finalizers":null}}""", "application/merge-patch+json");
    }

    [Fact]
    public async Task Scheduling_gates_block_binding()
    {
        var pod = await PodAsync("gated", extraSpec: "\"schedulingGates\":[{\"name\":\"example.com/wait\"}],");
        Assert.Equal("SchedulingGated", pod["status"]!["conditions"]![0]!["reason"].Str());

        var (code, status) = await _client.PostAsync($"{Pods}/gated/binding", Binding("gated"));

        Assert.Equal(409, code);
        Assert.Equal("Operation cannot be fulfilled on pods/binding \"gated\": pod gated has non-empty .spec.schedulingGates", status["message"].Str());
    }

    [Fact]
    public async Task A_uid_precondition_that_does_not_match_is_a_conflict()
    {
        await PodAsync("precondition");

        var (code, status) = await _client.PostAsync($"{Pods}/precondition/binding", Binding("precondition", metadataExtra: ",\"uid\":\"not-the-uid\""));

        Assert.Equal(409, code);
        Assert.StartsWith("Operation cannot be fulfilled on pods \"precondition\": StorageError: invalid object, Code: 4, Key: /registry/pods/default/precondition, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: not-the-uid, UID in object meta: ",
            status["message"].Str());
    }

    [Fact]
    public async Task Dry_run_binding_changes_nothing()
    {
        var pod = await PodAsync("dry-bind");

        var (code, _) = await _client.PostAsync($"{Pods}/dry-bind/binding?dryRun=All", Binding("dry-bind"));

        Assert.Equal(201, code);
        var (_, after) = await _client.GetJsonAsync($"{Pods}/dry-bind");
        Assert.Null(after["spec"]!["nodeName"]);
        Assert.Equal(pod["metadata"]!["resourceVersion"].Str(), after["metadata"]!["resourceVersion"].Str());
    }

    [Fact]
    public async Task A_watch_on_pods_sees_the_binding_as_MODIFIED()
    {
        var pod = await PodAsync("watched-bind");
        using var request = new HttpRequestMessage(HttpMethod.Get,
            $"{Pods}?watch=true&resourceVersion={pod["metadata"]!["resourceVersion"].Str()}&fieldSelector=metadata.name%3Dwatched-bind&timeoutSeconds=30");
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var watch = new StreamReader(await response.Content.ReadAsStreamAsync());

        await _client.PostAsync($"{Pods}/watched-bind/binding", Binding("watched-bind"));

        var modified = JsonNode.Parse((await watch.ReadLineAsync())!)!;
        Assert.Equal("MODIFIED", modified["type"].Str());
        Assert.Equal("node-1", modified["object"]!["spec"]!["nodeName"].Str());
    }
}
