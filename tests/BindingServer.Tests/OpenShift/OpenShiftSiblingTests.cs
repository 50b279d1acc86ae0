using System.Text.Json.Nodes;
using BindingServer.TestSupport;
using static BindingServer.Tests.Http;

namespace BindingServer.Tests.OpenShift;

/// <summary>The sibling views (ClusterRoleBinding, Role, ClusterRole), the reviews, and the oc adm policy flow.</summary>
public sealed class OpenShiftSiblingTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private const string OpenShift = "/apis/authorization.openshift.io/v1";
    private const string Rbac = "/apis/rbac.authorization.k8s.io/v1";
    private readonly HttpClient _client = factory.Client();

    [Fact]
    public async Task Cluster_role_bindings_need_namespaced_service_accounts_and_no_role_namespace()
    {
        var (saCode, sa) = await _client.PostAsync($"{OpenShift}/clusterrolebindings",
            """{"metadata":{"name":"crb-sa"},"subjects":[{"kind":"ServiceAccount","name":"builder"}],"roleRef":{"name":"view"}}""");
        var (nsCode, ns) = await _client.PostAsync($"{OpenShift}/clusterrolebindings", """{"metadata":{"name":"crb-ns"},"roleRef":{"namespace":"team","name":"view"}}""");
        var (okCode, ok) = await _client.PostAsync($"{OpenShift}/clusterrolebindings", """{"metadata":{"name":"crb-ok"},"userNames":["alice"],"roleRef":{"name":"view"}}""");

        Assert.Equal(422, saCode);
        Assert.Equal("clusterrolebindings.authorization.openshift.io \"crb-sa\" is invalid: subjects[0].namespace: Required value", sa["message"].Str());
        Assert.Equal(500, nsCode);
        Assert.Equal("invalid origin cluster role binding crb-ns: attempts to reference role in namespace \"team\" instead of cluster scope", ns["message"].Str());
        Assert.Equal(201, okCode);
        Assert.Equal("ClusterRoleBinding", ok["kind"].Str());
        Assert.Equal("ClusterRole", (await _client.GetJsonAsync($"{Rbac}/clusterrolebindings/crb-ok")).Body["roleRef"]!["kind"].Str());
    }

    [Fact]
    public async Task Role_rules_are_sorted_sets_with_defaulted_groups_and_mixed_rules_split()
    {
        var (code, role) = await _client.PostAsync($"{OpenShift}/clusterroles",
            """{"metadata":{"name":"os-mixed"},"rules":[{"verbs":["list","get","get"],"resources":["pods","nodes"],"nonResourceURLs":["/healthz"]},{"verbs":["*"],"resources":["*"]}]}""");

        Assert.Equal(201, code);
        Assert.Equal(
            """[{"verbs":["get","list"],"attributeRestrictions":null,"apiGroups":[""],"resources":["nodes","pods"]},{"verbs":["get","list"],"attributeRestrictions":null,"resources":[],"nonResourceURLs":["/healthz"]},{"verbs":["*"],"attributeRestrictions":null,"apiGroups":["*"],"resources":["*"]}]""",
            role["rules"]!.ToJsonString());
        var (_, rbac) = await _client.GetJsonAsync($"{Rbac}/clusterroles/os-mixed");
        Assert.Equal("""[{"verbs":["get","list"],"apiGroups":[""],"resources":["nodes","pods"]},{"verbs":["get","list"],"nonResourceURLs":["/healthz"]},{"verbs":["*"],"apiGroups":["*"],"resources":["*"]}]""",
            rbac["rules"]!.ToJsonString());
    }

    [Fact]
    public async Task An_rbac_role_reads_back_sorted()
    {
        await _client.PostAsync($"{Rbac}/namespaces/default/roles", """{"metadata":{"name":"unsorted"},"rules":[{"verbs":["watch","list","get"],"apiGroups":[""],"resources":["pods"]}]}""");

        var (code, role) = await _client.GetJsonAsync($"{OpenShift}/namespaces/default/roles/unsorted");

        Assert.Equal(200, code);
        Assert.Equal("Role", role["kind"].Str());
        Assert.Equal("""["get","list","watch"]""", role["rules"]![0]!["verbs"]!.ToJsonString());
    }

    [Fact]
    public async Task A_role_with_non_resource_urls_fails_rbac_validation_under_the_openshift_name()
    {
        var (code, body) = await _client.PostAsync($"{OpenShift}/namespaces/default/roles",
            """{"metadata":{"name":"bad"},"rules":[{"verbs":["get"],"resources":["pods"],"nonResourceURLs":["/x"]}]}""");

        Assert.Equal(422, code);
        Assert.Equal("roles.authorization.openshift.io \"bad\" is invalid: rules[1].nonResourceURLs: Invalid value: []string{\"/x\"}: namespaced rules cannot apply to non-resource URLs",
            body["message"].Str());
    }

    [Fact]
    public async Task Discovery_has_the_real_resource_list()
    {
        var (_, list) = await _client.GetJsonAsync($"{OpenShift}");
        var entries = list["resources"]!.AsArray().ToDictionary(r => r!["name"].Str(), r => r!);

        Assert.Equal(["clusterrolebindings", "clusterroles", "localresourceaccessreviews", "localsubjectaccessreviews", "resourceaccessreviews",
            "rolebindings", "roles", "selfsubjectrulesreviews", "subjectaccessreviews", "subjectrulesreviews"], entries.Keys);
        Assert.Equal("localresourceaccessreview", entries["resourceaccessreviews"]["singularName"].Str());
        Assert.Equal("""["create","delete","get","list","patch","update"]""", entries["roles"]["verbs"]!.ToJsonString());
        Assert.All(entries.Values, e => Assert.False(e.AsObject().ContainsKey("shortNames")));
    }

    [Fact]
    public async Task Reviews_answer_from_rbac()
    {
        var (code, body) = await _client.PostAsync($"{OpenShift}/subjectaccessreviews", """{"kind":"SubjectAccessReview","apiVersion":"authorization.openshift.io/v1","verb":"get","resource":"pods","user":"bob"}""");

        // bob has no binding; the full review behaviour is covered by Authorization/ReviewTests.
        Assert.Equal(201, code);
        Assert.Equal("""{"kind":"SubjectAccessReviewResponse","apiVersion":"authorization.openshift.io/v1","allowed":false}""", body.ToJsonString());
    }

    /// <summary>The request sequence of <c>oc adm policy add-role-to-user admin bob -n team</c>, replayed.</summary>
    [Fact]
    public async Task Oc_adm_policy_add_role_to_user_sequence()
    {
        await _client.PostAsync("/api/v1/namespaces", """{"metadata":{"name":"team"}}""");
        var (_, apis) = await _client.GetJsonAsync("/apis");
        Assert.DoesNotContain(apis["groups"]!.AsArray(), g => g!["name"].Str() == "user.openshift.io");

        var (listCode, bindings) = await _client.GetJsonAsync($"{Rbac}/namespaces/team/rolebindings");
        Assert.Equal(200, listCode);
        Assert.DoesNotContain(bindings["items"]!.AsArray(), b => b!["roleRef"]!["name"].Str() == "admin");

        // oc reads the role it grants; admin is one of a cluster's default roles.
        var (roleCode, _) = await _client.GetJsonAsync($"{Rbac}/clusterroles/admin");
        Assert.Equal(200, roleCode);

        var (createCode, created) = await _client.PostAsync($"{Rbac}/namespaces/team/rolebindings",
            """{"metadata":{"name":"admin","namespace":"team"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"admin"},"subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"bob"}]}""");
        Assert.Equal(201, createCode);

        var (againCode, _) = await _client.PostAsync($"{Rbac}/namespaces/team/rolebindings",
            """{"metadata":{"name":"admin","namespace":"team"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"admin"},"subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"carol"}]}""");
        Assert.Equal(409, againCode);

        var (_, view) = await _client.GetJsonAsync($"{OpenShift}/namespaces/team/rolebindings/admin");
        Assert.Equal(created["metadata"]!["uid"].Str(), view["metadata"]!["uid"].Str());
        Assert.Equal("""["bob"]""", view["userNames"]!.ToJsonString());
        // The real server writes an empty name list as null although the schema types it as an array; check the rest.
        var checkable = view.DeepClone().AsObject();
        checkable.Remove("groupNames");
        Assert.Empty(OfficialSchemas.Validate("openshift", "com.github.openshift.api.authorization.v1.RoleBinding", checkable.ToJsonString()));
    }
}
