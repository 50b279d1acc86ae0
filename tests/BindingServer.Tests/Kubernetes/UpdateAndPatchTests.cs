using System.Text.Json.Nodes;
using static BindingServer.Tests.Http;

namespace BindingServer.Tests.Kubernetes;

public sealed class UpdateAndPatchTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private readonly HttpClient _client = factory.Client();

    private async Task<JsonObject> CreateAsync(string name, string subjects = """[{"kind":"User","name":"alice"}]""")
    {
        var (code, body) = await _client.PostAsync(Crbs, Binding(name, subjects: subjects));
        Assert.Equal(201, code);
        return body;
    }

    private static string Rv(JsonObject body) => body["metadata"]!["resourceVersion"].Str();

    [Fact]
    public async Task Put_with_a_stale_resourceVersion_is_a_Conflict()
    {
        var created = await CreateAsync("stale");
        await _client.PatchAsync($"{Crbs}/stale", """{"metadata":{"labels":{"a":"1"}}}""", "application/merge-patch+json");

        created["metadata"]!["labels"] = new JsonObject { ["b"] = "2" };
        var (code, body) = await _client.PutAsync($"{Crbs}/stale", created.ToJsonString());

        Assert.Equal(409, code);
        Assert.Equal(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on clusterrolebindings.rbac.authorization.k8s.io \"stale\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","details":{"name":"stale","group":"rbac.authorization.k8s.io","kind":"clusterrolebindings"},"code":409}""",
            body.Compact());
    }

    [Fact]
    public async Task Put_without_a_resourceVersion_is_unconditional_and_bumps_it()
    {
        var created = await CreateAsync("unconditional");
        var (code, body) = await _client.PutAsync($"{Crbs}/unconditional", Binding("unconditional", subjects: """[{"kind":"Group","name":"g"}]"""));

        Assert.Equal(200, code);
        Assert.True(long.Parse(Rv(body)) > long.Parse(Rv(created)));
        Assert.Equal(created["metadata"]!["uid"].Str(), body["metadata"]!["uid"].Str());
        Assert.Equal(created["metadata"]!["creationTimestamp"].Str(), body["metadata"]!["creationTimestamp"].Str());
        Assert.Equal("g", body["subjects"]![0]!["name"].Str());
    }

    [Fact]
    public async Task Put_of_a_missing_binding_creates_it()
    {
        var (code, body) = await _client.PutAsync($"{Crbs}/put-created", Binding("put-created"));

        Assert.Equal(201, code);
        Assert.NotEmpty(body["metadata"]!["uid"].Str());
    }

    [Fact]
    public async Task Changing_roleRef_is_refused_with_the_internal_type_in_the_message()
    {
        await CreateAsync("immutable");
        var (code, body) = await _client.PutAsync($"{Crbs}/immutable", Binding("immutable", role: "edit"));

        Assert.Equal(422, code);
        Assert.Equal("ClusterRoleBinding.rbac.authorization.k8s.io \"immutable\" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"ClusterRole\", Name:\"edit\"}: cannot change roleRef",
            body["message"].Str());
    }

    [Fact]
    public async Task Name_in_the_body_must_match_the_url()
    {
        var (code, body) = await _client.PutAsync($"{Crbs}/url-name", Binding("body-name"));

        Assert.Equal(400, code);
        Assert.Equal("the name of the object (body-name) does not match the name on the URL (url-name)", body["message"].Str());
    }

    [Fact]
    public async Task A_different_uid_is_an_immutable_field_error()
    {
        var created = await CreateAsync("uid-change");
        created["metadata"]!["uid"] = "00000000-0000-4000-8000-000000000000";
        var (code, body) = await _client.PutAsync($"{Crbs}/uid-change", created.ToJsonString());

        Assert.Equal(422, code);
        Assert.Equal("ClusterRoleBinding.rbac.authorization.k8s.io \"uid-change\" is invalid: metadata.uid: Invalid value: \"00000000-0000-4000-8000-000000000000\": field is immutable",
            body["message"].Str());
    }

    [Fact]
    public async Task A_write_that_changes_nothing_keeps_the_resourceVersion()
    {
        var created = await CreateAsync("noop");
        var (putCode, put) = await _client.PutAsync($"{Crbs}/noop", created.ToJsonString());
        var (patchCode, patched) = await _client.PatchAsync($"{Crbs}/noop", """{"subjects":[{"kind":"User","name":"alice"}]}""", "application/merge-patch+json");

        Assert.Equal(200, putCode);
        Assert.Equal(200, patchCode);
        Assert.Equal(Rv(created), Rv(put));
        Assert.Equal(Rv(created), Rv(patched));
        Assert.True(JsonNode.DeepEquals(created["metadata"]!["managedFields"], patched["metadata"]!["managedFields"]));
    }

    [Fact]
    public async Task Merge_patch_merges_maps_deletes_nulls_and_replaces_lists()
    {
        await _client.PostAsync(Crbs, Binding("merge", labels: """{"keep":"1","drop":"2"}""", subjects: """[{"kind":"User","name":"a"},{"kind":"User","name":"b"}]"""));
        var (code, body) = await _client.PatchAsync($"{Crbs}/merge",
            """{"metadata":{"labels":{"drop":null,"new":"3"}},"subjects":[{"kind":"Group","name":"c"}]}""", "application/merge-patch+json");

        Assert.Equal(200, code);
        Assert.Equal("""{"keep":"1","new":"3"}""", body["metadata"]!["labels"]!.ToJsonString());
        Assert.Equal("""[{"kind":"Group","apiGroup":"rbac.authorization.k8s.io","name":"c"}]""", body["subjects"]!.ToJsonString());
    }

    [Fact]
    public async Task Json_patch_applies_operations_in_order()
    {
        await CreateAsync("jsonpatch");
        var (code, body) = await _client.PatchAsync($"{Crbs}/jsonpatch",
            """[{"op":"add","path":"/metadata/labels","value":{"a":"1"}},{"op":"add","path":"/subjects/-","value":{"kind":"Group","name":"devs"}},{"op":"replace","path":"/subjects/0/name","value":"bob"},{"op":"test","path":"/metadata/labels/a","value":"1"}]""",
            "application/json-patch+json");

        Assert.Equal(200, code);
        Assert.Equal("bob", body["subjects"]![0]!["name"].Str());
        Assert.Equal("devs", body["subjects"]![1]!["name"].Str());
        Assert.Equal("1", body["metadata"]!["labels"]!["a"].Str());
    }

    [Fact]
    public async Task A_failing_json_patch_test_is_unprocessable()
    {
        await CreateAsync("jsonpatch-test");
        var (code, body) = await _client.PatchAsync($"{Crbs}/jsonpatch-test", """[{"op":"test","path":"/subjects/0/name","value":"zed"}]""", "application/json-patch+json");

        Assert.Equal(422, code);
        Assert.Equal("Invalid", body["reason"].Str());
    }

    [Fact]
    public async Task Strategic_merge_patch_replaces_atomic_rbac_lists_and_merges_labels()
    {
        await _client.PostAsync(Crbs, Binding("smp", labels: """{"a":"1"}""", subjects: """[{"kind":"User","name":"a"},{"kind":"User","name":"b"}]"""));
        var (code, body) = await _client.PatchAsync($"{Crbs}/smp", """{"metadata":{"labels":{"b":"2"}},"subjects":[{"kind":"User","name":"c"}]}""",
            "application/strategic-merge-patch+json");

        Assert.Equal(200, code);
        Assert.Equal("""{"a":"1","b":"2"}""", body["metadata"]!["labels"]!.ToJsonString());
        Assert.Single(body["subjects"]!.AsArray());
    }

    [Fact]
    public async Task Strategic_merge_patch_merges_finalizers_as_a_set()
    {
        await _client.PostAsync(Crbs, """{"metadata":{"name":"smp-fin","finalizers":["example.com/a"]},"roleRef":{"kind":"ClusterRole","name":"view"}}""");
        var (code, body) = await _client.PatchAsync($"{Crbs}/smp-fin", """{"metadata":{"finalizers":["example.com/b"]}}""", "application/strategic-merge-patch+json");

        Assert.Equal(200, code);
        Assert.Equal("""["example.com/a","example.com/b"]""", body["metadata"]!["finalizers"]!.ToJsonString());
        await _client.PatchAsync($"{Crbs}/smp-fin", """{"metadata":{"finalizers":null}}""", "application/merge-patch+json");
    }

    [Fact]
    public async Task A_patch_carrying_a_stale_resourceVersion_is_a_Conflict()
    {
        await CreateAsync("patch-rv");
        var (code, body) = await _client.PatchAsync($"{Crbs}/patch-rv", """{"metadata":{"labels":{"x":"1"},"resourceVersion":"1"}}""", "application/merge-patch+json");

        Assert.Equal(409, code);
        Assert.Equal("Conflict", body["reason"].Str());
    }

    [Fact]
    public async Task Patching_a_missing_object_is_NotFound()
    {
        var (code, body) = await _client.PatchAsync($"{Crbs}/absent", """{"metadata":{"labels":{"x":"1"}}}""", "application/merge-patch+json");

        Assert.Equal(404, code);
        Assert.Equal("clusterrolebindings.rbac.authorization.k8s.io \"absent\" not found", body["message"].Str());
    }

    [Fact]
    public async Task Unknown_patch_media_types_are_unsupported()
    {
        var (code, body) = await _client.PatchAsync($"{Crbs}/any", "{}", "application/json");

        Assert.Equal(415, code);
        Assert.Equal("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml",
            body["message"].Str());
    }

    [Fact]
    public async Task Strict_patch_with_unknown_fields_is_a_422_with_empty_kind()
    {
        await CreateAsync("strict-patch");
        var (code, body) = await _client.PatchAsync($"{Crbs}/strict-patch?fieldValidation=Strict", """{"bogus":1}""", "application/merge-patch+json");

        Assert.Equal(422, code);
        Assert.StartsWith(" \"\" is invalid: patch: Invalid value: ", body["message"].Str());
        Assert.EndsWith("strict decoding error: unknown field \"bogus\"", body["message"].Str());
    }

    [Fact]
    public async Task Force_is_forbidden_outside_apply()
    {
        var (code, body) = await _client.PatchAsync($"{Crbs}/any?force=true", "{}", "application/merge-patch+json");

        Assert.Equal(422, code);
        Assert.Equal("PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified for non-apply patch", body["message"].Str());
    }

    private const string Applied = """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata:
          name: ssa
          labels:
            owner: first
        roleRef:
          apiGroup: rbac.authorization.k8s.io
          kind: ClusterRole
          name: view
        subjects:
        - kind: User
          name: alice
        """;

    [Fact]
    public async Task Server_side_apply_creates_then_detects_conflicts_and_force_takes_over()
    {
        var (createCode, created) = await _client.PatchAsync($"{Crbs}/ssa?fieldManager=first", Applied, "application/apply-patch+yaml");
        Assert.Equal(201, createCode);
        var entry = created["metadata"]!["managedFields"]![0]!;
        Assert.Equal("first", entry["manager"].Str());
        Assert.Equal("Apply", entry["operation"].Str());
        Assert.Equal("""{"f:metadata":{"f:labels":{".":{},"f:owner":{}}},"f:roleRef":{},"f:subjects":{}}""", entry["fieldsV1"]!.ToJsonString());

        var second = Applied.Replace("owner: first", "owner: second");
        var (conflictCode, conflict) = await _client.PatchAsync($"{Crbs}/ssa?fieldManager=second", second, "application/apply-patch+yaml");
        Assert.Equal(409, conflictCode);
        Assert.Equal("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Apply failed with 1 conflict: conflict with \"first\": .metadata.labels.owner","reason":"Conflict","details":{"causes":[{"reason":"FieldManagerConflict","message":"conflict with \"first\"","field":".metadata.labels.owner"}]},"code":409}""",
            conflict.Compact());

        var (forcedCode, forced) = await _client.PatchAsync($"{Crbs}/ssa?fieldManager=second&force=true", second, "application/apply-patch+yaml");
        Assert.Equal(200, forcedCode);
        Assert.Equal("second", forced["metadata"]!["labels"]!["owner"].Str());
        var managers = forced["metadata"]!["managedFields"]!.AsArray().Select(e => e!["manager"].Str()).ToList();
        Assert.Contains("second", managers);
    }

    [Fact]
    public async Task Apply_removes_fields_the_manager_stops_specifying()
    {
        var withLabel = Applied.Replace("name: ssa", "name: ssa-prune");
        await _client.PatchAsync($"{Crbs}/ssa-prune?fieldManager=pruner", withLabel, "application/apply-patch+yaml");
        var withoutLabel = withLabel.Replace("  labels:\n    owner: first\n", "");
        var (code, body) = await _client.PatchAsync($"{Crbs}/ssa-prune?fieldManager=pruner", withoutLabel, "application/apply-patch+yaml");

        Assert.Equal(200, code);
        Assert.False(body["metadata"]!.AsObject().ContainsKey("labels"));
    }

    [Fact]
    public async Task Apply_conflicts_with_an_update_manager_name_its_api_version()
    {
        await _client.PostAsync($"{Crbs}?fieldManager=kubectl-client-side-apply", Binding("ssa-update", subjects: """[{"kind":"User","name":"a"}]"""));
        var intent = Applied.Replace("name: ssa", "name: ssa-update").Replace("  labels:\n    owner: first\n", "");
        var (code, body) = await _client.PatchAsync($"{Crbs}/ssa-update?fieldManager=kubectl", intent, "application/apply-patch+yaml");

        Assert.Equal(409, code);
        Assert.Equal("Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using rbac.authorization.k8s.io/v1: .subjects", body["message"].Str());
    }

    [Theory]
    [InlineData("apiVersion: rbac.authorization.k8s.io/v1beta1\nkind: ClusterRoleBinding\nmetadata:\n  name: x\n", 400,
        "Incorrect version specified in apply patch. Specified patch version: rbac.authorization.k8s.io/v1beta1, expected: rbac.authorization.k8s.io/v1")]
    [InlineData("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: x\n  managedFields: []\n", 400,
        "metadata.managedFields must be nil")]
    [InlineData("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: x\nfoo: 1\n", 500,
        "failed to create typed patch object (/x; rbac.authorization.k8s.io/v1, Kind=ClusterRoleBinding): .foo: field not declared in schema")]
    public async Task Apply_errors(string body, int code, string message)
    {
        var (actual, status) = await _client.PatchAsync($"{Crbs}/x?fieldManager=m", body, "application/apply-patch+yaml");

        Assert.Equal(code, actual);
        Assert.Equal(message, status["message"].Str());
    }

    [Fact]
    public async Task Apply_requires_a_field_manager()
    {
        var (code, body) = await _client.PatchAsync($"{Crbs}/x", Applied, "application/apply-patch+yaml");

        Assert.Equal(422, code);
        Assert.Equal("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch", body["message"].Str());
    }

    [Fact]
    public async Task Update_managers_take_ownership_of_what_they_change()
    {
        await _client.PostAsync($"{Crbs}?fieldManager=creator", Binding("owners"));
        var (_, body) = await _client.PatchAsync($"{Crbs}/owners?fieldManager=labeler", """{"metadata":{"labels":{"l":"1"}}}""", "application/merge-patch+json");

        var entries = body["metadata"]!["managedFields"]!.AsArray();
        Assert.Equal("""{"f:roleRef":{},"f:subjects":{}}""", entries.Single(e => e!["manager"].Str() == "creator")!["fieldsV1"]!.ToJsonString());
        Assert.Equal("""{"f:metadata":{"f:labels":{".":{},"f:l":{}}}}""", entries.Single(e => e!["manager"].Str() == "labeler")!["fieldsV1"]!.ToJsonString());
    }
}
