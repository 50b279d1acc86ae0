using System.Text.Json.Nodes;
using BindingServer.TestSupport;
using static BindingServer.Tests.Http;

namespace BindingServer.Tests.Core;

public sealed class PodTests(FakeClockServerFactory factory) : IClassFixture<FakeClockServerFactory>
{
    public const string Pods = "/api/v1/namespaces/default/pods";
    private readonly HttpClient _client = factory.Client();

    public static string Pod(string name, string image = "nginx", string extraSpec = "") =>
        $$$"""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"{{{name}}}","labels":{"app":"web"}},"spec":{{{{extraSpec}}}"containers":[{"name":"c","image":"{{{image}}}"}]}}""";

    [Fact]
    public async Task A_created_pod_has_the_defaults_a_cluster_fills_in()
    {
        var (code, pod) = await _client.PostAsync(Pods, Pod("defaults"));

        Assert.Equal(201, code);
        var spec = pod["spec"]!;
        Assert.Equal("Always", spec["restartPolicy"].Str());
        Assert.Equal(30, spec["terminationGracePeriodSeconds"]!.GetValue<int>());
        Assert.Equal("ClusterFirst", spec["dnsPolicy"].Str());
        Assert.Equal("default-scheduler", spec["schedulerName"].Str());
        Assert.Equal("{}", spec["securityContext"]!.ToJsonString());
        Assert.True(spec["enableServiceLinks"]!.GetValue<bool>());
        Assert.Equal("default", spec["serviceAccountName"].Str());
        Assert.Equal("default", spec["serviceAccount"].Str());
        Assert.Equal(0, spec["priority"]!.GetValue<int>());
        Assert.Equal("PreemptLowerPriority", spec["preemptionPolicy"].Str());
        Assert.Equal(["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"], spec["tolerations"]!.AsArray().Select(t => t!["key"].Str()));
        var container = spec["containers"]![0]!;
        Assert.Equal("Always", container["imagePullPolicy"].Str());
        Assert.Equal("/dev/termination-log", container["terminationMessagePath"].Str());
        Assert.Equal("File", container["terminationMessagePolicy"].Str());
        Assert.Equal("{}", container["resources"]!.ToJsonString());
        var volume = spec["volumes"]![0]!;
        Assert.Matches("^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$", volume["name"].Str());
        Assert.Equal(3607, volume["projected"]!["sources"]![0]!["serviceAccountToken"]!["expirationSeconds"]!.GetValue<int>());
        Assert.Equal("/var/run/secrets/kubernetes.io/serviceaccount", container["volumeMounts"]![0]!["mountPath"].Str());
        Assert.Equal("""{"phase":"Pending","qosClass":"BestEffort"}""", pod["status"]!.ToJsonString());
        Assert.Empty(OfficialSchemas.Validate("core", "io.k8s.api.core.v1.Pod", pod.ToJsonString()));
    }

    [Theory]
    [InlineData("nginx", "Always")]
    [InlineData("nginx:latest", "Always")]
    [InlineData("nginx:1.27", "IfNotPresent")]
    [InlineData("registry.example.com:5000/team/app", "Always")]
    [InlineData("nginx@sha256:0000000000000000000000000000000000000000000000000000000000000000", "IfNotPresent")]
    public async Task Image_pull_policy_follows_the_tag(string image, string policy)
    {
        var (_, pod) = await _client.PostAsync(Pods, Pod("pull-" + Guid.NewGuid().ToString("N")[..8], image));

        Assert.Equal(policy, pod["spec"]!["containers"]![0]!["imagePullPolicy"].Str());
    }

    [Fact]
    public async Task Limits_only_resources_get_equal_requests_and_the_guaranteed_class()
    {
        var body = """{"metadata":{"name":"guaranteed"},"spec":{"containers":[{"name":"c","image":"nginx","resources":{"limits":{"cpu":"100m","memory":"64Mi"}}}]}}""";
        var (_, pod) = await _client.PostAsync(Pods, body);

        Assert.Equal("""{"cpu":"100m","memory":"64Mi"}""", pod["spec"]!["containers"]![0]!["resources"]!["requests"]!.ToJsonString());
        Assert.Equal("Guaranteed", pod["status"]!["qosClass"].Str());
    }

