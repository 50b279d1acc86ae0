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

    [Fact]
    public async Task KubernetesClient_watch_gets_an_injected_410_as_an_expired_status_error()
    {
        await InjectAsync("""{"method":"GET","path":"/api/v1/namespaces","status":410,"watch":true,"count":1}""");
        var client = new k8s.Kubernetes(new k8s.KubernetesClientConfiguration { Host = kubectl.ServerAddress.ToString() });
        var errors = new List<Exception>();
        var events = 0;

        await foreach (var _ in client.CoreV1.WatchListNamespaceAsync(resourceVersion: "3", timeoutSeconds: 30, onError: errors.Add))
        {
            events++;
        }

        Assert.Equal(0, events);
        var expired = Assert.IsType<k8s.KubernetesException>(Assert.Single(errors));
        Assert.Equal((410, "Expired"), (expired.Status.Code, expired.Status.Reason));
        Assert.StartsWith("too old resource version: 3 (", expired.Status.Message);
    }

    [Fact]
    public async Task KubernetesClient_watch_ends_after_the_injected_number_of_events()
    {
        await InjectAsync("""{"method":"GET","path":"/api/v1/namespaces","closeAfterEvents":2,"count":1}""");
        var client = new k8s.Kubernetes(new k8s.KubernetesClientConfiguration { Host = kubectl.ServerAddress.ToString() });
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var events = new List<WatchEventType>();

        // Without the fault this watch would stay open for its 30 seconds after the four system namespaces.
        await foreach (var (type, _) in client.CoreV1.WatchListNamespaceAsync(timeoutSeconds: 30, cancellationToken: cancel.Token))
        {
            events.Add(type);
        }

        Assert.Equal([WatchEventType.Added, WatchEventType.Added], events);
    }

    [Fact]
    public async Task Kubectl_get_watch_prints_the_expired_status_of_an_injected_410()
    {
        await InjectAsync("""{"method":"GET","path":"/api/v1/namespaces","status":410,"watch":true,"count":1}""");

        var watched = await kubectl.RunAsync("get", "namespaces", "--watch", "--request-timeout=60s");

        Assert.True(watched.ExitCode == 0, watched.Err);
        Assert.Matches(@"Failure\s+Expired\s+too old resource version: \d+ \(\d+\)", watched.Out);
        Assert.Contains("kube-system", watched.Out);
    }

    [Fact]
    public async Task Kubectl_gives_up_on_an_injected_slow_answer_at_its_request_timeout()
    {
        await InjectAsync("""{"method":"GET","path":"/api/v1/namespaces/kube-public","latencyMs":5000,"count":1}""");

        var slow = await kubectl.RunAsync("get", "namespace", "kube-public", "-o", "name", "--request-timeout=1s");

        Assert.NotEqual(0, slow.ExitCode);
        // client-go words it by where the deadline struck: awaiting headers, or its request context.
        Assert.Matches("Unable to connect to the server: .*(Client.Timeout exceeded while awaiting headers|context deadline exceeded)", slow.Err);
        var again = await kubectl.RunAsync("get", "namespace", "kube-public", "-o", "name", "--request-timeout=10s");
        Assert.Equal((0, "namespace/kube-public\n"), (again.ExitCode, again.Out));
    }

    [Fact]
    public async Task A_cloud_foundry_client_is_throttled_as_by_cloud_controllers_rate_limiter()
    {
        await InjectAsync("""{"method":"GET","path":"/v2/service_bindings","status":429,"retryAfterSeconds":3,"count":1}""");
        using var cf = Admin();
        cf.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("bearer", CloudFoundryTests.AdminToken);

        using var throttled = await cf.GetAsync("v2/service_bindings");
        using var next = await cf.GetAsync("v2/service_bindings");

        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.Equal("3", throttled.Headers.GetValues("Retry-After").Single());
        Assert.Equal("""{"description":"Rate Limit of V2 API Exceeded. Please consider using the V3 API","error_code":"CF-RateLimitV2APIExceeded","code":10018}""",
            JsonNode.Parse(await throttled.Content.ReadAsStringAsync())!.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }
}
