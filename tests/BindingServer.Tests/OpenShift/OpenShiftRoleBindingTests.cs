using System.Text.Json.Nodes;
using BindingServer.TestSupport;
using BindingServer.Tests.CloudFoundry;
using static BindingServer.Tests.Http;

namespace BindingServer.Tests.OpenShift;

/// <summary>authorization.openshift.io/v1 RoleBinding as a view of the RBAC RoleBinding, rule by rule.</summary>
public sealed class OpenShiftRoleBindingTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private const string OpenShift = "/apis/authorization.openshift.io/v1/namespaces/default/rolebindings";
    private const string Rbac = "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings";
    private readonly HttpClient _client = factory.Client();

    [Theory]
    [InlineData("/apis/authorization.openshift.io/v1/namespaces/missing/rolebindings", """{"metadata":{"name":"rb"},"roleRef":{"name":"view"}}""")]
    [InlineData("/apis/authorization.openshift.io/v1/namespaces/missing/roles", """{"metadata":{"name":"r"},"rules":[]}""")]
    [InlineData("/apis/rbac.authorization.k8s.io/v1/namespaces/missing/rolebindings", """{"metadata":{"name":"rb"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"}}""")]
    public async Task A_create_in_a_missing_namespace_names_the_namespace_on_both_APIs(string path, string body)
    {
        var (code, status) = await _client.PostAsync(path, body);

        Assert.Equal(404, code);
        Assert.Equal("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"namespaces \"missing\" not found","reason":"NotFound","details":{"name":"missing","kind":"namespaces"},"code":404}""",
            status.ToJsonString(Cf.Wire));
    }

    /// <summary>
    /// Past create, openshift-apiserver's proxy reads the RBAC object first (an update never creates), so a missing
    /// namespace answers as a missing binding, in OpenShift's group, and a list is empty, as the RBAC API lists it.
    /// </summary>
    [Theory]
    [InlineData("PUT")]
    [InlineData("PATCH")]
    [InlineData("GET")]
    [InlineData("DELETE")]
    public async Task Other_verbs_in_a_missing_namespace_answer_as_the_proxy_does(string verb)
    {
        const string Path = "/apis/authorization.openshift.io/v1/namespaces/missing/rolebindings/rb";
        var (code, status) = verb switch
        {
            "PUT" => await _client.PutAsync(Path, """{"metadata":{"name":"rb"},"roleRef":{"name":"view"}}"""),
            "PATCH" => await _client.PatchAsync(Path, """{"subjects":[]}""", "application/merge-patch+json"),
            "GET" => await _client.GetJsonAsync(Path),
            _ => await _client.DeleteJsonAsync(Path),
        };

        Assert.Equal(404, code);
        Assert.Equal("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"rolebindings.authorization.openshift.io \"rb\" not found","reason":"NotFound","details":{"name":"rb","group":"authorization.openshift.io","kind":"rolebindings"},"code":404}""",
            status.ToJsonString(Cf.Wire));
        var (listed, list) = await _client.GetJsonAsync("/apis/authorization.openshift.io/v1/namespaces/missing/rolebindings");
        Assert.Equal(200, listed);
        Assert.Empty(list["items"]!.AsArray());
    }

    [Fact]
    public async Task Legacy_name_lists_win_over_subjects_and_render_like_the_reference_round_trip()
    {
        var (code, body) = await _client.PostAsync(OpenShift, """
            {"apiVersion":"authorization.openshift.io/v1","kind":"RoleBinding","metadata":{"name":"viewers"},
             "userNames":["bob","system:serviceaccount:default:deployer"],"groupNames":["system:authenticated"],
             "subjects":[{"kind":"Group","name":"ignored-because-userNames-is-set"}],"roleRef":{"name":"view"}}
            """);

        Assert.Equal(201, code);
        Assert.Equal("""["bob","system:serviceaccount:default:deployer"]""", body["userNames"]!.ToJsonString());
        Assert.Equal("""["system:authenticated"]""", body["groupNames"]!.ToJsonString());
        Assert.Equal("""[{"kind":"User","name":"bob"},{"kind":"ServiceAccount","namespace":"default","name":"deployer"},{"kind":"SystemGroup","name":"system:authenticated"}]""",
            body["subjects"]!.ToJsonString());
        Assert.Equal("""{"name":"view"}""", body["roleRef"]!.ToJsonString());
        Assert.Equal(["kind", "apiVersion", "metadata", "userNames", "groupNames", "subjects", "roleRef"], body.Select(p => p.Key));
        Assert.Empty(OfficialSchemas.Validate("openshift", "com.github.openshift.api.authorization.v1.RoleBinding", body.ToJsonString()));

        var (_, rbac) = await _client.GetJsonAsync($"{Rbac}/viewers");
        Assert.Equal(body["metadata"]!["uid"].Str(), rbac["metadata"]!["uid"].Str());
        Assert.Equal(body["metadata"]!["resourceVersion"].Str(), rbac["metadata"]!["resourceVersion"].Str());
        Assert.Equal("""[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"bob"},{"kind":"ServiceAccount","name":"deployer","namespace":"default"},{"kind":"Group","apiGroup":"rbac.authorization.k8s.io","name":"system:authenticated"}]""",
            rbac["subjects"]!.ToJsonString());
        Assert.Equal("""{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"}""", rbac["roleRef"]!.ToJsonString());
    }

    [Fact]
    public async Task An_rbac_binding_reads_back_with_derived_lists_and_system_kinds()
    {
        await _client.PostAsync(Rbac, """
            {"metadata":{"name":"from-rbac"},"roleRef":{"kind":"Role","name":"pod-reader"},
             "subjects":[{"kind":"User","name":"kube:admin"},{"kind":"Group","name":"devs"},{"kind":"ServiceAccount","name":"builder"}]}
            """);

        var (code, body) = await _client.GetJsonAsync($"{OpenShift}/from-rbac");

        Assert.Equal(200, code);
        Assert.Equal("""[{"kind":"SystemUser","name":"kube:admin"},{"kind":"Group","name":"devs"},{"kind":"ServiceAccount","name":"builder"}]""", body["subjects"]!.ToJsonString());
        Assert.Equal("""["kube:admin","system:serviceaccount:default:builder"]""", body["userNames"]!.ToJsonString());
        Assert.Equal("""{"namespace":"default","name":"pod-reader"}""", body["roleRef"]!.ToJsonString());
    }

    [Fact]
    public async Task Empty_name_lists_are_null_and_subjects_an_empty_array()
    {
        var (_, body) = await _client.PostAsync(OpenShift, """{"metadata":{"name":"nobody"},"roleRef":{"name":"view"}}""");

        Assert.True(body.ContainsKey("userNames"));
        Assert.Null(body["userNames"]);
        Assert.Null(body["groupNames"]);
        Assert.Equal("[]", body["subjects"]!.ToJsonString());
    }

    [Fact]
    public async Task RoleRef_namespace_picks_a_role_and_a_foreign_one_is_a_plain_500()
    {
        var (okCode, ok) = await _client.PostAsync(OpenShift, """{"metadata":{"name":"to-role"},"roleRef":{"namespace":"default","name":"pod-reader"}}""");
        var (badCode, bad) = await _client.PostAsync(OpenShift, """{"metadata":{"name":"to-other"},"roleRef":{"namespace":"kube-system","name":"x"}}""");
        var (kindCode, kind) = await _client.PostAsync(OpenShift, """{"metadata":{"name":"robot"},"subjects":[{"kind":"Robot","name":"r"}],"roleRef":{"name":"view"}}""");

        Assert.Equal(201, okCode);
        Assert.Equal("Role", (await _client.GetJsonAsync($"{Rbac}/to-role")).Body["roleRef"]!["kind"].Str());
        Assert.Equal("""{"namespace":"default","name":"pod-reader"}""", ok["roleRef"]!.ToJsonString());
        Assert.Equal(500, badCode);
        Assert.Equal("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"invalid origin role binding to-other: attempts to reference role in namespace \"kube-system\" instead of current namespace \"default\"","code":500}""",
            bad.Compact());
        Assert.Equal(500, kindCode);
        Assert.Equal("invalid kind for origin subject: \"Robot\"", kind["message"].Str());
    }

    [Fact]
    public async Task Rbac_errors_are_rewritten_to_name_the_openshift_resource()
    {
        await _client.PostAsync(OpenShift, """{"metadata":{"name":"taken"},"roleRef":{"name":"view"}}""");

        var (existsCode, exists) = await _client.PostAsync(OpenShift, """{"metadata":{"name":"taken"},"roleRef":{"name":"view"}}""");
        var (invalidCode, invalid) = await _client.PostAsync(OpenShift, """{"metadata":{"name":"empty-subject"},"subjects":[{"kind":"User","name":""}],"roleRef":{"name":"view"}}""");
        var (changeCode, change) = await _client.PutAsync($"{OpenShift}/taken", """{"metadata":{"name":"taken"},"roleRef":{"name":"edit"}}""");

        Assert.Equal(409, existsCode);
        Assert.Equal("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"rolebindings.authorization.openshift.io \"taken\" already exists","reason":"AlreadyExists","details":{"name":"taken","group":"authorization.openshift.io","kind":"rolebindings"},"code":409}""",
            exists.Compact());
        Assert.Equal(422, invalidCode);
        Assert.Equal("rolebindings.authorization.openshift.io \"empty-subject\" is invalid: subjects[0].name: Required value", invalid["message"].Str());
        Assert.Equal("rolebindings", invalid["details"]!["kind"].Str());
        Assert.Equal(422, changeCode);
        Assert.StartsWith("rolebindings.authorization.openshift.io \"taken\" is invalid: roleRef: Invalid value: ", change["message"].Str());
    }

    [Fact]
    public async Task Put_and_patch_of_a_missing_binding_are_NotFound_never_a_create()
    {
        var (putCode, put) = await _client.PutAsync($"{OpenShift}/absent", """{"metadata":{"name":"absent"},"roleRef":{"name":"view"}}""");
        var (patchCode, _) = await _client.PatchAsync($"{OpenShift}/absent", """{"metadata":{"labels":{"a":"b"}}}""", "application/merge-patch+json");

        Assert.Equal(404, putCode);
        Assert.Equal("rolebindings.authorization.openshift.io \"absent\" not found", put["message"].Str());
        Assert.Equal(404, patchCode);
    }

    [Fact]
    public async Task Patching_only_subjects_is_undone_by_the_legacy_lists()
    {
        await _client.PostAsync(OpenShift, """{"metadata":{"name":"trap"},"userNames":["alice"],"roleRef":{"name":"view"}}""");

        var (code, ignored) = await _client.PatchAsync($"{OpenShift}/trap", """{"subjects":[{"kind":"User","name":"carol"}]}""", "application/merge-patch+json");
        var (_, applied) = await _client.PatchAsync($"{OpenShift}/trap", """{"subjects":[{"kind":"User","name":"carol"}],"userNames":null,"groupNames":null}""",
            "application/merge-patch+json");

        Assert.Equal(200, code);
        Assert.Equal("""["alice"]""", ignored["userNames"]!.ToJsonString());
        Assert.Equal("""["carol"]""", applied["userNames"]!.ToJsonString());
    }

    [Fact]
    public async Task Delete_answers_a_bare_success_status()
    {
        await _client.PostAsync(OpenShift, """{"metadata":{"name":"bye"},"roleRef":{"name":"view"}}""");

        var (code, body) = await _client.DeleteJsonAsync($"{OpenShift}/bye");

        Assert.Equal(200, code);
        Assert.Equal("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success"}""", body.Compact());
        Assert.Equal(404, (await _client.GetJsonAsync($"{Rbac}/bye")).Code);
    }

    [Fact]
    public async Task There_is_no_watch_and_no_deletecollection()
    {
        var (watchCode, watch) = await _client.GetJsonAsync("/apis/authorization.openshift.io/v1/rolebindings?watch=true");
        var (collectionCode, collection) = await _client.DeleteJsonAsync(OpenShift);

        Assert.Equal(405, watchCode);
        Assert.Equal("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"watch is not supported on resources of kind \"rolebindings.authorization.openshift.io\"","reason":"MethodNotAllowed","details":{"group":"authorization.openshift.io","kind":"rolebindings"},"code":405}""",
            watch.Compact());
        Assert.Equal(405, collectionCode);
        Assert.Equal("the server does not allow this method on the requested resource", collection["message"].Str());
    }

    [Fact]
    public async Task Lists_cover_one_namespace_or_all_and_print_the_openshift_columns()
    {
        await _client.PostAsync(OpenShift, """{"metadata":{"name":"listed","labels":{"list":"me"}},"userNames":["u1"],"groupNames":["g1"],"roleRef":{"name":"admin"}}""");

        var (_, list) = await _client.GetJsonAsync("/apis/authorization.openshift.io/v1/rolebindings?labelSelector=list%3Dme");
        Assert.Equal("RoleBindingList", list["kind"].Str());
        Assert.Equal("authorization.openshift.io/v1", list["apiVersion"].Str());
        Assert.Equal(["listed"], list["items"]!.AsArray().Select(i => i!["metadata"]!["name"].Str()));

        using var request = new HttpRequestMessage(HttpMethod.Get, $"{OpenShift}?labelSelector=list%3Dme");
        request.Headers.TryAddWithoutValidation("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io");
        using var response = await _client.SendAsync(request);
        var table = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(["Name", "Role", "Users", "Groups", "Service Accounts", "Users"], table["columnDefinitions"]!.AsArray().Select(c => c!["name"].Str()));
        Assert.Equal(["listed", "/admin", "u1", "g1", "", ""], table["rows"]![0]!["cells"]!.AsArray().Select(c => c.Str()));
    }

    [Fact]
    public async Task The_reconcile_protect_annotation_maps_to_autoupdate()
    {
        await _client.PostAsync(OpenShift, """{"metadata":{"name":"protected","annotations":{"openshift.io/reconcile-protect":"true"}},"roleRef":{"name":"view"}}""");

        var (_, rbac) = await _client.GetJsonAsync($"{Rbac}/protected");
        var (_, view) = await _client.GetJsonAsync($"{OpenShift}/protected");

        Assert.Equal("""{"rbac.authorization.kubernetes.io/autoupdate":"false"}""", rbac["metadata"]!["annotations"]!.ToJsonString());
        Assert.Equal("""{"openshift.io/reconcile-protect":"true"}""", view["metadata"]!["annotations"]!.ToJsonString());
    }

    [Fact]
    public async Task Discovery_lists_the_group_after_rbac()
    {
        var (_, groups) = await _client.GetJsonAsync("/apis");
        var names = groups["groups"]!.AsArray().Select(g => g!["name"].Str()).ToList();
        var (_, resources) = await _client.GetJsonAsync("/apis/authorization.openshift.io/v1");

        Assert.True(names.IndexOf("rbac.authorization.k8s.io") < names.IndexOf("authorization.openshift.io"));
        var entry = resources["resources"]!.AsArray().Single(r => r!["name"].Str() == "rolebindings")!;
        Assert.Equal("""{"name":"rolebindings","singularName":"rolebinding","namespaced":true,"kind":"RoleBinding","verbs":["create","delete","get","list","patch","update"]}""",
            entry.ToJsonString());
    }
}
