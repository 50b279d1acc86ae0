namespace BindingServer.EndToEnd;

/// <summary>
/// RBAC as a kubectl user meets it against the real server process: <c>auth can-i</c>, <c>--as</c>, the Forbidden
/// line, <c>auth can-i --list</c>, <c>auth whoami</c>, <c>auth reconcile</c> and a refused escalation.
/// </summary>
public sealed class KubectlRbacTests(Kubectl kubectl) : IClassFixture<Kubectl>
{
    private async Task<string> OkAsync(params string[] args)
    {
        var result = await kubectl.RunAsync(args);
        Assert.True(result.ExitCode == 0, $"kubectl {string.Join(' ', args)} failed: {result.Err}");
        return result.Out;
    }

    [Fact]
    public async Task A_role_and_binding_make_can_i_say_yes_in_their_namespace_only()
    {
        var before = await kubectl.RunAsync("auth", "can-i", "list", "pods", "--as", "alice", "-n", "team-a");
        Assert.Equal(1, before.ExitCode);
        Assert.Equal("no\n", before.Out);

        await OkAsync("create", "namespace", "team-a");
        await OkAsync("create", "namespace", "team-b");
        await OkAsync("create", "role", "pod-reader", "--verb=get,list,watch", "--resource=pods", "-n", "team-a");
        await OkAsync("create", "rolebinding", "alice-reads", "--role=pod-reader", "--user=alice", "-n", "team-a");

        Assert.Equal("yes\n", await OkAsync("auth", "can-i", "list", "pods", "--as", "alice", "-n", "team-a"));
        var elsewhere = await kubectl.RunAsync("auth", "can-i", "list", "pods", "--as", "alice", "-n", "team-b");
        Assert.Equal("no\n", elsewhere.Out);
        Assert.Equal(1, elsewhere.ExitCode);
        Assert.Equal("no\n", (await kubectl.RunAsync("auth", "can-i", "delete", "pods", "--as", "alice", "-n", "team-a")).Out);

        Assert.Equal("No resources found in team-a namespace.\n", (await kubectl.RunAsync("get", "pods", "--as", "alice", "-n", "team-a")).Err);
        var refused = await kubectl.RunAsync("get", "pods", "--as", "alice", "-n", "team-b");
        Assert.Equal(1, refused.ExitCode);
        Assert.Equal("Error from server (Forbidden): pods is forbidden: User \"alice\" cannot list resource \"pods\" in API group \"\" in the namespace \"team-b\"\n",
            refused.Err);
    }

    [Fact]
    public async Task A_fresh_server_has_the_clusters_default_roles_and_bindings()
    {
        var roles = await OkAsync("get", "clusterroles", "-o", "name");
        foreach (var name in new[] { "cluster-admin", "admin", "edit", "view", "system:basic-user", "system:discovery", "system:public-info-viewer" })
        {
            Assert.Contains($"clusterrole.rbac.authorization.k8s.io/{name}\n", roles);
        }

        var binding = await OkAsync("get", "clusterrolebinding", "cluster-admin", "-o", "jsonpath={.roleRef.name} {.subjects[0].kind} {.subjects[0].name}");
        Assert.Equal("cluster-admin Group system:masters", binding);

        // view is aggregated: its rules come from system:aggregate-to-view.
        await OkAsync("create", "rolebinding", "viewers-view", "--clusterrole=view", "--group=viewers", "-n", "default");
        Assert.Equal("yes\n", await OkAsync("auth", "can-i", "list", "pods", "--as", "viewer", "--as-group", "viewers", "-n", "default"));
        Assert.Equal("no\n", (await kubectl.RunAsync("auth", "can-i", "create", "pods", "--as", "viewer", "--as-group", "viewers", "-n", "default")).Out);
        var viewRules = await OkAsync("get", "clusterrole", "view", "-o", "jsonpath={.metadata.managedFields[*].manager}");
        Assert.Contains("clusterrole-aggregation-controller", viewRules);
    }

