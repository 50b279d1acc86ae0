using System.Text.Json.Nodes;

namespace BindingServer.EndToEnd;

/// <summary>
/// The real kubectl (v1.32) against the real server process, command by command, asserting what kubectl prints.
/// Nothing here passes --validate=false, and stderr must stay free of discovery and OpenAPI complaints.
/// </summary>
public sealed class KubectlClusterRoleBindingTests(Kubectl kubectl) : IClassFixture<Kubectl>
{
    private static string Manifest(string name, string user = "alice", string labels = "") => $"""
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata:
          name: {name}
        {labels}
        subjects:
        - kind: User
          name: {user}
          apiGroup: rbac.authorization.k8s.io
        roleRef:
          kind: ClusterRole
          name: view
          apiGroup: rbac.authorization.k8s.io
        """;

    private async Task<string> OkAsync(params string[] args)
    {
        var result = await kubectl.RunAsync(args);
        Assert.True(result.ExitCode == 0, $"kubectl {string.Join(' ', args)} failed: {result.Err}");
        Assert.Equal("", result.Err);
        return result.Out;
    }

    private async Task CreateAsync(string name, string labels = "") =>
        Assert.Equal($"clusterrolebinding.rbac.authorization.k8s.io/{name} created\n",
            await OkAsync("create", "-f", kubectl.WriteFile($"{name}.yaml", Manifest(name, labels: labels))));

    [Fact]
    public async Task Version_reports_the_emulated_server()
    {
        var output = await OkAsync("version");

        Assert.Contains("Server Version: v1.32.4", output);
    }

    [Fact]
    public async Task Api_resources_and_versions_come_from_discovery()
    {
        var resources = await OkAsync("api-resources");
        var versions = await OkAsync("api-versions");

        Assert.Matches(@"(?m)^clusterrolebindings\s+rbac\.authorization\.k8s\.io/v1\s+false\s+ClusterRoleBinding$", resources);
        Assert.Matches(@"(?m)^selfsubjectaccessreviews\s+authorization\.k8s\.io/v1\s+false\s+SelfSubjectAccessReview$", resources);
        Assert.Contains("rbac.authorization.k8s.io/v1\n", versions);
        var wide = await OkAsync("api-resources", "-o", "wide", "--api-group=rbac.authorization.k8s.io");
        Assert.Contains("create,delete,deletecollection,get,list,patch,update,watch", wide);
    }

    [Fact]
    public async Task Imperative_create_sends_protobuf_and_get_prints_the_real_columns()
    {
        Assert.Equal("clusterrolebinding.rbac.authorization.k8s.io/k-imperative created\n",
            await OkAsync("create", "clusterrolebinding", "k-imperative", "--clusterrole=view", "--user=alice", "--user=bob", "--group=devs", "--serviceaccount=default:sa1"));

        var table = await OkAsync("get", "clusterrolebinding", "k-imperative");
        var wide = await OkAsync("get", "clusterrolebinding", "k-imperative", "-o", "wide");

        Assert.Matches(@"^NAME\s+ROLE\s+AGE\nk-imperative\s+ClusterRole/view\s+\d+s\n$", table);
        Assert.Matches(@"^NAME\s+ROLE\s+AGE\s+USERS\s+GROUPS\s+SERVICEACCOUNTS\nk-imperative\s+ClusterRole/view\s+\d+s\s+alice, bob\s+devs\s+default/sa1\n$", wide);
    }

