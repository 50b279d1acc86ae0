using System.Text.Json.Nodes;
using BindingServer.TestSupport;
using static BindingServer.Tests.Http;

namespace BindingServer.Tests.Authorization;

/// <summary>The default policy a fresh server has, aggregation, and escalation prevention on every way of writing RBAC objects.</summary>
public sealed class PolicyAndEscalationTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private const string Rbac = "/apis/rbac.authorization.k8s.io/v1";
    private readonly HttpClient _admin = factory.Client();

    private HttpClient As(string user, params string[] groups) => factory.ClientAs(user, groups);

    private async Task CreatedAsync(string url, string json)
    {
        var (code, body) = await _admin.PostAsync(url, json);
        Assert.True(code == 201, body.Compact());
    }

    private async Task NamespaceAsync(string name) => await CreatedAsync("/api/v1/namespaces", $$"""{"metadata":{"name":"{{name}}"} }""");

    private async Task GrantAsync(string ns, string user, string name, string rules)
    {
        await CreatedAsync($"{Rbac}/namespaces/{ns}/roles", $$"""{"metadata":{"name":"{{name}}"},"rules":{{rules}}}""");
        await CreatedAsync($"{Rbac}/namespaces/{ns}/rolebindings",
            $$"""{"metadata":{"name":"{{name}}"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"{{name}}"},"subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"{{user}}"}]}""");
    }

    [Fact]
    public async Task A_fresh_server_has_the_bootstrap_roles_with_their_labels_and_aggregated_rules()
    {
        var (code, admin) = await _admin.GetJsonAsync($"{Rbac}/clusterroles/cluster-admin");
        Assert.Equal(200, code);
        Assert.Equal("""[{"verbs":["*"],"apiGroups":["*"],"resources":["*"]},{"verbs":["*"],"nonResourceURLs":["*"]}]""", admin["rules"]!.Compact());
        Assert.Equal("rbac-defaults", admin["metadata"]!["labels"]!["kubernetes.io/bootstrapping"].Str());
        Assert.Equal("true", admin["metadata"]!["annotations"]!["rbac.authorization.kubernetes.io/autoupdate"].Str());
        Assert.Empty(OfficialSchemas.Validate("rbac", "io.k8s.api.rbac.v1.ClusterRole", admin.ToJsonString()));

        var (_, view) = await _admin.GetJsonAsync($"{Rbac}/clusterroles/view");
        Assert.Equal("true", view["aggregationRule"]!["clusterRoleSelectors"]![0]!["matchLabels"]!["rbac.authorization.k8s.io/aggregate-to-view"].Str());
        Assert.Contains(view["rules"]!.AsArray(), r => r!["resources"]!.AsArray().Any(x => x.Str() == "pods") && r["verbs"]!.AsArray().Any(v => v.Str() == "list"));
        Assert.Equal(["kube-apiserver", "clusterrole-aggregation-controller"], view["metadata"]!["managedFields"]!.AsArray().Select(m => m!["manager"].Str()));

        // edit carries aggregate-to-admin and view aggregate-to-edit, so admin has view's and edit's rules too.
        var (_, edit) = await _admin.GetJsonAsync($"{Rbac}/clusterroles/edit");
        var (_, adminRole) = await _admin.GetJsonAsync($"{Rbac}/clusterroles/admin");
        foreach (var rule in view["rules"]!.AsArray())
        {
            Assert.Contains(edit["rules"]!.AsArray(), r => JsonNode.DeepEquals(r, rule));
            Assert.Contains(adminRole["rules"]!.AsArray(), r => JsonNode.DeepEquals(r, rule));
        }

        var (_, binding) = await _admin.GetJsonAsync($"{Rbac}/clusterrolebindings/system:public-info-viewer");
        Assert.Equal(["system:authenticated", "system:unauthenticated"], binding["subjects"]!.AsArray().Select(s => s!["name"].Str()));
        var (roleCode, _) = await _admin.GetJsonAsync($"{Rbac}/namespaces/kube-system/roles/extension-apiserver-authentication-reader");
        Assert.Equal(200, roleCode);
    }

    [Fact]
    public async Task A_role_labelled_aggregate_to_view_reaches_view_edit_and_admin_and_leaves_with_it()
    {
        var (_, list) = await _admin.GetJsonAsync($"{Rbac}/clusterroles");
        var revision = list["metadata"]!["resourceVersion"].Str();
        using var watch = await OpenWatchAsync($"{Rbac}/clusterroles?watch=true&resourceVersion={revision}&fieldSelector=metadata.name%3Dadmin&timeoutSeconds=30");

        await CreatedAsync($"{Rbac}/clusterroles", """
            {"metadata":{"name":"widgets-view","labels":{"rbac.authorization.k8s.io/aggregate-to-view":"true"}},
             "rules":[{"apiGroups":["example.com"],"resources":["widgets"],"verbs":["get","list","watch"]}]}
            """);
        var widgetRule = JsonNode.Parse("""{"verbs":["get","list","watch"],"apiGroups":["example.com"],"resources":["widgets"]}""");

        // The controller works after the write, as on a cluster: wait for admin's MODIFIED event carrying the rule.
        await NextModifiedAsync(watch, admin => admin["rules"]!.AsArray().Any(r => JsonNode.DeepEquals(r, widgetRule)));
        var (_, view) = await _admin.GetJsonAsync($"{Rbac}/clusterroles/view");
        Assert.Contains(view["rules"]!.AsArray(), r => JsonNode.DeepEquals(r, widgetRule));
        var (_, edit) = await _admin.GetJsonAsync($"{Rbac}/clusterroles/edit");
        Assert.Contains(edit["rules"]!.AsArray(), r => JsonNode.DeepEquals(r, widgetRule));

        Assert.Equal(200, (await _admin.DeleteJsonAsync($"{Rbac}/clusterroles/widgets-view")).Code);
        await NextModifiedAsync(watch, admin => !admin["rules"]!.AsArray().Any(r => JsonNode.DeepEquals(r, widgetRule)));
    }

    private async Task<StreamReader> OpenWatchAsync(string url)
    {
        var response = await _admin.SendAsync(new HttpRequestMessage(HttpMethod.Get, url), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(200, (int)response.StatusCode);
        return new StreamReader(await response.Content.ReadAsStreamAsync());
    }

    private static async Task NextModifiedAsync(StreamReader watch, Func<JsonNode, bool> until)
    {
        while (await watch.ReadLineAsync() is { } line)
        {
            var change = JsonNode.Parse(line)!;
            if (change["type"].Str() == "MODIFIED" && until(change["object"]!))
            {
                return;
            }
        }

        Assert.Fail("the watch ended before the aggregated role changed");
    }

    [Fact]
    public async Task A_role_may_grant_only_what_its_writer_holds_unless_they_may_escalate()
    {
        await NamespaceAsync("esc-roles");
        await GrantAsync("esc-roles", "erin", "role-writer",
            """[{"apiGroups":["rbac.authorization.k8s.io"],"resources":["roles"],"verbs":["create","update","patch","get"]},{"apiGroups":[""],"resources":["pods"],"verbs":["get","list"]}]""");
        var erin = As("erin");

        var (held, _) = await erin.PostAsync($"{Rbac}/namespaces/esc-roles/roles",
            """{"metadata":{"name":"pod-reader"},"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get"]}]}""");
        Assert.Equal(201, held);

        var (code, body) = await erin.PostAsync($"{Rbac}/namespaces/esc-roles/roles",
            """{"metadata":{"name":"node-deleter"},"rules":[{"apiGroups":[""],"resources":["pods","nodes"],"verbs":["get","delete"]}]}""");
        Assert.Equal(403, code);
        Assert.Equal(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"roles.rbac.authorization.k8s.io \"node-deleter\" is forbidden: user \"erin\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[\"\"], Resources:[\"nodes\"], Verbs:[\"get\" \"delete\"]}\n{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"delete\"]}","reason":"Forbidden","details":{"name":"node-deleter","group":"rbac.authorization.k8s.io","kind":"roles"},"code":403}""",
            body.Compact());

        // A dry run is checked the same way, and an update of the role too.
        Assert.Equal(403, (await erin.PostAsync($"{Rbac}/namespaces/esc-roles/roles?dryRun=All",
            """{"metadata":{"name":"node-deleter"},"rules":[{"apiGroups":[""],"resources":["nodes"],"verbs":["delete"]}]}""")).Code);
        Assert.Equal(403, (await erin.PatchAsync($"{Rbac}/namespaces/esc-roles/roles/pod-reader",
            """{"rules":[{"apiGroups":[""],"resources":["nodes"],"verbs":["get"]}]}""", "application/merge-patch+json")).Code);

        await GrantAsync("esc-roles", "erin", "escalator", """[{"apiGroups":["rbac.authorization.k8s.io"],"resources":["roles"],"verbs":["escalate"]}]""");
        Assert.Equal(201, (await erin.PostAsync($"{Rbac}/namespaces/esc-roles/roles",
            """{"metadata":{"name":"node-deleter"},"rules":[{"apiGroups":[""],"resources":["nodes"],"verbs":["delete"]}]}""")).Code);
    }

    [Fact]
    public async Task Resolution_errors_of_the_writers_own_bindings_are_appended()
    {
        await NamespaceAsync("esc-errors");
        await GrantAsync("esc-errors", "fay", "role-writer", """[{"apiGroups":["rbac.authorization.k8s.io"],"resources":["roles"],"verbs":["create"]}]""");
        await CreatedAsync($"{Rbac}/namespaces/esc-errors/rolebindings",
            """{"metadata":{"name":"dangling"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"gone"},"subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"fay"}]}""");

        var (code, body) = await As("fay").PostAsync($"{Rbac}/namespaces/esc-errors/roles",
            """{"metadata":{"name":"x"},"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get"]}]}""");

        Assert.Equal(403, code);
        Assert.EndsWith("\n{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"get\"]}; resolution errors: [roles.rbac.authorization.k8s.io \"gone\" not found]", body["message"].Str());
    }

    [Fact]
    public async Task An_aggregation_rule_needs_full_authority()
    {
        await CreatedAsync($"{Rbac}/clusterroles", """{"metadata":{"name":"cr-writer"},"rules":[{"apiGroups":["rbac.authorization.k8s.io"],"resources":["clusterroles"],"verbs":["create"]}]}""");
        await CreatedAsync(Crbs, """{"metadata":{"name":"gil-writes-clusterroles"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cr-writer"},"subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"gil"}]}""");

        var (code, body) = await As("gil").PostAsync($"{Rbac}/clusterroles",
            """{"metadata":{"name":"gatherer"},"aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"x":"y"}}]}}""");

        Assert.Equal(403, code);
        Assert.Equal("clusterroles.rbac.authorization.k8s.io \"gatherer\" is forbidden: must have cluster-admin privileges to use the aggregationRule", body["message"].Str());
    }

    [Fact]
    public async Task A_binding_needs_bind_on_its_role_or_the_roles_rules()
    {
        await NamespaceAsync("esc-bind");
        await GrantAsync("esc-bind", "hal", "binder", """[{"apiGroups":["rbac.authorization.k8s.io"],"resources":["rolebindings"],"verbs":["create"]}]""");
        var hal = As("hal");
        string Binding(string name, string kind, string role) =>
            $$"""{"metadata":{"name":"{{name}}"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"{{kind}}","name":"{{role}}"},"subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"hal"}]}""";

        var (missing, missingBody) = await hal.PostAsync($"{Rbac}/namespaces/esc-bind/rolebindings", Binding("to-ghost", "Role", "ghost"));
        Assert.Equal(404, missing);
        Assert.Equal("roles.rbac.authorization.k8s.io \"ghost\" not found", missingBody["message"].Str());

        var (refused, refusedBody) = await hal.PostAsync($"{Rbac}/namespaces/esc-bind/rolebindings", Binding("to-view", "ClusterRole", "view"));
        Assert.Equal(403, refused);
        Assert.StartsWith("rolebindings.rbac.authorization.k8s.io \"to-view\" is forbidden: user \"hal\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n",
            refusedBody["message"].Str());

        await GrantAsync("esc-bind", "hal", "bind-view",
            """[{"apiGroups":["rbac.authorization.k8s.io"],"resources":["clusterroles"],"verbs":["bind"],"resourceNames":["view"]}]""");
        Assert.Equal(201, (await hal.PostAsync($"{Rbac}/namespaces/esc-bind/rolebindings", Binding("to-view", "ClusterRole", "view"))).Code);
        Assert.Equal(403, (await hal.PostAsync($"{Rbac}/namespaces/esc-bind/rolebindings", Binding("to-edit", "ClusterRole", "edit"))).Code);
    }

    [Fact]
    public async Task Changing_only_finalizers_and_owner_references_needs_no_rights_to_the_rules()
    {
        await NamespaceAsync("esc-gc");
        await CreatedAsync($"{Rbac}/namespaces/esc-gc/roles", """{"metadata":{"name":"powerful"},"rules":[{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}]}""");
        await GrantAsync("esc-gc", "ida", "role-patcher", """[{"apiGroups":["rbac.authorization.k8s.io"],"resources":["roles"],"verbs":["patch"]}]""");
        var ida = As("ida");

        Assert.Equal(200, (await ida.PatchAsync($"{Rbac}/namespaces/esc-gc/roles/powerful",
            """{"metadata":{"finalizers":["example.com/keep"]}}""", "application/merge-patch+json")).Code);
        Assert.Equal(403, (await ida.PatchAsync($"{Rbac}/namespaces/esc-gc/roles/powerful",
            """{"metadata":{"labels":{"touched":"yes"}}}""", "application/merge-patch+json")).Code);
    }

    [Fact]
    public async Task The_openshift_views_are_held_to_the_same_rule()
    {
        await NamespaceAsync("esc-os");
        await GrantAsync("esc-os", "jo", "os-role-writer", """[{"apiGroups":["authorization.openshift.io"],"resources":["roles"],"verbs":["create"]}]""");

        var (code, body) = await As("jo").PostAsync("/apis/authorization.openshift.io/v1/namespaces/esc-os/roles",
            """{"metadata":{"name":"sneaky"},"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["delete"]}]}""");

        Assert.Equal(403, code);
        Assert.StartsWith("roles.rbac.authorization.k8s.io \"sneaky\" is forbidden: user \"jo\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:",
            body["message"].Str());
    }
}