    [Fact]
    public async Task Can_i_list_and_whoami_show_what_applies_to_the_identity()
    {
        await OkAsync("create", "namespace", "team-list");
        await OkAsync("create", "role", "event-editor", "--verb=get,update", "--resource=events", "--resource-name=settings", "-n", "team-list");
        await OkAsync("create", "rolebinding", "devs-edit", "--role=event-editor", "--group=devs", "-n", "team-list");

        var rules = await OkAsync("auth", "can-i", "--list", "--as", "bob", "--as-group", "devs", "-n", "team-list");
        Assert.Matches(@"(?m)^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs$", rules);
        Assert.Matches(@"(?m)^events\s+\[\]\s+\[settings\]\s+\[get update\]$", rules);
        Assert.Matches(@"(?m)^selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]$", rules);
        Assert.Matches(@"(?m)^\s+\[/version\]\s+\[\]\s+\[get\]$", rules);

        var whoami = await OkAsync("auth", "whoami", "--as", "bob", "--as-group", "devs");
        Assert.Matches(@"(?m)^Username\s+bob$", whoami);
        Assert.Matches(@"(?m)^Groups\s+\[devs system:authenticated\]$", whoami);

        var admin = await OkAsync("auth", "whoami", "-o", "jsonpath={.status.userInfo.username} {.status.userInfo.groups}");
        Assert.Equal("kubernetes-admin [\"system:masters\",\"system:authenticated\"]", admin);
    }

    [Fact]
    public async Task Reconcile_creates_and_then_leaves_a_manifests_rbac_alone()
    {
        await OkAsync("create", "namespace", "team-rec");
        var manifest = kubectl.WriteFile("rbac.yaml", """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata:
              name: deployer
              namespace: team-rec
            rules:
            - apiGroups: [""]
              resources: [pods, services]
              verbs: [get, list, create]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata:
              name: ci-deploys
              namespace: team-rec
            roleRef:
              apiGroup: rbac.authorization.k8s.io
              kind: Role
              name: deployer
            subjects:
            - kind: ServiceAccount
              name: ci
              namespace: team-rec
            """);

        var first = await OkAsync("auth", "reconcile", "-f", manifest);
        Assert.Contains("role.rbac.authorization.k8s.io/deployer reconciled", first);
        Assert.Contains("rolebinding.rbac.authorization.k8s.io/ci-deploys reconciled", first);
        Assert.Equal("yes\n", await OkAsync("auth", "can-i", "create", "services", "-n", "team-rec", "--as", "system:serviceaccount:team-rec:ci"));

        var second = await OkAsync("auth", "reconcile", "-f", manifest);
        Assert.Contains("role.rbac.authorization.k8s.io/deployer reconciled", second);
        Assert.Equal("no\n", (await kubectl.RunAsync("auth", "can-i", "delete", "services", "-n", "team-rec", "--as", "system:serviceaccount:team-rec:ci")).Out);
    }

    [Fact]
    public async Task Granting_what_one_does_not_hold_is_refused_as_escalation()
    {
        await OkAsync("create", "namespace", "team-esc");
        await OkAsync("create", "role", "role-writer", "--verb=create,get", "--resource=roles.rbac.authorization.k8s.io,rolebindings.rbac.authorization.k8s.io", "-n", "team-esc");
        await OkAsync("create", "rolebinding", "carol-writes-roles", "--role=role-writer", "--user=carol", "-n", "team-esc");

        var refused = await kubectl.RunAsync("create", "role", "event-peeker", "--verb=get", "--resource=events", "-n", "team-esc", "--as", "carol");
        Assert.Equal(1, refused.ExitCode);
        Assert.Equal(
            "Error from server (Forbidden): roles.rbac.authorization.k8s.io \"event-peeker\" is forbidden: user \"carol\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[\"\"], Resources:[\"events\"], Verbs:[\"get\"]}\n",
            refused.Err);

        // What carol holds she may grant; binding a role she does not hold is refused the same way.
        await OkAsync("create", "role", "role-reader", "--verb=get", "--resource=roles.rbac.authorization.k8s.io", "-n", "team-esc", "--as", "carol");
        var bind = await kubectl.RunAsync("create", "rolebinding", "give-admin", "--clusterrole=admin", "--user=carol", "-n", "team-esc", "--as", "carol");
        Assert.Equal(1, bind.ExitCode);
        Assert.StartsWith("error: failed to create rolebinding: rolebindings.rbac.authorization.k8s.io \"give-admin\" is forbidden: user \"carol\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n", bind.Err);
    }
}
