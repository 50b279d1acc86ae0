using System.Text.Json.Nodes;
using BindingServer.TestSupport;
using static BindingServer.Tests.Http;

namespace BindingServer.Tests.Core;

/// <summary>
/// <c>pods/status</c>, <c>nodes/status</c> and <c>namespaces/status</c>: where schedulers and kubelets write status,
/// which the main resource ignores, while the spec written there is ignored in turn.
/// </summary>
public sealed class StatusSubresourceTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private readonly HttpClient _client = factory.Client();

    private async Task<JsonObject> CreatePodAsync(string name)
    {
        var (code, pod) = await _client.PostAsync(PodTests.Pods, PodTests.Pod(name));
        Assert.Equal(201, code);
        return pod;
    }

    [Fact]
    public async Task A_status_update_changes_the_status_and_keeps_the_spec_and_qos_class()
    {
        var pod = await CreatePodAsync("status-put");
        pod["status"] = JsonNode.Parse("""{"phase":"Running","qosClass":"Guaranteed","podIP":"10.0.0.7","conditions":[{"type":"Ready","status":"True"}]}""");
        pod["spec"]!["nodeName"] = "sneaky-node";

        var (code, updated) = await _client.PutAsync($"{PodTests.Pods}/status-put/status", pod.ToJsonString());

        Assert.Equal(200, code);
        Assert.Equal(("Running", "10.0.0.7", "BestEffort"), (updated["status"]!["phase"].Str(), updated["status"]!["podIP"].Str(), updated["status"]!["qosClass"].Str()));
        Assert.Null(updated["spec"]!["nodeName"]);
        Assert.NotEqual(pod["metadata"]!["resourceVersion"].Str(), updated["metadata"]!["resourceVersion"].Str());
        Assert.Empty(OfficialSchemas.Validate("core", "io.k8s.api.core.v1.Pod", WithoutNullConditionTimes(updated)));

        var (staleCode, stale) = await _client.PutAsync($"{PodTests.Pods}/status-put/status", pod.ToJsonString());
        Assert.Equal((409, "Conflict"), (staleCode, stale["reason"].Str()));
    }

    [Fact]
    public async Task The_main_resource_ignores_status_and_the_status_subresource_reads_the_whole_object()
    {
        var pod = await CreatePodAsync("status-ignored");
        pod["status"] = JsonNode.Parse("""{"phase":"Running"}""");

        var (_, updated) = await _client.PutAsync($"{PodTests.Pods}/status-ignored", pod.ToJsonString());
        var (getCode, viaStatus) = await _client.GetJsonAsync($"{PodTests.Pods}/status-ignored/status");

        Assert.Equal("Pending", updated["status"]!["phase"].Str());
        Assert.Equal((200, "Pod", "status-ignored"), (getCode, viaStatus["kind"].Str(), viaStatus["metadata"]!["name"].Str()));
    }

    [Fact]
    public async Task A_status_patch_is_owned_by_its_manager_under_the_status_subresource()
    {
        await CreatePodAsync("status-patch");

        var (code, patched) = await _client.PatchAsync($"{PodTests.Pods}/status-patch/status?fieldManager=scheduler",
            """{"status":{"conditions":[{"type":"PodScheduled","status":"False","reason":"Unschedulable","message":"0/1 nodes are available"}]}}""",
            "application/strategic-merge-patch+json");

        Assert.Equal(200, code);
        Assert.Equal("Unschedulable", patched["status"]!["conditions"]![0]!["reason"].Str());
        var entry = patched["metadata"]!["managedFields"]!.AsArray().Single(e => e!["manager"].Str() == "scheduler")!;
        Assert.Equal(("Update", "status"), (entry["operation"].Str(), entry["subresource"].Str()));
        Assert.NotNull(entry["fieldsV1"]!["f:status"]!["f:conditions"]!["k:{\"type\":\"PodScheduled\"}"]);
    }

    [Fact]
    public async Task A_missing_object_has_no_status_to_write_even_by_apply()
    {
        var (putCode, _) = await _client.PutAsync($"{PodTests.Pods}/nowhere/status", PodTests.Pod("nowhere"));
        var (applyCode, applied) = await _client.PatchAsync($"{PodTests.Pods}/nowhere/status?fieldManager=kubelet",
            """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"nowhere"},"status":{"phase":"Running"}}""", "application/apply-patch+yaml");

        Assert.Equal(404, putCode);
        Assert.Equal((404, "pods \"nowhere\" not found"), (applyCode, applied["message"].Str()));
    }

    [Fact]
    public async Task A_kubelet_reports_a_node_ready_and_a_namespace_status_is_written_the_same_way()
    {
        Assert.Equal(201, (await _client.PostAsync("/api/v1/nodes", """{"metadata":{"name":"status-node"}}""")).Code);

        var (code, node) = await _client.PatchAsync("/api/v1/nodes/status-node/status",
            """{"status":{"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady"}]},"spec":{"unschedulable":true}}""",
            "application/merge-patch+json");

        Assert.Equal(200, code);
        Assert.Equal("KubeletReady", node["status"]!["conditions"]![0]!["reason"].Str());
        Assert.Null(node["spec"]?["unschedulable"]);

        var (nsCode, ns) = await _client.PatchAsync("/api/v1/namespaces/default/status",
            """{"status":{"conditions":[{"type":"NamespaceDeletionDiscoveryFailure","status":"False"}]}}""", "application/merge-patch+json");
        Assert.Equal(200, nsCode);
        Assert.Equal(("Active", "NamespaceDeletionDiscoveryFailure"), (ns["status"]!["phase"].Str(), ns["status"]!["conditions"]![0]!["type"].Str()));
    }

    [Fact]
    public async Task Discovery_lists_the_status_subresources()
    {
        var (_, resources) = await _client.GetJsonAsync("/api/v1");

        var status = resources["resources"]!.AsArray().Where(r => r!["name"].Str().EndsWith("/status", StringComparison.Ordinal)).ToList();
        Assert.Equal(["namespaces/status", "nodes/status", "pods/status"], status.Select(r => r!["name"].Str()).Order());
        Assert.All(status, r => Assert.Equal(["get", "patch", "update"], r!["verbs"]!.AsArray().Select(v => v.Str())));
    }

    private async Task<List<string>> RowAsync(string name)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{PodTests.Pods}/{name}");
        request.Headers.TryAddWithoutValidation("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io");
        using var response = await _client.SendAsync(request);
        var table = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return table["rows"]![0]!["cells"]!.AsArray().Select(c => c!.ToString()).ToList();
    }

    [Theory]
    [InlineData("""{"phase":"Running","podIP":"10.0.0.9","containerStatuses":[{"name":"c","ready":true,"restartCount":0,"state":{"running":{}}}]}""",
        "1/1", "Running", "0", "10.0.0.9")]
    [InlineData("""{"phase":"Running","podIPs":[{"ip":"fd00::9"}],"containerStatuses":[{"name":"c","ready":false,"restartCount":3,"state":{"waiting":{"reason":"CrashLoopBackOff"}},"lastState":{"terminated":{"exitCode":1,"finishedAt":"2020-01-01T00:00:00Z"}}}]}""",
        "0/1", "CrashLoopBackOff", "3 (", "fd00::9")]
    [InlineData("""{"phase":"Failed","containerStatuses":[{"name":"c","ready":false,"restartCount":0,"state":{"terminated":{"exitCode":137,"signal":9}}}]}""",
        "0/1", "Signal:9", "0", "<none>")]
    [InlineData("""{"phase":"Succeeded","containerStatuses":[{"name":"c","ready":false,"restartCount":0,"state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]}""",
        "0/1", "Completed", "0", "<none>")]
    public async Task The_table_row_reads_the_container_statuses_as_kubectl_prints_them(string status, string ready, string printed, string restarts, string ip)
    {
        var name = "row-" + Guid.NewGuid().ToString("N")[..8];
        await CreatePodAsync(name);
        var (code, _) = await _client.PatchAsync($"{PodTests.Pods}/{name}/status", $$"""{"status":{{status}}}""", "application/merge-patch+json");
        Assert.Equal(200, code);

        var cells = await RowAsync(name);

        Assert.Equal((ready, printed), (cells[1], cells[2]));
        Assert.StartsWith(restarts, cells[3]);
        Assert.Equal(ip, cells[5]);
    }

    [Fact]
    public async Task A_pod_ip_written_alone_fills_pod_ips_as_the_apiservers_conversion_does()
    {
        await CreatePodAsync("ip-pair");

        var (_, pod) = await _client.PatchAsync($"{PodTests.Pods}/ip-pair/status", """{"status":{"podIP":"10.0.0.5","hostIP":"192.168.0.2"}}""", "application/merge-patch+json");

        Assert.Equal("""[{"ip":"10.0.0.5"}]""", pod["status"]!["podIPs"]!.ToJsonString());
        Assert.Equal("""[{"ip":"192.168.0.2"}]""", pod["status"]!["hostIPs"]!.ToJsonString());
    }
}
