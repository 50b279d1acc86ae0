using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;

namespace BindingServer.EndToEnd;

/// <summary>Injected faults as real clients see them: kubectl's error lines and retries, KubernetesClient's exceptions.</summary>
public sealed class FaultInjectionTests(Kubectl kubectl) : IClassFixture<Kubectl>
{
    private HttpClient Admin() => new() { BaseAddress = kubectl.ServerAddress };

    private async Task InjectAsync(string rule)
    {
        using var admin = Admin();
        (await admin.DeleteAsync("_bindingserver/faults")).EnsureSuccessStatusCode();
        using var added = await admin.PostAsync("_bindingserver/faults", new StringContent(rule, Encoding.UTF8, "application/json"));
        Assert.True(added.StatusCode == HttpStatusCode.Created, await added.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Kubectl_reports_an_injected_conflict_and_internal_error_as_the_apiservers()
    {
        Assert.Equal(0, (await kubectl.RunAsync("create", "clusterrolebinding", "fault-target", "--clusterrole=view", "--user=jane")).ExitCode);

        await InjectAsync("""{"method":"PATCH","path":"/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/fault-target","status":409,"count":1}""");
        var conflicted = await kubectl.RunAsync("label", "clusterrolebinding", "fault-target", "team=a");
        Assert.NotEqual(0, conflicted.ExitCode);
        Assert.Contains("Error from server (Conflict): Operation cannot be fulfilled on clusterrolebindings.rbac.authorization.k8s.io \"fault-target\": the object has been modified",
            conflicted.Err);

        await InjectAsync("""{"method":"GET","path":"/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/fault-target","status":500,"count":1}""");
        var failed = await kubectl.RunAsync("get", "clusterrolebinding", "fault-target");
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Contains("Error from server (InternalError): Internal error occurred: injected fault", failed.Err);
    }

    [Fact]
    public async Task Kubectl_waits_out_a_throttle_as_client_go_does_with_retry_after()
    {
        await InjectAsync("""{"method":"GET","path":"/api/v1/namespaces/default","status":429,"retryAfterSeconds":1,"count":1}""");
        using var admin = Admin();
        (await admin.DeleteAsync("_bindingserver/journal")).EnsureSuccessStatusCode();

        var got = await kubectl.RunAsync("get", "namespace", "default", "-o", "name");

        Assert.True(got.ExitCode == 0, got.Err);
        Assert.Equal("namespace/default\n", got.Out);
        var statuses = JsonNode.Parse(await admin.GetStringAsync("_bindingserver/journal"))!["entries"]!.AsArray()
            .Where(e => e!["path"]!.GetValue<string>() == "/api/v1/namespaces/default").Select(e => e!["status"]!.GetValue<int>());
        Assert.Equal([429, 200], statuses);
    }

    [Fact]
    public async Task KubernetesClient_sees_an_unavailable_server_as_a_503_status()
    {
        await InjectAsync("""{"method":"GET","path":"/api/v1/nodes","status":503,"count":1}""");
        var client = new k8s.Kubernetes(new k8s.KubernetesClientConfiguration { Host = kubectl.ServerAddress.ToString() });

        var error = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => client.CoreV1.ListNodeAsync());

        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.Response.StatusCode);
        Assert.Contains("\"reason\":\"ServiceUnavailable\"", error.Response.Content);
    }
}