    [Fact]
    public async Task Output_formats()
    {
        await CreateAsync("k-formats");

        var yaml = await OkAsync("get", "clusterrolebinding", "k-formats", "-o", "yaml");
        var json = JsonNode.Parse(await OkAsync("get", "clusterrolebinding", "k-formats", "-o", "json"))!;
        var name = await OkAsync("get", "clusterrolebinding", "k-formats", "-o", "name");
        var path = await OkAsync("get", "clusterrolebinding", "k-formats", "-o", "jsonpath={.roleRef.kind}/{.roleRef.name}");

        Assert.Contains("kind: ClusterRoleBinding", yaml);
        Assert.Contains("  name: k-formats", yaml);
        Assert.Equal("alice", json["subjects"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("clusterrolebinding.rbac.authorization.k8s.io/k-formats\n", name);
        Assert.Equal("ClusterRole/view", path);
    }

    [Fact]
    public async Task Describe_shows_role_and_subjects()
    {
        await CreateAsync("k-describe");

        var output = await OkAsync("describe", "clusterrolebinding", "k-describe");

        Assert.Matches(@"Name:\s+k-describe", output);
        Assert.Matches(@"Kind:\s+ClusterRole", output);
        Assert.Matches(@"User\s+alice", output);
    }

    [Fact]
    public async Task Apply_create_unchanged_configured_and_server_side()
    {
        var file = kubectl.WriteFile("k-apply.yaml", Manifest("k-apply"));
        Assert.Equal("clusterrolebinding.rbac.authorization.k8s.io/k-apply created\n", await OkAsync("apply", "-f", file));
        Assert.Equal("clusterrolebinding.rbac.authorization.k8s.io/k-apply unchanged\n", await OkAsync("apply", "-f", file));

        var changed = kubectl.WriteFile("k-apply.yaml", Manifest("k-apply", user: "bob"));
        Assert.Equal("clusterrolebinding.rbac.authorization.k8s.io/k-apply configured\n", await OkAsync("apply", "-f", changed));
        Assert.Equal("bob", await OkAsync("get", "clusterrolebinding", "k-apply", "-o", "jsonpath={.subjects[0].name}"));

        var serverSide = kubectl.WriteFile("k-ssa.yaml", Manifest("k-ssa"));
        Assert.Equal("clusterrolebinding.rbac.authorization.k8s.io/k-ssa serverside-applied\n", await OkAsync("apply", "--server-side", "-f", serverSide));
    }

    [Fact]
    public async Task Create_of_an_existing_object_reports_AlreadyExists()
    {
        await CreateAsync("k-exists");

        var result = await kubectl.RunAsync("create", "-f", Path.Combine(kubectl.Folder, "k-exists.yaml"));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("Error from server (AlreadyExists): error when creating", result.Err);
        Assert.Contains("clusterrolebindings.rbac.authorization.k8s.io \"k-exists\" already exists", result.Err);
    }

    [Fact]
    public async Task Replace_and_a_roleRef_change_error()
    {
        await CreateAsync("k-replace");
        var replaced = kubectl.WriteFile("k-replace-2.yaml", Manifest("k-replace", user: "carol"));
        Assert.Equal("clusterrolebinding.rbac.authorization.k8s.io/k-replace replaced\n", await OkAsync("replace", "-f", replaced));

        var otherRole = kubectl.WriteFile("k-replace-3.yaml", Manifest("k-replace").Replace("name: view", "name: edit"));
        var result = await kubectl.RunAsync("replace", "-f", otherRole);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("The ClusterRoleBinding \"k-replace\" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"ClusterRole\", Name:\"edit\"}: cannot change roleRef", result.Err);
    }

    [Fact]
    public async Task Patch_in_every_type_label_and_annotate()
    {
        await CreateAsync("k-patch");

        Assert.Equal("clusterrolebinding.rbac.authorization.k8s.io/k-patch patched\n",
            await OkAsync("patch", "clusterrolebinding", "k-patch", "--type", "merge", "-p", """{"metadata":{"labels":{"merged":"yes"}}}"""));
        Assert.Equal("clusterrolebinding.rbac.authorization.k8s.io/k-patch patched (no change)\n",
            await OkAsync("patch", "clusterrolebinding", "k-patch", "--type", "merge", "-p", """{"metadata":{"labels":{"merged":"yes"}}}"""));
        Assert.Equal("clusterrolebinding.rbac.authorization.k8s.io/k-patch patched\n",
            await OkAsync("patch", "clusterrolebinding", "k-patch", "--type", "json", "-p", """[{"op":"add","path":"/metadata/labels/json","value":"yes"}]"""));
        Assert.Equal("clusterrolebinding.rbac.authorization.k8s.io/k-patch patched\n",
            await OkAsync("patch", "clusterrolebinding", "k-patch", "-p", """{"subjects":[{"kind":"Group","name":"ops","apiGroup":"rbac.authorization.k8s.io"}]}"""));
        Assert.Equal("clusterrolebinding.rbac.authorization.k8s.io/k-patch labeled\n", await OkAsync("label", "clusterrolebinding", "k-patch", "team=a"));
        Assert.Equal("clusterrolebinding.rbac.authorization.k8s.io/k-patch annotated\n", await OkAsync("annotate", "clusterrolebinding", "k-patch", "note=hello"));

        var json = JsonNode.Parse(await OkAsync("get", "clusterrolebinding", "k-patch", "-o", "json"))!;
        Assert.Equal("ops", json["subjects"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("a", json["metadata"]!["labels"]!["team"]!.GetValue<string>());
        Assert.Equal("hello", json["metadata"]!["annotations"]!["note"]!.GetValue<string>());
        var labels = await OkAsync("get", "clusterrolebindings", "-l", "team=a", "--show-labels");
        Assert.Matches(@"k-patch\s+ClusterRole/view\s+\d+s\s+json=yes,merged=yes,team=a", labels);
    }

    [Fact]
    public async Task Edit_with_a_scripted_editor()
    {
        await CreateAsync("k-edit");
        var editor = kubectl.WriteFile("editor.sh", "#!/bin/sh\nsed -i 's/name: alice/name: dave/' \"$1\"\n");
        File.SetUnixFileMode(editor, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var result = await kubectl.RunWithAsync(new Dictionary<string, string> { ["KUBE_EDITOR"] = editor }, "edit", "clusterrolebinding", "k-edit");

        Assert.True(result.ExitCode == 0, result.Err);
        Assert.Equal("clusterrolebinding.rbac.authorization.k8s.io/k-edit edited\n", result.Out);
        Assert.Equal("dave", await OkAsync("get", "clusterrolebinding", "k-edit", "-o", "jsonpath={.subjects[0].name}"));
    }

    [Fact]
    public async Task Delete_by_name_file_label_and_all_then_wait()
    {
        await CreateAsync("k-del-name");
        await CreateAsync("k-del-file");
        await CreateAsync("k-del-label-1", labels: "  labels:\n    purge: \"yes\"");
        await CreateAsync("k-del-label-2", labels: "  labels:\n    purge: \"yes\"");

        Assert.Equal("clusterrolebinding.rbac.authorization.k8s.io \"k-del-name\" deleted\n", await OkAsync("delete", "clusterrolebinding", "k-del-name"));
        Assert.Equal("clusterrolebinding.rbac.authorization.k8s.io \"k-del-file\" deleted\n", await OkAsync("delete", "-f", Path.Combine(kubectl.Folder, "k-del-file.yaml")));
        var byLabel = await OkAsync("delete", "clusterrolebindings", "-l", "purge=yes");
        Assert.Equal("clusterrolebinding.rbac.authorization.k8s.io \"k-del-label-1\" deleted\nclusterrolebinding.rbac.authorization.k8s.io \"k-del-label-2\" deleted\n", byLabel);

        await CreateAsync("k-wait");
        // At -v=6 kubectl logs each response on standard error; its output stays as it is.
        using var waiting = kubectl.Start(null, "wait", "--for=delete", "clusterrolebinding/k-wait", "--timeout=60s", "-v=6");
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        // Deleting once its watch has been answered, so the deletion reaches kubectl as a watch event.
        string? line;
        while ((line = await waiting.StandardError.ReadLineAsync(deadline.Token)) is not null && !line.Contains("watch=true", StringComparison.Ordinal))
        {
        }

        Assert.True(line is not null, "kubectl ended before it watched");
        var log = waiting.StandardError.ReadToEndAsync(deadline.Token);
        await OkAsync("delete", "clusterrolebinding", "k-wait", "--wait=false");
        await waiting.WaitForExitAsync(deadline.Token);
        await log;
        Assert.Equal(0, waiting.ExitCode);
        Assert.Equal("clusterrolebinding.rbac.authorization.k8s.io/k-wait condition met\n", await waiting.StandardOutput.ReadToEndAsync());
    }

    [Fact]
    public async Task Delete_all()
    {
        await CreateAsync("k-all-1");
        await CreateAsync("k-all-2");

        var output = await OkAsync("delete", "clusterrolebindings", "--all");

        Assert.Contains("clusterrolebinding.rbac.authorization.k8s.io \"k-all-1\" deleted\n", output);
        Assert.Contains("clusterrolebinding.rbac.authorization.k8s.io \"k-all-2\" deleted\n", output);
        Assert.Equal("No resources found\n", (await kubectl.RunAsync("get", "clusterrolebindings")).Err);
    }

    [Fact]
    public async Task Missing_objects_give_the_real_NotFound_line()
    {
        var result = await kubectl.RunAsync("get", "clusterrolebinding", "k-missing");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("Error from server (NotFound): clusterrolebindings.rbac.authorization.k8s.io \"k-missing\" not found\n", result.Err);
    }

    [Fact]
    public async Task Explain_reads_the_openapi_descriptions()
    {
        var output = await OkAsync("explain", "clusterrolebinding.roleRef");

        Assert.Contains("KIND:       ClusterRoleBinding", output);
        Assert.Contains("FIELD: roleRef <RoleRef>", output);
        Assert.Matches(@"name\s+<string> -required-", output);
    }

    [Fact]
    public async Task Explain_reads_openshifts_review_schemas()
    {
        var output = await OkAsync("explain", "resourceaccessreviews", "--api-version=authorization.openshift.io/v1");

        Assert.Contains("GROUP:      authorization.openshift.io", output);
        Assert.Contains("KIND:       ResourceAccessReview", output);
        Assert.Matches(@"resourceAPIGroup\s+<string> -required-", output);
        Assert.DoesNotContain("metadata", output);
    }

    [Fact]
    public async Task Watch_prints_rows_as_objects_change()
    {
        // Created first, so kubectl's list prints it: that line says the watch that follows has its starting point.
        await CreateAsync("k-watched", labels: "  labels:\n    watched: \"yes\"");
        using var watch = kubectl.Start(null, "get", "clusterrolebindings", "-w", "-l", "watched=yes");
        var lines = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        async Task ReadRowAsync()
        {
            while (await watch.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line.StartsWith("k-watched", StringComparison.Ordinal))
                {
                    lines.Add(line);
                    return;
                }
            }
        }

        await ReadRowAsync();
        await OkAsync("label", "clusterrolebinding", "k-watched", "extra=1");
        await ReadRowAsync();

        watch.Kill();
        Assert.Equal(2, lines.Count);
        Assert.All(lines, l => Assert.Matches(@"^k-watched\s+ClusterRole/view\s+\d+s$", l));
    }

    [Fact]
    public async Task The_rest_of_the_rbac_family_from_imperative_commands()
    {
        Assert.Equal("clusterrole.rbac.authorization.k8s.io/k-reader created\n",
            await OkAsync("create", "clusterrole", "k-reader", "--verb=get", "--verb=list", "--resource=pods"));
        Assert.Equal("role.rbac.authorization.k8s.io/k-role created\n", await OkAsync("create", "role", "k-role", "--verb=get", "--resource=pods"));
        Assert.Equal("rolebinding.rbac.authorization.k8s.io/k-rb created\n",
            await OkAsync("create", "rolebinding", "k-rb", "--role=k-role", "--user=alice", "--serviceaccount=default:sa"));

        Assert.Matches(@"^NAME\s+CREATED AT\nk-reader\s+\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\n$", await OkAsync("get", "clusterrole", "k-reader"));
        Assert.Matches(@"(?m)^k-rb\s+Role/k-role\s+\d+s\s+alice\s+default/sa$", await OkAsync("get", "rolebindings", "-o", "wide"));
        Assert.Equal("""[{"apiGroups":[""],"resources":["pods"],"verbs":["get","list"]}]""", await OkAsync("get", "clusterrole", "k-reader", "-o", "jsonpath={.rules}"));
    }

    [Fact]
    public async Task OpenShift_role_bindings_are_a_second_view_of_rbac_ones()
    {
        var file = kubectl.WriteFile("os-rb.yaml", """
            apiVersion: authorization.openshift.io/v1
            kind: RoleBinding
            metadata:
              name: k-os
            userNames:
            - alice
            - system:admin
            groupNames:
            - devs
            subjects: []
            roleRef:
              name: view
            """);

        Assert.Equal("rolebinding.authorization.openshift.io/k-os created\n", await OkAsync("create", "-f", file));
        Assert.Matches(@"(?m)^k-os\s+/view\s+alice, system:admin\s+devs", await OkAsync("get", "rolebindings.authorization.openshift.io"));
        Assert.Matches(@"(?m)^k-os\s+ClusterRole/view\s+\d+s$", await OkAsync("get", "rolebindings"));
        Assert.Equal("SystemUser", await OkAsync("get", "rolebinding.authorization.openshift.io", "k-os", "-o", "jsonpath={.subjects[1].kind}"));
        var yaml = await OkAsync("get", "rolebinding.authorization.openshift.io", "k-os", "-o", "yaml");
        Assert.Contains("apiVersion: authorization.openshift.io/v1", yaml);
        Assert.Contains("- system:admin", yaml);
        Assert.Matches(@"(?m)^default\s+k-os\s+/view", await OkAsync("get", "rolebindings.authorization.openshift.io", "-A"));

        Assert.Equal("rolebinding.authorization.openshift.io/k-os patched\n",
            await OkAsync("patch", "rolebinding.authorization.openshift.io", "k-os", "--type", "merge", "-p", """{"userNames":["carol"]}"""));
        Assert.Equal("carol", await OkAsync("get", "rolebindings.rbac.authorization.k8s.io", "k-os", "-o", "jsonpath={.subjects[0].name}"));

        var applied = kubectl.WriteFile("os-rb-apply.yaml", """
            apiVersion: authorization.openshift.io/v1
            kind: RoleBinding
            metadata:
              name: k-os-applied
            userNames:
            - dave
            roleRef:
              name: edit
            """);
        Assert.Equal("rolebinding.authorization.openshift.io/k-os-applied created\n", await OkAsync("apply", "-f", applied));
        Assert.Equal("rolebinding.authorization.openshift.io/k-os-applied unchanged\n", await OkAsync("apply", "-f", applied));

        var watch = await kubectl.RunAsync("get", "rolebindings.authorization.openshift.io", "-w", "--request-timeout=5s");
        Assert.Contains("watch is not supported on resources of kind \"rolebindings.authorization.openshift.io\"", watch.Err);
        Assert.Equal("rolebinding.authorization.openshift.io \"k-os\" deleted\n", await OkAsync("delete", "rolebindings.authorization.openshift.io", "k-os"));
    }

    [Fact]
    public async Task Auth_can_i_answers_yes()
    {
        var result = await kubectl.RunAsync("auth", "can-i", "create", "clusterrolebindings");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("yes\n", result.Out);
    }
}