    [Theory]
    [InlineData("""{"metadata":{"name":"v1"},"spec":{}}""", "Pod \"v1\" is invalid: spec.containers: Required value")]
    [InlineData("""{"metadata":{"name":"v2"},"spec":{"containers":[{"name":"c"}]}}""", "Pod \"v2\" is invalid: spec.containers[0].image: Required value")]
    [InlineData("""{"metadata":{"name":"v3"},"spec":{"containers":[{"image":"x"}]}}""", "Pod \"v3\" is invalid: spec.containers[0].name: Required value")]
    [InlineData("""{"metadata":{"name":"v4"},"spec":{"containers":[{"name":"c","image":"x"},{"name":"c","image":"y"}]}}""", "Pod \"v4\" is invalid: spec.containers[1].name: Duplicate value: \"c\"")]
    [InlineData("""{"metadata":{"name":"v5"},"spec":{"restartPolicy":"Sometimes","containers":[{"name":"c","image":"x"}]}}""", "Pod \"v5\" is invalid: spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"")]
    [InlineData("""{"metadata":{"name":"v6"},"spec":{"containers":[{"name":"C_1","image":"x"}]}}""", "Pod \"v6\" is invalid: spec.containers[0].name: Invalid value: \"C_1\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")]
    [InlineData("""{"metadata":{"name":"v7"},"spec":{"containers":[{"name":"c","image":"x","imagePullPolicy":"x"}]}}""", "Pod \"v7\" is invalid: spec.containers[0].imagePullPolicy: Unsupported value: \"x\": supported values: \"Always\", \"IfNotPresent\", \"Never\"")]
    [InlineData("""{"metadata":{"name":"v8"},"spec":{"dnsPolicy":"x","containers":[{"name":"c","image":"x"}]}}""", "Pod \"v8\" is invalid: spec.dnsPolicy: Unsupported value: \"x\": supported values: \"ClusterFirst\", \"ClusterFirstWithHostNet\", \"Default\", \"None\"")]
    public async Task Create_validation(string body, string message)
    {
        var (code, status) = await _client.PostAsync(Pods, body);

        Assert.Equal(422, code);
        Assert.Equal(message, status["message"].Str());
        Assert.Equal("Pod", status["details"]!["kind"].Str());
    }

    [Fact]
    public async Task A_pod_in_a_missing_namespace_is_NotFound()
    {
        var (code, status) = await _client.PostAsync("/api/v1/namespaces/nope/pods", Pod("lost"));

        Assert.Equal(404, code);
        Assert.Equal("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"namespaces \"nope\" not found","reason":"NotFound","details":{"name":"nope","kind":"namespaces"},"code":404}""",
            status.Compact());
    }

    [Fact]
    public async Task Reading_a_missing_namespace_lists_nothing()
    {
        var (code, list) = await _client.GetJsonAsync("/api/v1/namespaces/nope/pods");

        Assert.Equal(200, code);
        Assert.Equal("PodList", list["kind"].Str());
        Assert.Equal("[]", list["items"]!.ToJsonString());
    }

    [Fact]
    public async Task A_body_namespace_must_match_the_url()
    {
        var (code, status) = await _client.PostAsync(Pods, """{"metadata":{"name":"ns","namespace":"kube-system"},"spec":{"containers":[{"name":"c","image":"x"}]}}""");

        Assert.Equal(400, code);
        Assert.Equal("the namespace of the provided object does not match the namespace sent on the request", status["message"].Str());
    }

    [Fact]
    public async Task Updates_may_change_images_but_not_the_rest_of_the_spec()
    {
        await _client.PostAsync(Pods, Pod("immutable"));

        var (imageCode, updated) = await _client.PatchAsync($"{Pods}/immutable", """{"spec":{"containers":[{"name":"c","image":"nginx:1.27"}]}}""",
            "application/strategic-merge-patch+json");
        var (commandCode, refused) = await _client.PatchAsync($"{Pods}/immutable", """{"spec":{"containers":[{"name":"c","command":["sh"]}]}}""",
            "application/strategic-merge-patch+json");

        Assert.Equal(200, imageCode);
        Assert.Equal("nginx:1.27", updated["spec"]!["containers"]![0]!["image"].Str());
        Assert.Equal(422, commandCode);
        Assert.StartsWith("Pod \"immutable\" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`", refused["message"].Str());
    }

    [Fact]
    public async Task Status_in_an_update_body_is_ignored()
    {
        await _client.PostAsync(Pods, Pod("status-kept"));

        var (_, patched) = await _client.PatchAsync($"{Pods}/status-kept", """{"status":{"phase":"Running"}}""", "application/merge-patch+json");

        Assert.Equal("Pending", patched["status"]!["phase"].Str());
    }

    [Fact]
    public async Task An_unscheduled_pod_is_deleted_at_once_and_returned()
    {
        await _client.PostAsync(Pods, Pod("quick"));

        var (code, body) = await _client.DeleteJsonAsync($"{Pods}/quick");

        Assert.Equal(200, code);
        Assert.Equal("Pod", body["kind"].Str());
        Assert.Equal(404, (await _client.GetJsonAsync($"{Pods}/quick")).Code);
    }

    [Fact]
    public async Task A_bound_pod_terminates_gracefully_and_the_emulated_kubelet_removes_it()
    {
        await _client.PostAsync(Pods, Pod("graceful"));
        await _client.PostAsync($"{Pods}/graceful/binding", """{"metadata":{"name":"graceful"},"target":{"kind":"Node","name":"n1"}}""");

        var (code, marked) = await _client.DeleteJsonAsync($"{Pods}/graceful");

        Assert.Equal(200, code);
        Assert.NotEmpty(marked["metadata"]!["deletionTimestamp"].Str());
        Assert.Equal(30, marked["metadata"]!["deletionGracePeriodSeconds"]!.GetValue<int>());
        Assert.Equal(200, (await _client.GetJsonAsync($"{Pods}/graceful")).Code);

        // The emulated kubelet takes Kubelet:TerminationSeconds (1) of the grace period, on the server's clock.
        factory.Clock.Advance(TimeSpan.FromSeconds(1));
        await factory.UntilStatusAsync(_client, $"{Pods}/graceful", 404);
    }

    [Fact]
    public async Task Field_selectors_find_unscheduled_pods_and_reject_unknown_fields()
    {
        await _client.PostAsync("/api/v1/namespaces/kube-public/pods", Pod("sel-unscheduled"));
        await _client.PostAsync("/api/v1/namespaces/kube-public/pods", Pod("sel-scheduled"));
        await _client.PostAsync("/api/v1/namespaces/kube-public/pods/sel-scheduled/binding", """{"metadata":{"name":"sel-scheduled"},"target":{"name":"n1"}}""");

        var (_, unscheduled) = await _client.GetJsonAsync("/api/v1/namespaces/kube-public/pods?fieldSelector=spec.nodeName%3D");
        var (_, onNode) = await _client.GetJsonAsync("/api/v1/pods?fieldSelector=spec.nodeName%3Dn1,metadata.namespace%3Dkube-public");
        var (code, error) = await _client.GetJsonAsync($"{Pods}?fieldSelector=spec.foo%3Dx");

        Assert.Equal(["sel-unscheduled"], unscheduled["items"]!.AsArray().Select(p => p!["metadata"]!["name"].Str()));
        Assert.Equal(["sel-scheduled"], onNode["items"]!.AsArray().Select(p => p!["metadata"]!["name"].Str()));
        Assert.Equal(400, code);
        Assert.Equal("field label not supported: spec.foo", error["message"].Str());
    }

    [Fact]
    public async Task The_pod_table_has_the_printer_columns()
    {
        await _client.PostAsync(Pods, Pod("table"));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{Pods}/table");
        request.Headers.TryAddWithoutValidation("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io");
        using var response = await _client.SendAsync(request);
        var table = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(["Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node", "Readiness Gates"],
            table["columnDefinitions"]!.AsArray().Select(c => c!["name"].Str()));
        var cells = table["rows"]![0]!["cells"]!.AsArray().Select(c => c.Str()).ToList();
        Assert.Equal(["table", "0/1", "Pending", "0"], cells[..4]);
        Assert.Equal(["<none>", "<none>", "<none>", "<none>"], cells[5..]);
    }
}
