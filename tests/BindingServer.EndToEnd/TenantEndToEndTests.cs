using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using BindingServer.TestSupport;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace BindingServer.EndToEnd;

/// <summary>
/// Tenants as a CI suite uses them, against the real server process: each test makes its own tenants with
/// <c>POST /_bindingserver/tenants</c> and drives them with real clients (kubectl with the kubeconfig the POST answered,
/// the KubernetesClient package, curl, HttpClient and the test broker in its own process), and finds each tenant's
/// objects, watches, tokens, Cloud Controller, brokers, journal, faults and export its own alone.
/// </summary>
public sealed class TenantEndToEndTests(ServerProcess server, TestBrokerProcess broker)
    : IClassFixture<ServerProcess>, IClassFixture<TestBrokerProcess>, IAsyncLifetime
{
    private readonly List<string> _tenants = [];
    private readonly List<Kubectl> _kubectls = [];

    private string Root => server.BaseAddress.ToString().TrimEnd('/');

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Deletes what the test made (a tenant it deleted itself answers 404 here), so the class's server stays small.</summary>
    public async Task DisposeAsync()
    {
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        foreach (var id in _tenants)
        {
            using var deleted = await client.DeleteAsync($"_bindingserver/tenants/{id}");
        }

        foreach (var kubectl in _kubectls)
        {
            await kubectl.DisposeAsync();
        }
    }

    /// <summary>A tenant id of its own for each test run: a DNS label.</summary>
    private static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    /// <summary><c>POST /_bindingserver/tenants?id=…</c> with HttpClient, as a suite's setup does; expects 201 and its Location.</summary>
    private async Task<TenantInfo> CreateTenantAsync(string prefix, string? fixtures = null)
    {
        var id = NewId(prefix);
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        using var body = fixtures is null ? null : new StringContent(fixtures, Encoding.UTF8, "application/yaml");
        using var response = await client.PostAsync($"_bindingserver/tenants?id={id}", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST tenants?id={id}: {(int)response.StatusCode} {text}");
        lock (_tenants)
        {
            _tenants.Add(id);
        }

        Assert.Equal($"/_bindingserver/tenants/{id}", response.Headers.Location?.ToString());
        var json = JsonNode.Parse(text)!;
        return new TenantInfo(json["id"]!.GetValue<string>(), json["kubernetesUrl"]!.GetValue<string>(), json["cloudFoundryUrl"]!.GetValue<string>(),
            json["adminUrl"]!.GetValue<string>(), json["kubeconfig"]!.GetValue<string>());
    }

    /// <summary>The machine's kubectl with the kubeconfig the tenant's POST answered, in a folder of its own.</summary>
    private async Task<Kubectl> KubectlAsync(TenantInfo tenant) => await StartedAsync(new Kubectl(server, tenant.Kubeconfig));

    /// <summary>kubectl with the server root's kubeconfig from <c>/_bindingserver/kubeconfig</c>: the default tenant.</summary>
    private async Task<Kubectl> RootKubectlAsync() => await StartedAsync(new Kubectl(server, owned: false));

    private async Task<Kubectl> StartedAsync(Kubectl kubectl)
    {
        await kubectl.InitializeAsync();
        _kubectls.Add(kubectl);
        return kubectl;
    }

    private static async Task<string> OkAsync(Kubectl kubectl, params string[] args)
    {
        var result = await kubectl.RunAsync(args);
        Assert.True(result.ExitCode == 0, $"kubectl {string.Join(' ', args)} failed: {result.Err}");
        return result.Out;
    }

    /// <summary>
    /// <c>curl -s -g --max-time 60 -w "\n%{http_code}" -X METHOD [-H …] [-d body] url</c>: the status and the body as
    /// curl printed them.
    /// </summary>
    private static async Task<CurlAnswer> CurlAsync(string method, string url, string? body = null, params string[] headers)
    {
        List<string> args = ["-s", "-g", "--max-time", "60", "-w", "\n%{http_code}", "-X", method, "-H", "Expect:"];
        foreach (var header in headers)
        {
            args.AddRange(["-H", header]);
        }

        if (body is not null)
        {
            args.AddRange(["-d", body]);
        }

        args.Add(url);
        var (exitCode, output) = await CommandLine.RunAsync("curl", null, [.. args]);
        Assert.True(exitCode == 0, $"curl {method} {url} exited {exitCode}: {output}");
        var end = output.LastIndexOf('\n');
        return new CurlAnswer(int.Parse(output[(end + 1)..], System.Globalization.CultureInfo.InvariantCulture), output[..end]);
    }

    private static readonly string[] CfAdmin = [$"Authorization: bearer {CloudFoundryTests.AdminToken}", "Content-Type: application/json"];

    /// <summary>A Cloud Controller request as the admin, expecting <paramref name="status"/>.</summary>
    private static async Task<JsonNode> CfAsync(string method, string url, int status, JsonNode? body = null)
    {
        var answer = await CurlAsync(method, url, body?.ToJsonString(), CfAdmin);
        Assert.True(answer.Status == status, $"{method} {url}: {answer.Describe()}");
        return answer.Json;
    }

    private static List<string> Names(JsonNode list, string field = "name") =>
        [.. list["resources"]!.AsArray().Select(r => r!["entity"]![field]!.GetValue<string>())];

    [Fact]
    public async Task Kubectl_with_each_tenants_kubeconfig_sees_only_that_tenants_objects_and_bindings()
    {
        var a = await CreateTenantAsync("kubectl-a");
        var b = await CreateTenantAsync("kubectl-b");
        // The kubeconfig points at the tenant's prefix on the address the POST came to; plain HTTP carries no credentials.
        Assert.Equal($"{Root}/tenants/{a.Id}", a.KubernetesUrl);
        Assert.Contains($"\n    server: {a.KubernetesUrl}\n", a.Kubeconfig);
        var inA = await KubectlAsync(a);
        var inB = await KubectlAsync(b);
        var root = await RootKubectlAsync();

        // The same names in both tenants: neither create conflicts with the other.
        foreach (var (kubectl, tenant) in new[] { (inA, a), (inB, b) })
        {
            Assert.Equal("namespace/same-name created\n", await OkAsync(kubectl, "create", "namespace", "same-name"));
            Assert.Equal("configmap/settings created\n",
                await OkAsync(kubectl, "create", "configmap", "settings", "-n", "same-name", $"--from-literal=owner={tenant.Id}"));
        }

        foreach (var (kubectl, tenant) in new[] { (inA, a), (inB, b) })
        {
            Assert.Equal("configmap/settings\n", await OkAsync(kubectl, "get", "configmaps", "-n", "same-name", "-o", "name"));
            var json = await OkAsync(kubectl, "get", "configmap", "settings", "-n", "same-name", "-o", "json");
            Assert.Empty(OfficialSchemas.Validate("core", "io.k8s.api.core.v1.ConfigMap", json));
            Assert.Equal(tenant.Id, JsonNode.Parse(json)!["data"]!["owner"]!.GetValue<string>());
        }

        // kubectl reads the tenant's OpenAPI documents at the server-relative URLs they list, under the kubeconfig's path:
        // explain shows the schema, and apply's second run patches with it.
        Assert.Contains("FIELD: data <map[string]string>", await OkAsync(inA, "explain", "configmap.data"));
        var manifest = inA.WriteFile("applied.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  namespace: same-name\ndata:\n  step: \"1\"\n");
        Assert.Equal("configmap/applied created\n", await OkAsync(inA, "apply", "-f", manifest));
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"1\"", "\"2\"", StringComparison.Ordinal));
        Assert.Equal("configmap/applied configured\n", await OkAsync(inA, "apply", "-f", manifest));
        Assert.Equal("2", await OkAsync(inA, "get", "configmap", "applied", "-n", "same-name", "-o", "jsonpath={.data.step}"));

        // The default tenant (the server's root) has neither.
        var missing = await root.RunAsync("get", "namespace", "same-name");
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal("Error from server (NotFound): namespaces \"same-name\" not found\n", missing.Err);

        // A binding made in A grants in A alone: kubectl's can-i and --as meet A's RBAC in A and B's in B.
        Assert.Equal("clusterrolebinding.rbac.authorization.k8s.io/alice-view created\n",
            await OkAsync(inA, "create", "clusterrolebinding", "alice-view", "--clusterrole=view", "--user=alice"));
        Assert.Empty(OfficialSchemas.Validate("rbac", "io.k8s.api.rbac.v1.ClusterRoleBinding",
            await OkAsync(inA, "get", "clusterrolebinding", "alice-view", "-o", "json")));
        Assert.Equal("yes\n", await OkAsync(inA, "auth", "can-i", "list", "pods", "-A", "--as", "alice"));
        var cannot = await inB.RunAsync("auth", "can-i", "list", "pods", "-A", "--as", "alice");
        Assert.Equal((1, "no\n"), (cannot.ExitCode, cannot.Out));

        var allowed = await inA.RunAsync("get", "pods", "-A", "--as", "alice");
        Assert.Equal((0, "No resources found\n"), (allowed.ExitCode, allowed.Err));
        const string forbidden =
            "Error from server (Forbidden): pods is forbidden: User \"alice\" cannot list resource \"pods\" in API group \"\" at the cluster scope\n";
        foreach (var elsewhere in new[] { inB, root })
        {
            var refused = await elsewhere.RunAsync("get", "pods", "-A", "--as", "alice");
            Assert.Equal((1, forbidden), (refused.ExitCode, refused.Err));
        }

        var unbound = await inB.RunAsync("get", "clusterrolebinding", "alice-view");
        Assert.Equal("Error from server (NotFound): clusterrolebindings.rbac.authorization.k8s.io \"alice-view\" not found\n", unbound.Err);
    }

    [Fact]
    public async Task A_kubectl_watch_in_one_tenant_sees_only_its_events_and_ends_when_the_tenant_is_deleted()
    {
        var a = await CreateTenantAsync("watch-a");
        var b = await CreateTenantAsync("watch-b");
        var inA = await KubectlAsync(a);
        var inB = await KubectlAsync(b);
        foreach (var kubectl in new[] { inA, inB })
        {
            await OkAsync(kubectl, "create", "namespace", "watched");
        }

        // Created first, so the watch's list prints it: that line says the watch has its starting point.
        await OkAsync(inA, "create", "configmap", "first", "-n", "watched");
        using var watch = inA.Start(null, "get", "configmaps", "-n", "watched", "-w", "--output-watch-events");
        var errors = watch.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        async Task ReadUntilAsync(string name)
        {
            while (await watch.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                lines.Add(line);
                if (line.StartsWith("ADDED", StringComparison.Ordinal) && line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1] == name)
                {
                    return;
                }
            }

            Assert.Fail($"kubectl's watch ended before ADDED {name}: {string.Join('\n', lines)}\n{await errors}");
        }

        try
        {
            await ReadUntilAsync("first");

            // B's create comes first: had it leaked into A's watch, its line would come before A's.
            await OkAsync(inB, "create", "configmap", "from-b", "-n", "watched");
            await OkAsync(inA, "create", "configmap", "from-a", "-n", "watched");
            await ReadUntilAsync("from-a");
            Assert.Matches(@"^ADDED\s+from-a\s+0\s+\d+s$", lines[^1]);

            // Deleting the tenant ends its watches: kubectl sees its watch close and exits by itself.
            using var client = new HttpClient { BaseAddress = server.BaseAddress };
            using var deleted = await client.DeleteAsync($"_bindingserver/tenants/{a.Id}");
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
            await watch.WaitForExitAsync(timeout.Token);
            lines.AddRange((await watch.StandardOutput.ReadToEndAsync(timeout.Token)).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            if (!watch.HasExited)
            {
                watch.Kill();
            }
        }

        Assert.True(watch.ExitCode == 0, $"kubectl exited {watch.ExitCode}: {await errors}");
        Assert.Equal("", await errors);
        Assert.Equal("EVENT", lines[0].Split(' ')[0]);
        Assert.DoesNotContain(lines, line => line.Contains("from-b", StringComparison.Ordinal));

        // The deleted tenant is gone for every client; B keeps its objects.
        var gone = await CurlAsync("GET", $"{a.KubernetesUrl}/api/v1/namespaces/watched/configmaps");
        Assert.Equal(404, gone.Status);
        Assert.Empty(OfficialSchemas.Validate("core", "io.k8s.apimachinery.pkg.apis.meta.v1.Status", gone.Text));
        Assert.Equal(($"tenants \"{a.Id}\" not found", "NotFound"), (gone.Json["message"]!.GetValue<string>(), gone.Json["reason"]!.GetValue<string>()));
        var described = await CurlAsync("GET", $"{Root}/_bindingserver/tenants/{a.Id}");
        Assert.Equal((404, $$"""{"message":"tenant \"{{a.Id}}\" not found"}"""), (described.Status, described.Text));
        Assert.Equal("configmap/from-b\n", await OkAsync(inB, "get", "configmap", "from-b", "-n", "watched", "-o", "name"));
    }

    [Fact]
    public async Task The_client_package_under_a_tenants_url_creates_lists_watches_and_its_tokens_work_there_alone()
    {
        var a = await CreateTenantAsync("client-a");
        var b = await CreateTenantAsync("client-b");
        // The tenant's URL has a path: the client must keep it in front of every request path.
        using var inA = new Kubernetes(new KubernetesClientConfiguration { Host = a.KubernetesUrl });
        using var inB = new Kubernetes(new KubernetesClientConfiguration { Host = b.KubernetesUrl });
        static V1ConfigMap ConfigMap(string name, string owner) =>
            new() { Metadata = new V1ObjectMeta { Name = name }, Data = new Dictionary<string, string> { ["owner"] = owner } };

        await inA.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "apps" } });
        await inB.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "apps" } });
        await inB.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("only-b", b.Id), "apps");
        var versions = new List<long>();
        foreach (var name in new[] { "one", "two", "three" })
        {
            var created = await inA.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap(name, a.Id), "apps");
            versions.Add(long.Parse(created.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture));
            // B writes between A's writes, in a store of its own: A's resourceVersions still only rise.
            await inB.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("b-" + name, b.Id), "apps");
        }

        var listed = await inA.CoreV1.ListNamespacedConfigMapAsync("apps");
        Assert.Equal(["one", "three", "two"], listed.Items.Select(c => c.Metadata.Name));
        Assert.All(listed.Items, c => Assert.Equal(a.Id, c.Data["owner"]));
        Assert.Equal(a.Id, (await inA.CoreV1.ReadNamespacedConfigMapAsync("two", "apps")).Data["owner"]);
        var missing = await Assert.ThrowsAsync<HttpOperationException>(() => inA.CoreV1.ReadNamespacedConfigMapAsync("only-b", "apps"));
        Assert.Equal(HttpStatusCode.NotFound, missing.Response.StatusCode);

        // The same objects on the wire, as the official schemas describe them.
        using (var http = new HttpClient())
        {
            Assert.Empty(OfficialSchemas.Validate("core", "io.k8s.api.core.v1.ConfigMapList", await http.GetStringAsync($"{a.KubernetesUrl}/api/v1/namespaces/apps/configmaps")));
            Assert.Empty(OfficialSchemas.Validate("core", "io.k8s.api.core.v1.ConfigMap", await http.GetStringAsync($"{a.KubernetesUrl}/api/v1/namespaces/apps/configmaps/one")));
        }

        // A watch from the list's resourceVersion gets A's changes, in A's revision order, and none of B's.
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var events = new List<(WatchEventType Type, V1ConfigMap Object)>();
        var stream = inA.CoreV1.WatchListNamespacedConfigMapAsync("apps", resourceVersion: listed.Metadata.ResourceVersion, timeoutSeconds: 60,
            cancellationToken: cancel.Token);
        var reading = Task.Run(async () =>
        {
            await foreach (var (type, item) in stream)
            {
                events.Add((type, item));
                if (type == WatchEventType.Deleted)
                {
                    return;
                }
            }
        });
        await inB.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("watched", b.Id), "apps");
        await inA.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("watched", a.Id), "apps");
        await inA.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"data":{"step":"2"}}""", V1Patch.PatchType.MergePatch), "watched", "apps");
        await inA.CoreV1.DeleteNamespacedConfigMapAsync("watched", "apps");
        await reading.WaitAsync(cancel.Token);

        Assert.Equal([WatchEventType.Added, WatchEventType.Modified, WatchEventType.Deleted], events.Select(e => e.Type));
        Assert.All(events, e => Assert.Equal(("watched", a.Id), (e.Object.Metadata.Name, e.Object.Data["owner"])));
        versions.AddRange(events.Select(e => long.Parse(e.Object.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(versions.Order().Distinct(), versions);

        // A token of A's default service account. B has an account of the same namespace and name (both start from the
        // same start state), so B must refuse the token for whose signature it carries, not for whom it names.
        var request = await inA.CoreV1.CreateNamespacedServiceAccountTokenAsync(
            new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec { Audiences = ["https://kubernetes.default.svc.cluster.local"] } }, "default", "default");
        var token = request.Status.Token;
        Assert.Equal("default", (await inB.CoreV1.ReadNamespacedServiceAccountAsync("default", "default")).Metadata.Name);

        using var withTokenInA = new Kubernetes(new KubernetesClientConfiguration { Host = a.KubernetesUrl, AccessToken = token });
        var review = await withTokenInA.AuthenticationV1.CreateSelfSubjectReviewAsync(new V1SelfSubjectReview());
        Assert.Equal("system:serviceaccount:default:default", review.Status.UserInfo.Username);
        var notAllowed = await Assert.ThrowsAsync<HttpOperationException>(() => withTokenInA.CoreV1.ListNamespacedConfigMapAsync("apps"));
        Assert.Equal(HttpStatusCode.Forbidden, notAllowed.Response.StatusCode);

        foreach (var elsewhere in new[] { b.KubernetesUrl, Root })
        {
            using var withTokenThere = new Kubernetes(new KubernetesClientConfiguration { Host = elsewhere, AccessToken = token });
            var refused = await Assert.ThrowsAsync<HttpOperationException>(() => withTokenThere.AuthenticationV1.CreateSelfSubjectReviewAsync(new V1SelfSubjectReview()));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.Response.StatusCode);
            Assert.Empty(OfficialSchemas.Validate("core", "io.k8s.apimachinery.pkg.apis.meta.v1.Status", refused.Response.Content));
            Assert.Equal("Unauthorized", KubernetesJson.Deserialize<V1Status>(refused.Response.Content).Reason);
        }
    }

    [Fact]
    public async Task Curl_drives_each_tenants_cloud_controller_apart_and_binds_through_the_tenants_own_broker()
    {
        var a = await CreateTenantAsync("cf-a");
        var b = await CreateTenantAsync("cf-b");
        var space = (await CfAsync("GET", $"{a.CloudFoundryUrl}/v2/spaces?q=name:default-space", 200))["resources"]![0]!["metadata"]!["guid"]!.GetValue<string>();
        var app = (await CfAsync("POST", $"{a.CloudFoundryUrl}/v2/apps", 201, new JsonObject { ["name"] = "tenant-app", ["space_guid"] = space }))
            ["metadata"]!["guid"]!.GetValue<string>();

        // B's Cloud Controller has no such app, by list or by guid.
        Assert.Equal(["tenant-app"], Names(await CfAsync("GET", $"{a.CloudFoundryUrl}/v2/apps", 200)));
        Assert.Empty(Names(await CfAsync("GET", $"{b.CloudFoundryUrl}/v2/apps", 200)));
        var notInB = await CfAsync("GET", $"{b.CloudFoundryUrl}/v2/apps/{app}", 404);
        Assert.Equal("CF-AppNotFound", notInB["error_code"]!.GetValue<string>());

        // A user-provided instance bound in A shows in the app's environment there.
        var provided = (await CfAsync("POST", $"{a.CloudFoundryUrl}/v2/user_provided_service_instances", 201, new JsonObject
        {
            ["name"] = "tenant-ups", ["space_guid"] = space, ["credentials"] = new JsonObject { ["uri"] = $"postgres://{a.Id}" },
        }))["metadata"]!["guid"]!.GetValue<string>();
        await CfAsync("POST", $"{a.CloudFoundryUrl}/v2/service_bindings", 201, new JsonObject { ["app_guid"] = app, ["service_instance_guid"] = provided });

        // The built-in broker as the tenant registered it: its URL is the tenant's own.
        var brokers = await CfAsync("GET", $"{a.CloudFoundryUrl}/v2/service_brokers", 200);
        Assert.Equal([$"{a.CloudFoundryUrl}/_bindingserver/osb"], Names(brokers, "broker_url"));
        var fakeDb = (await CfAsync("GET", $"{a.CloudFoundryUrl}/v2/services?q=label:fake-db", 200))["resources"]![0]!["metadata"]!["guid"]!.GetValue<string>();
        var small = (await CfAsync("GET", $"{a.CloudFoundryUrl}/v2/service_plans?q=service_guid:{fakeDb}", 200))["resources"]!.AsArray()
            .Single(p => p!["entity"]!["name"]!.GetValue<string>() == "small")!["metadata"]!["guid"]!.GetValue<string>();
        var instance = await CfAsync("POST", $"{a.CloudFoundryUrl}/v2/service_instances", 201,
            new JsonObject { ["name"] = "tenant-db", ["space_guid"] = space, ["service_plan_guid"] = small });
        Assert.Equal("succeeded", instance["entity"]!["last_operation"]!["state"]!.GetValue<string>());
        var instanceGuid = instance["metadata"]!["guid"]!.GetValue<string>();
        var binding = await CfAsync("POST", $"{a.CloudFoundryUrl}/v2/service_bindings", 201,
            new JsonObject { ["app_guid"] = app, ["service_instance_guid"] = instanceGuid });
        var credentials = binding["entity"]!["credentials"]!;
        Assert.Equal($"fake://{instanceGuid}", credentials["uri"]!.GetValue<string>());

        // The binding lives in A's broker (it keeps bindings to be fetched back), not in B's or the root's.
        var bindingPath = $"/_bindingserver/osb/v2/service_instances/{instanceGuid}/service_bindings/{binding["metadata"]!["guid"]!.GetValue<string>()}";
        var basic = "Authorization: Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("bindingserver:bindingserver"));
        var fetched = await CurlAsync("GET", a.CloudFoundryUrl + bindingPath, null, basic, "X-Broker-API-Version: 2.15");
        Assert.True(fetched.Status == 200, fetched.Describe());
        Assert.Equal(credentials.ToJsonString(), fetched.Json["credentials"]!.ToJsonString());
        foreach (var elsewhere in new[] { b.CloudFoundryUrl, Root })
        {
            Assert.Equal(404, (await CurlAsync("GET", elsewhere + bindingPath, null, basic, "X-Broker-API-Version: 2.15")).Status);
        }

        var env = await CfAsync("GET", $"{a.CloudFoundryUrl}/v2/apps/{app}/env", 200);
        var services = env["system_env_json"]!["VCAP_SERVICES"]!;
        var ups = services["user-provided"]!.AsArray().Single()!;
        Assert.Equal(("tenant-ups", $"postgres://{a.Id}"), (ups["name"]!.GetValue<string>(), ups["credentials"]!["uri"]!.GetValue<string>()));
        var managed = services["fake-db"]!.AsArray().Single()!;
        Assert.Equal(("tenant-db", "small"), (managed["instance_name"]!.GetValue<string>(), managed["plan"]!.GetValue<string>()));
        Assert.Equal(credentials.ToJsonString(), managed["credentials"]!.ToJsonString());
        Assert.Empty(Names(await CfAsync("GET", $"{b.CloudFoundryUrl}/v2/service_instances", 200)));
    }

    [Fact]
    public async Task A_real_broker_registered_in_one_tenant_adds_its_services_there_alone_and_its_name_is_free_in_another()
    {
        var a = await CreateTenantAsync("broker-a");
        var b = await CreateTenantAsync("broker-b");
        JsonObject Registration() => new()
        {
            ["name"] = "team-broker", ["broker_url"] = broker.BaseAddress.ToString().TrimEnd('/'),
            ["auth_username"] = broker.Username, ["auth_password"] = broker.Password,
        };
        async Task<int> CatalogFetchesAsync() => (await broker.RequestsAsync()).Count(r => r is { Method: "GET", Path: "/v2/catalog" });

        var fetchesBefore = await CatalogFetchesAsync();
        var inA = await CfAsync("POST", $"{a.CloudFoundryUrl}/v2/service_brokers", 201, Registration());
        Assert.Equal(fetchesBefore + 1, await CatalogFetchesAsync());

        var servicesA = await CfAsync("GET", $"{a.CloudFoundryUrl}/v2/services", 200);
        var testDb = servicesA["resources"]!.AsArray().Single(s => s!["entity"]!["label"]!.GetValue<string>() == "test-db")!["entity"]!;
        Assert.Equal(inA["metadata"]!["guid"]!.GetValue<string>(), testDb["service_broker_guid"]!.GetValue<string>());
        Assert.Equal(TestBrokerProcess.ServiceId, testDb["unique_id"]!.GetValue<string>());
        Assert.DoesNotContain("test-db", Names(await CfAsync("GET", $"{b.CloudFoundryUrl}/v2/services", 200), "label"));
        Assert.Equal(["bindingserver"], Names(await CfAsync("GET", $"{b.CloudFoundryUrl}/v2/service_brokers", 200)));
        Assert.DoesNotContain("team-broker", Names(await CfAsync("GET", $"{Root}/v2/service_brokers", 200)));

        // The name is A's only: B registers its own broker by it, and A still refuses it a second time.
        var inB = await CfAsync("POST", $"{b.CloudFoundryUrl}/v2/service_brokers", 201, Registration());
        Assert.NotEqual(inA["metadata"]!["guid"]!.GetValue<string>(), inB["metadata"]!["guid"]!.GetValue<string>());
        Assert.Contains("test-db", Names(await CfAsync("GET", $"{b.CloudFoundryUrl}/v2/services", 200), "label"));
        var taken = await CfAsync("POST", $"{a.CloudFoundryUrl}/v2/service_brokers", 400, Registration());
        Assert.Equal("""{"description":"The service broker name is taken","error_code":"CF-ServiceBrokerNameTaken","code":270002}""", taken.ToJsonString());
        Assert.Equal(["bindingserver", "team-broker"], Names(await CfAsync("GET", $"{a.CloudFoundryUrl}/v2/service_brokers", 200)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_admin_api_under_a_tenant_journals_faults_exports_and_resets_that_tenant_alone()
    {
        var a = await CreateTenantAsync("admin-a");
        var b = await CreateTenantAsync("admin-b");
        var inA = await KubectlAsync(a);
        var inB = await KubectlAsync(b);
        Assert.Equal(a.KubernetesUrl + "/_bindingserver", a.AdminUrl);
        Assert.Equal(204, (await CurlAsync("DELETE", $"{a.AdminUrl}/journal")).Status);

        await OkAsync(inA, "create", "namespace", "admin-a-ns");
        await OkAsync(inA, "create", "configmap", "kept", "-n", "admin-a-ns", "--from-literal=owner=a");
        await OkAsync(inB, "create", "namespace", "admin-b-ns");
        await OkAsync(inB, "create", "configmap", "kept", "-n", "admin-b-ns", "--from-literal=owner=b");

        // A's journal has A's requests, with paths as the default tenant's journal shows them (no prefix), and none of B's.
        var journal = await CurlAsync("GET", $"{a.AdminUrl}/journal");
        Assert.Equal(200, journal.Status);
        var entries = journal.Json["entries"]!.AsArray().Select(e => e!).ToList();
        var posts = entries.Where(e => e["method"]!.GetValue<string>() == "POST").Select(e => (e["path"]!.GetValue<string>(), e["status"]!.GetValue<int>()));
        Assert.Equal([("/api/v1/namespaces", 201), ("/api/v1/namespaces/admin-a-ns/configmaps", 201)], posts);
        Assert.DoesNotContain(entries, e => e["path"]!.GetValue<string>().Contains("admin-b-ns", StringComparison.Ordinal));
        Assert.All(entries, e => Assert.DoesNotContain("/tenants/", e["path"]!.GetValue<string>(), StringComparison.Ordinal));
        var rootJournal = (await CurlAsync("GET", $"{Root}/_bindingserver/journal")).Json["entries"]!.AsArray();
        Assert.DoesNotContain(rootJournal, e => e!["path"]!.GetValue<string>().Contains("admin-a-ns", StringComparison.Ordinal));

        // A fault in A: A's namespace list fails with the apiserver's 503, B's is served.
        var fault = await CurlAsync("POST", $"{a.AdminUrl}/faults", """{"method":"GET","path":"/api/v1/namespaces","status":503}""",
            "Content-Type: application/json");
        Assert.True(fault.Status == 201, fault.Describe());
        var failed = await CurlAsync("GET", $"{a.KubernetesUrl}/api/v1/namespaces");
        Assert.Equal(503, failed.Status);
        Assert.Empty(OfficialSchemas.Validate("core", "io.k8s.apimachinery.pkg.apis.meta.v1.Status", failed.Text));
        Assert.Equal("ServiceUnavailable", failed.Json["reason"]!.GetValue<string>());
        var served = await CurlAsync("GET", $"{b.KubernetesUrl}/api/v1/namespaces");
        Assert.Equal(200, served.Status);
        Assert.Empty(OfficialSchemas.Validate("core", "io.k8s.api.core.v1.NamespaceList", served.Text));
        Assert.Equal("""{"faults":[]}""", (await CurlAsync("GET", $"{b.AdminUrl}/faults")).Text);
        Assert.Equal(200, (await CurlAsync("GET", $"{Root}/api/v1/namespaces")).Status);
        Assert.Equal(204, (await CurlAsync("DELETE", $"{a.AdminUrl}/faults")).Status);
        Assert.Equal(200, (await CurlAsync("GET", $"{a.KubernetesUrl}/api/v1/namespaces")).Status);

        // A's export holds A's objects only.
        var export = await CurlAsync("GET", $"{a.AdminUrl}/export?family=kubernetes");
        Assert.Equal(200, export.Status);
        Assert.Contains("\n  name: admin-a-ns\n", export.Text);
        Assert.Contains("apiVersion: v1\ndata:\n  owner: a\nkind: ConfigMap\nmetadata:\n  name: kept\n  namespace: admin-a-ns\n", export.Text);
        Assert.DoesNotContain("admin-b-ns", export.Text);
        Assert.DoesNotContain("admin-a-ns", (await CurlAsync("GET", $"{Root}/_bindingserver/export?family=kubernetes")).Text);

        // A reset in A takes A back to the start state; B keeps what it made.
        var reset = await CurlAsync("POST", $"{a.AdminUrl}/reset");
        Assert.True(reset.Status == 200, reset.Describe());
        Assert.True(reset.Json["removed"]!.GetValue<int>() > 0, reset.Text);
        var afterReset = await inA.RunAsync("get", "namespace", "admin-a-ns");
        Assert.Equal("Error from server (NotFound): namespaces \"admin-a-ns\" not found\n", afterReset.Err);
        Assert.Equal("b", await OkAsync(inB, "get", "configmap", "kept", "-n", "admin-b-ns", "-o", "jsonpath={.data.owner}"));
    }

    [Fact]
    public async Task Twenty_tenants_made_at_once_each_keep_their_own_same_named_objects_and_reset_at_once()
    {
        // As a CI suite's parallel tests do: each makes its tenant (loaded with a fixture), then the same names in it.
        const string fixture = """
            apiVersion: v1
            kind: Namespace
            metadata:
              name: ci
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: seeded
              namespace: ci
            data:
              from: fixture
            """;
        var tenants = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => CreateTenantAsync($"ci{i}", fixture)));
        Assert.Equal(20, tenants.Select(t => t.Id).Distinct().Count());

        using var http = new HttpClient();
        async Task<HttpStatusCode> PostAsync(string url, string json)
        {
            using var response = await http.PostAsync(url, new StringContent(json, Encoding.UTF8, "application/json"));
            return response.StatusCode;
        }

        var made = await Task.WhenAll(tenants.Select(async t => await PostAsync($"{t.KubernetesUrl}/api/v1/namespaces/ci/configmaps",
            $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"settings"},"data":{"owner":"{{{t.Id}}}"}}""")));
        Assert.All(made, status => Assert.Equal(HttpStatusCode.Created, status));

        var seen = await Task.WhenAll(tenants.Select(async t =>
            JsonNode.Parse(await http.GetStringAsync($"{t.KubernetesUrl}/api/v1/namespaces/ci/configmaps"))!));
        // One list against the schema is enough (each validation reads the whole core document); all for their items.
        Assert.Empty(OfficialSchemas.Validate("core", "io.k8s.api.core.v1.ConfigMapList", seen[0].ToJsonString()));
        foreach (var (tenant, list) in tenants.Zip(seen))
        {
            var items = list["items"]!.AsArray().ToDictionary(i => i!["metadata"]!["name"]!.GetValue<string>(), i => i!["data"]!);
            Assert.Equal(["seeded", "settings"], items.Keys.Order(StringComparer.Ordinal));
            Assert.Equal(tenant.Id, items["settings"]["owner"]!.GetValue<string>());
        }

        var listed = JsonNode.Parse(await http.GetStringAsync($"{Root}/_bindingserver/tenants"))!["tenants"]!.AsArray()
            .Select(t => t!["id"]!.GetValue<string>()).ToHashSet();
        Assert.Subset(listed, tenants.Select(t => t.Id).ToHashSet());

        var resets = await Task.WhenAll(tenants.Select(async t =>
        {
            using var response = await http.PostAsync($"{t.AdminUrl}/reset", null);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }));
        Assert.All(resets, reset => Assert.True(reset.StatusCode == HttpStatusCode.OK, reset.Item2));

        // Each is back at the start state (the fixture was not part of it), and the next test can make the names again.
        var after = await Task.WhenAll(tenants.Select(async t =>
        {
            using var response = await http.GetAsync($"{t.KubernetesUrl}/api/v1/namespaces/ci");
            return response.StatusCode;
        }));
        Assert.All(after, status => Assert.Equal(HttpStatusCode.NotFound, status));
        var again = await Task.WhenAll(tenants.Select(t => PostAsync($"{t.KubernetesUrl}/api/v1/namespaces", """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ci"}}""")));
        Assert.All(again, status => Assert.Equal(HttpStatusCode.Created, status));
    }

    /// <summary>What <c>POST /_bindingserver/tenants</c> answered.</summary>
    private sealed record TenantInfo(string Id, string KubernetesUrl, string CloudFoundryUrl, string AdminUrl, string Kubeconfig);

    /// <summary>One curl exchange: the status and the body.</summary>
    private sealed record CurlAnswer(int Status, string Text)
    {
        public JsonNode Json => JsonNode.Parse(Text) ?? throw new InvalidOperationException("no JSON body: " + Describe());

        public string Describe() => $"{Status}: {Text}";
    }
}
