namespace BindingServer.EndToEnd;

/// <summary>A scheduler's flow with the real kubectl: create a pod, bind it through both endpoints, see the node.</summary>
public sealed class KubectlPodTests(Kubectl kubectl) : IClassFixture<Kubectl>
{
    private static string Pod(string name) => $"""
        apiVersion: v1
        kind: Pod
        metadata:
          name: {name}
          labels:
            app: web
        spec:
          containers:
          - name: c
            image: nginx
        """;

    private static string Binding(string name, string node) =>
        $$$"""{"apiVersion":"v1","kind":"Binding","metadata":{"name":"{{{name}}}"},"target":{"apiVersion":"v1","kind":"Node","name":"{{{node}}}"}}""";

    private async Task<string> OkAsync(params string[] args)
    {
        var result = await kubectl.RunAsync(args);
        Assert.True(result.ExitCode == 0, $"kubectl {string.Join(' ', args)} failed: {result.Err}");
        Assert.Equal("", result.Err);
        return result.Out;
    }

    [Fact]
    public async Task Create_bind_and_see_the_node_in_wide_output()
    {
        Assert.Equal("pod/kp-1 created\n", await OkAsync("create", "-f", kubectl.WriteFile("kp-1.yaml", Pod("kp-1"))));
        Assert.Matches(@"^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES\nkp-1\s+0/1\s+Pending\s+0\s+\d+s\s+<none>\s+<none>\s+<none>\s+<none>\n$",
            await OkAsync("get", "pod", "kp-1", "-o", "wide"));
        Assert.Matches(@"(?m)^kp-1\s", await OkAsync("get", "pods", "--field-selector", "spec.nodeName="));

        var bound = await OkAsync("create", "--raw", "/api/v1/namespaces/default/pods/kp-1/binding", "-f", kubectl.WriteFile("kp-1-binding.json", Binding("kp-1", "node-a")));

        Assert.Equal("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","code":201}""", bound.Trim());
        Assert.Matches(@"(?m)^kp-1\s+0/1\s+Pending\s+0\s+\d+s\s+<none>\s+node-a\s+<none>\s+<none>$", await OkAsync("get", "pods", "-o", "wide"));
        Assert.DoesNotMatch(@"(?m)^kp-1\s", (await kubectl.RunAsync("get", "pods", "--field-selector", "spec.nodeName=")).Out);
    }

    [Fact]
    public async Task A_kubelets_status_patch_shows_in_get_and_leaves_the_spec()
    {
        await OkAsync("create", "-f", kubectl.WriteFile("kp-status.yaml", Pod("kp-status")));

        var patched = await OkAsync("patch", "pod", "kp-status", "--subresource=status", "--type=merge",
            "-p", """{"status":{"phase":"Running","podIP":"10.1.2.3","containerStatuses":[{"name":"c","ready":true,"restartCount":2,"image":"nginx","imageID":"","state":{"running":{}}}]},"spec":{"nodeName":"ignored"}}""");

        Assert.Equal("pod/kp-status patched\n", patched);
        Assert.Matches(@"(?m)^kp-status\s+1/1\s+Running\s+2\s+\d+s\s+10\.1\.2\.3\s+<none>\s", await OkAsync("get", "pod", "kp-status", "-o", "wide"));
        Assert.Equal("Running", await OkAsync("get", "pod", "kp-status", "--subresource=status", "-o", "jsonpath={.status.phase}"));
    }

    [Fact]
    public async Task A_schedulers_event_shows_in_get_events_and_describe()
    {
        await OkAsync("create", "-f", kubectl.WriteFile("kp-event.yaml", Pod("kp-event")));
        var uid = await OkAsync("get", "pod", "kp-event", "-o", "jsonpath={.metadata.uid}");
        var now = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("event/kp-event.1 created\n", await OkAsync("create", "-f", kubectl.WriteFile("kp-event-1.yaml", $$"""
            apiVersion: v1
            kind: Event
            metadata: {name: kp-event.1}
            involvedObject: {kind: Pod, namespace: default, name: kp-event, uid: {{uid}}, apiVersion: v1}
            reason: Scheduled
            message: Successfully assigned default/kp-event to node-a
            source: {component: default-scheduler}
            type: Normal
            firstTimestamp: "{{now}}"
            lastTimestamp: "{{now}}"
            count: 1
            """)));

        Assert.Matches(@"(?m)^\d+s\s+Normal\s+Scheduled\s+pod/kp-event\s+Successfully assigned default/kp-event to node-a$",
            await OkAsync("get", "events", "--field-selector", "involvedObject.name=kp-event"));
        Assert.Matches(@"(?m)^  Normal\s+Scheduled\s+\d+s\s+default-scheduler\s+Successfully assigned default/kp-event to node-a$",
            await OkAsync("describe", "pod", "kp-event"));
    }

    [Fact]
    public async Task The_servers_yaml_is_what_kubectl_renders_with_go_yaml()
    {
        await OkAsync("create", "-f", kubectl.WriteFile("kp-yaml.yaml", Pod("kp-yaml")));
        await OkAsync("annotate", "pod", "kp-yaml", "note=line1\nline2\n", "colon=a: b", "empty=", "yes=yes", "when=2024-01-02T03:04:05Z",
            "dash=-", "hash=#x", "octal=08", "time=1:30", "quote=it's", "tab=a\tb", "lead= x");

        using var http = new HttpClient { BaseAddress = kubectl.ServerAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/namespaces/default/pods/kp-yaml");
        request.Headers.Accept.ParseAdd("application/yaml");
        using var response = await http.SendAsync(request);

        // kubectl turns the JSON it reads into YAML with the same go-yaml the apiserver uses.
        Assert.Equal(await OkAsync("get", "pod", "kp-yaml", "-o", "yaml", "--show-managed-fields"), await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Create_f_of_a_binding_manifest_validates_it_as_kubectl_does_against_a_real_server()
    {
        await OkAsync("create", "-f", kubectl.WriteFile("kp-manifest.yaml", Pod("kp-manifest")));
        var binding = """
            apiVersion: v1
            kind: Binding
            metadata: {name: kp-manifest}
            target: {apiVersion: v1, kind: Node, name: node-m}
            """;

        // A Binding has no patch operation, so kubectl validates it itself against the protobuf OpenAPI document.
        var unknownField = await kubectl.RunAsync("create", "-f", kubectl.WriteFile("kp-manifest-bad.yaml", binding + "\ncolor: red\n"));
        Assert.NotEqual(0, unknownField.ExitCode);
        Assert.Contains("error validating data: ValidationError(Binding): unknown field \"color\" in io.k8s.api.core.v1.Binding", unknownField.Err);

        await OkAsync("create", "-f", kubectl.WriteFile("kp-manifest-binding.yaml", binding));
        Assert.Equal("node-m", await OkAsync("get", "pod", "kp-manifest", "-o", "jsonpath={.spec.nodeName}"));
    }

    [Fact]
    public async Task A_second_binding_is_refused_with_the_conflict_line()
    {
        await OkAsync("create", "-f", kubectl.WriteFile("kp-2.yaml", Pod("kp-2")));
        await OkAsync("create", "--raw", "/api/v1/namespaces/default/bindings", "-f", kubectl.WriteFile("kp-2-binding.json", Binding("kp-2", "node-a")));

        var again = await kubectl.RunAsync("create", "--raw", "/api/v1/namespaces/default/pods/kp-2/binding", "-f", kubectl.WriteFile("kp-2-binding-b.json", Binding("kp-2", "node-b")));

        Assert.NotEqual(0, again.ExitCode);
        Assert.Equal("Error from server (Conflict): Operation cannot be fulfilled on pods/binding \"kp-2\": pod kp-2 is already assigned to node \"node-a\"\n", again.Err);
    }

    [Fact]
    public async Task Deleting_a_bound_pod_does_not_hang()
    {
        await OkAsync("create", "-f", kubectl.WriteFile("kp-3.yaml", Pod("kp-3")));
        await OkAsync("create", "--raw", "/api/v1/namespaces/default/pods/kp-3/binding", "-f", kubectl.WriteFile("kp-3-binding.json", Binding("kp-3", "node-a")));

        Assert.Equal("pod \"kp-3\" deleted\n", await OkAsync("delete", "pod", "kp-3", "--timeout=60s"));
        Assert.Equal(1, (await kubectl.RunAsync("get", "pod", "kp-3")).ExitCode);
    }

    [Fact]
    public async Task Namespaces_create_list_and_delete()
    {
        Assert.Equal("namespace/kp-ns created\n", await OkAsync("create", "namespace", "kp-ns"));
        await OkAsync("create", "-n", "kp-ns", "-f", kubectl.WriteFile("kp-4.yaml", Pod("kp-4")));
        Assert.Matches(@"(?m)^kp-ns\s+Active\s+\d+s$", await OkAsync("get", "namespaces"));
        Assert.Matches(@"(?m)^kp-ns\s+kp-4\s+0/1\s+Pending", await OkAsync("get", "pods", "-A"));

        Assert.Equal("namespace \"kp-ns\" deleted\n", await OkAsync("delete", "namespace", "kp-ns", "--timeout=60s"));
        Assert.Equal("Error from server (NotFound): namespaces \"kp-ns\" not found\n", (await kubectl.RunAsync("get", "namespace", "kp-ns")).Err);
        var forbidden = await kubectl.RunAsync("delete", "namespace", "kube-system");
        Assert.Equal("Error from server (Forbidden): namespaces \"kube-system\" is forbidden: this namespace may not be deleted\n", forbidden.Err);
    }

    [Fact]
    public async Task Run_and_describe_a_pod()
    {
        Assert.Equal("pod/kp-run created\n", await OkAsync("run", "kp-run", "--image=nginx:1.27"));

        var described = await OkAsync("describe", "pod", "kp-run");

        Assert.Matches(@"Name:\s+kp-run", described);
        Assert.Matches(@"Image:\s+nginx:1.27", described);
        Assert.Matches(@"Status:\s+Pending", described);
    }
}
