using BindingServer.TestSupport;
using static BindingServer.Tests.Http;

namespace BindingServer.Tests.Kubernetes;

/// <summary>RoleBinding, ClusterRole and Role on the generic machinery, with their own rules.</summary>
public sealed class RbacFamilyTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private const string Rbac = "/apis/rbac.authorization.k8s.io/v1";
    private readonly HttpClient _client = factory.Client();

    [Fact]
    public async Task A_role_binding_may_reference_a_role_or_a_cluster_role()
    {
        var (roleCode, role) = await _client.PostAsync($"{Rbac}/namespaces/default/rolebindings",
            """{"metadata":{"name":"rb-role"},"roleRef":{"kind":"Role","name":"pod-reader"},"subjects":[{"kind":"ServiceAccount","name":"sa"}]}""");
        var (clusterCode, _) = await _client.PostAsync($"{Rbac}/namespaces/default/rolebindings",
            """{"metadata":{"name":"rb-cluster"},"roleRef":{"kind":"ClusterRole","name":"view"}}""");
        var (badCode, bad) = await _client.PostAsync($"{Rbac}/namespaces/default/rolebindings",
            """{"metadata":{"name":"rb-bad"},"roleRef":{"kind":"Secret","name":"x"}}""");

        Assert.Equal(201, roleCode);
        Assert.Equal("default", role["metadata"]!["namespace"].Str());
        Assert.Null(role["subjects"]![0]!["namespace"]);
        Assert.Empty(OfficialSchemas.Validate("rbac", "io.k8s.api.rbac.v1.RoleBinding", role.ToJsonString()));
        Assert.Equal(201, clusterCode);
        Assert.Equal(422, badCode);
        Assert.Equal("RoleBinding.rbac.authorization.k8s.io \"rb-bad\" is invalid: roleRef.kind: Unsupported value: \"Secret\": supported values: \"Role\", \"ClusterRole\"",
            bad["message"].Str());
    }

    [Fact]
    public async Task Roles_keep_null_rules_and_validate_each_rule()
    {
        var (code, empty) = await _client.PostAsync($"{Rbac}/clusterroles", """{"metadata":{"name":"no-rules"}}""");
        Assert.Equal(201, code);
        Assert.True(empty.ContainsKey("rules"));
        Assert.Null(empty["rules"]);

        var (badCode, bad) = await _client.PostAsync($"{Rbac}/namespaces/default/roles",
            """{"metadata":{"name":"bad-rules"},"rules":[{"verbs":[]},{"verbs":["get"],"nonResourceURLs":["/x"]},{"verbs":["get"],"apiGroups":[""]}]}""");

        Assert.Equal(422, badCode);
        Assert.Equal(
            "Role.rbac.authorization.k8s.io \"bad-rules\" is invalid: [rules[0].verbs: Required value: verbs must contain at least one value, rules[0].apiGroups: Required value: resource rules must supply at least one api group, rules[0].resources: Required value: resource rules must supply at least one resource, rules[1].nonResourceURLs: Invalid value: []string{\"/x\"}: namespaced rules cannot apply to non-resource URLs, rules[2].resources: Required value: resource rules must supply at least one resource]",
            bad["message"].Str());
    }

    [Fact]
    public async Task Cluster_roles_may_hold_non_resource_urls_but_not_mixed_with_resources()
    {
        var (okCode, role) = await _client.PostAsync($"{Rbac}/clusterroles",
            """{"metadata":{"name":"health-reader"},"rules":[{"verbs":["get"],"nonResourceURLs":["/healthz"]},{"verbs":["get","list"],"apiGroups":[""],"resources":["pods"]}]}""");
        var (mixedCode, mixed) = await _client.PostAsync($"{Rbac}/clusterroles",
            """{"metadata":{"name":"mixed"},"rules":[{"verbs":["get"],"resources":["pods"],"nonResourceURLs":["/x"]}]}""");
        var (aggregateCode, aggregate) = await _client.PostAsync($"{Rbac}/clusterroles", """{"metadata":{"name":"agg"},"aggregationRule":{}}""");

        Assert.Equal(201, okCode);
        Assert.Empty(OfficialSchemas.Validate("rbac", "io.k8s.api.rbac.v1.ClusterRole", role.ToJsonString()));
        Assert.Equal(422, mixedCode);
        Assert.EndsWith("rules[0].nonResourceURLs: Invalid value: []string{\"/x\"}: rules cannot apply to both regular resources and non-resource URLs", mixed["message"].Str());
        Assert.Equal(422, aggregateCode);
        Assert.EndsWith("aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil", aggregate["message"].Str());
    }

    [Fact]
    public async Task Role_bindings_list_across_namespaces_and_delete_with_a_status()
    {
        await _client.PostAsync($"{Rbac}/namespaces/kube-system/rolebindings", """{"metadata":{"name":"rb-everywhere"},"roleRef":{"kind":"ClusterRole","name":"view"}}""");

        var (_, all) = await _client.GetJsonAsync($"{Rbac}/rolebindings?fieldSelector=metadata.namespace%3Dkube-system");
        var (code, deleted) = await _client.DeleteJsonAsync($"{Rbac}/namespaces/kube-system/rolebindings/rb-everywhere");

        Assert.Contains(all["items"]!.AsArray(), i => i!["metadata"]!["name"].Str() == "rb-everywhere");
        Assert.Equal(200, code);
        Assert.Equal("Success", deleted["status"].Str());
        Assert.Equal("rolebindings", deleted["details"]!["kind"].Str());
    }
}
