using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using BindingServer.TestSupport;
using static BindingServer.Tests.Http;

namespace BindingServer.Tests.Kubernetes;

public sealed partial class CreateTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private readonly HttpClient _client = factory.Client();

    /// <summary>The example request of the ClusterRoleBinding seed page.</summary>
    private const string SeedExample = """
        {
           "kind": "ClusterRoleBinding",
           "apiVersion": "rbac.authorization.k8s.io/v1",
           "metadata": { "annotations": { "CCE.com/IAM": "true" }, "name": "read-secrets-global" },
           "subjects":[{ "kind": "Group", "name": "manager", "apiGroup": "rbac.authorization.k8s.io" }],
           "roleRef":{ "kind": "ClusterRole", "name": "secret-reader", "apiGroup": "rbac.authorization.k8s.io"}
        }
        """;

    [GeneratedRegex("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")]
    private static partial Regex UuidV4();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")]
    private static partial Regex Rfc3339Seconds();

    [Fact]
    public async Task Seed_example_is_created_with_server_assigned_metadata()
    {
        var (code, body) = await _client.PostAsync(Crbs, SeedExample);

        Assert.Equal(201, code);
        Assert.Equal("ClusterRoleBinding", body["kind"].Str());
        Assert.Equal("rbac.authorization.k8s.io/v1", body["apiVersion"].Str());
        var meta = body["metadata"]!.AsObject();
        Assert.Equal("read-secrets-global", meta["name"].Str());
        Assert.Matches(UuidV4(), meta["uid"].Str());
        Assert.True(long.Parse(meta["resourceVersion"].Str()) > 0);
        Assert.Matches(Rfc3339Seconds(), meta["creationTimestamp"].Str());
        Assert.False(meta.ContainsKey("selfLink"));
        Assert.False(meta.ContainsKey("namespace"));
        Assert.Equal("true", meta["annotations"]!["CCE.com/IAM"].Str());
        var managed = meta["managedFields"]!.AsArray().Single()!;
        Assert.Equal("bindingserver-tests", managed["manager"].Str());
        Assert.Equal("Update", managed["operation"].Str());
        Assert.Equal("FieldsV1", managed["fieldsType"].Str());
        Assert.Equal("""{"f:metadata":{"f:annotations":{".":{},"f:CCE.com/IAM":{}}},"f:roleRef":{},"f:subjects":{}}""",
            managed["fieldsV1"]!.ToJsonString());
        Assert.Equal("""[{"kind":"Group","apiGroup":"rbac.authorization.k8s.io","name":"manager"}]""", body["subjects"]!.ToJsonString());
        Assert.Empty(OfficialSchemas.Validate("rbac", "io.k8s.api.rbac.v1.ClusterRoleBinding", body.ToJsonString()));
    }

    [Fact]
    public async Task Second_create_of_the_same_name_is_AlreadyExists()
    {
        await _client.PostAsync(Crbs, Binding("dup"));
        var (code, body) = await _client.PostAsync(Crbs, Binding("dup"));

        Assert.Equal(409, code);
        Assert.Equal(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"clusterrolebindings.rbac.authorization.k8s.io \"dup\" already exists","reason":"AlreadyExists","details":{"name":"dup","group":"rbac.authorization.k8s.io","kind":"clusterrolebindings"},"code":409}""",
            body.Compact());
        Assert.Empty(OfficialSchemas.Validate("core", "io.k8s.apimachinery.pkg.apis.meta.v1.Status", body.ToJsonString()));
    }

    [Fact]
    public async Task Get_of_a_missing_name_is_the_real_NotFound_status()
    {
        var (code, body) = await _client.GetJsonAsync($"{Crbs}/nope");

        Assert.Equal(404, code);
        Assert.Equal(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"clusterrolebindings.rbac.authorization.k8s.io \"nope\" not found","reason":"NotFound","details":{"name":"nope","group":"rbac.authorization.k8s.io","kind":"clusterrolebindings"},"code":404}""",
            body.Compact());
    }

    [Fact]
    public async Task Defaults_fill_in_rbac_api_groups_but_not_for_service_accounts()
    {
        var (code, body) = await _client.PostAsync(Crbs, """
            {"metadata":{"name":"defaults"},"roleRef":{"kind":"ClusterRole","name":"view"},
             "subjects":[{"kind":"User","name":"u"},{"kind":"Group","name":"g"},{"kind":"ServiceAccount","name":"sa","namespace":"ns"}]}
            """);

        Assert.Equal(201, code);
        Assert.Equal("rbac.authorization.k8s.io", body["roleRef"]!["apiGroup"].Str());
        Assert.Equal("rbac.authorization.k8s.io", body["subjects"]![0]!["apiGroup"].Str());
        Assert.Equal("rbac.authorization.k8s.io", body["subjects"]![1]!["apiGroup"].Str());
        Assert.False(body["subjects"]![2]!.AsObject().ContainsKey("apiGroup"));
    }

    [Fact]
    public async Task Resource_versions_increase_with_every_write_across_objects()
    {
        var (_, first) = await _client.PostAsync(Crbs, Binding("rv-1"));
        var (_, second) = await _client.PostAsync(Crbs, Binding("rv-2"));

        Assert.True(long.Parse(second["metadata"]!["resourceVersion"].Str()) > long.Parse(first["metadata"]!["resourceVersion"].Str()));
    }

    [Fact]
    public async Task GenerateName_appends_five_characters_from_the_real_alphabet()
    {
        var (code, body) = await _client.PostAsync(Crbs, """{"metadata":{"generateName":"gen-"},"roleRef":{"kind":"ClusterRole","name":"view"}}""");

        Assert.Equal(201, code);
        Assert.Matches("^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$", body["metadata"]!["name"].Str());
        Assert.Equal("gen-", body["metadata"]!["generateName"].Str());
    }

    [Fact]
    public async Task Missing_name_and_generateName_is_Invalid()
    {
        var (code, body) = await _client.PostAsync(Crbs, """{"metadata":{},"roleRef":{"kind":"ClusterRole","name":"view"}}""");

        Assert.Equal(422, code);
        Assert.Equal("ClusterRoleBinding.rbac.authorization.k8s.io \"\" is invalid: metadata.name: Required value: name or generateName is required",
            body["message"].Str());
    }

    [Fact]
    public async Task Dry_run_answers_the_would_be_object_and_stores_nothing()
    {
        var (code, body) = await _client.PostAsync($"{Crbs}?dryRun=All", Binding("dry"));

        Assert.Equal(201, code);
        Assert.False(body["metadata"]!.AsObject().ContainsKey("resourceVersion"));
        Assert.NotEmpty(body["metadata"]!["uid"].Str());
        Assert.NotEmpty(body["metadata"]!["creationTimestamp"].Str());
        var (getCode, _) = await _client.GetJsonAsync($"{Crbs}/dry");
        Assert.Equal(404, getCode);
    }

    [Fact]
    public async Task Dry_run_still_reports_AlreadyExists()
    {
        await _client.PostAsync(Crbs, Binding("dry-dup"));
        var (code, body) = await _client.PostAsync($"{Crbs}?dryRun=All", Binding("dry-dup"));

        Assert.Equal(409, code);
        Assert.Equal("AlreadyExists", body["reason"].Str());
    }

    [Fact]
    public async Task An_unsupported_dryRun_value_is_an_invalid_CreateOptions()
    {
        var (code, body) = await _client.PostAsync($"{Crbs}?dryRun=foo", Binding("dry-bad"));

        Assert.Equal(422, code);
        Assert.Equal("CreateOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: []string{\"foo\"}: supported values: \"All\"", body["message"].Str());
        Assert.Equal("meta.k8s.io", body["details"]!["group"].Str());
        Assert.Equal("CreateOptions", body["details"]!["kind"].Str());
    }

    [Fact]
    public async Task Strict_field_validation_rejects_unknown_fields_with_the_decoder_message()
    {
        var body = """{"metadata":{"name":"strict"},"foo":1,"roleRef":{"kind":"ClusterRole","name":"view","bar":true}}""";
        var (code, status) = await _client.PostAsync($"{Crbs}?fieldValidation=Strict", body);

        Assert.Equal(400, code);
        Assert.Equal("BadRequest", status["reason"].Str());
        Assert.Equal("ClusterRoleBinding in version \"v1\" cannot be handled as a ClusterRoleBinding: strict decoding error: unknown field \"foo\", unknown field \"roleRef.bar\"",
            status["message"].Str());
    }

    [Fact]
    public async Task Warn_field_validation_succeeds_with_warning_headers()
    {
        using var response = await _client.PostAsync(Crbs, Json("""{"metadata":{"name":"warn"},"spec":{"x":1},"roleRef":{"kind":"ClusterRole","name":"view"}}"""));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(["299 - \"unknown field \\\"spec\\\"\""], response.Headers.GetValues("Warning"));
    }

    [Fact]
    public async Task Duplicate_fields_are_reported_too()
    {
        var (code, status) = await _client.PostAsync($"{Crbs}?fieldValidation=Strict",
            """{"metadata":{"name":"dupfield","name":"dupfield"},"roleRef":{"kind":"ClusterRole","name":"view"}}""");

        Assert.Equal(400, code);
        Assert.EndsWith("strict decoding error: duplicate field \"metadata.name\"", status["message"].Str());
    }

    [Fact]
    public async Task An_unknown_fieldValidation_value_is_invalid()
    {
        var (code, status) = await _client.PostAsync($"{Crbs}?fieldValidation=Loud", Binding("fv"));

        Assert.Equal(422, code);
        Assert.Equal("CreateOptions.meta.k8s.io \"\" is invalid: fieldValidation: Unsupported value: \"Loud\": supported values: \"\", \"Ignore\", \"Strict\", \"Warn\"",
            status["message"].Str());
    }

    [Fact]
    public async Task Ignore_field_validation_drops_unknown_fields_silently()
    {
        using var response = await _client.PostAsync($"{Crbs}?fieldValidation=Ignore",
            Json("""{"metadata":{"name":"ignored"},"extra":1,"roleRef":{"kind":"ClusterRole","name":"view"}}"""));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.False(response.Headers.Contains("Warning"));
        Assert.DoesNotContain("extra", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ResourceVersion_on_create_is_the_storage_layer_plain_error()
    {
        var (code, status) = await _client.PostAsync(Crbs, """{"metadata":{"name":"with-rv","resourceVersion":"5"},"roleRef":{"kind":"ClusterRole","name":"view"}}""");

        Assert.Equal(500, code);
        Assert.Equal("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"resourceVersion should not be set on objects to be created","code":500}""",
            status.Compact());
    }

    [Fact]
    public async Task Namespace_in_a_cluster_scoped_body_is_cleared()
    {
        var (code, body) = await _client.PostAsync(Crbs, """{"metadata":{"name":"ns-cleared","namespace":"default"},"roleRef":{"kind":"ClusterRole","name":"view"}}""");

        Assert.Equal(201, code);
        Assert.False(body["metadata"]!.AsObject().ContainsKey("namespace"));
    }

    [Fact]
    public async Task A_body_of_another_api_version_is_refused()
    {
        var (code, status) = await _client.PostAsync(Crbs,
            """{"apiVersion":"rbac.authorization.k8s.io/v1beta1","kind":"ClusterRoleBinding","metadata":{"name":"v1beta1"},"roleRef":{"kind":"ClusterRole","name":"view"}}""");

        Assert.Equal(400, code);
        Assert.Equal("the API version in the data (rbac.authorization.k8s.io/v1beta1) does not match the expected API version (rbac.authorization.k8s.io/v1)",
            status["message"].Str());
    }

    [Theory]
    [InlineData("", "the object provided is unrecognized (must be of type ClusterRoleBinding): couldn't get version/kind; json parse error: unexpected end of JSON input (<empty>)")]
    [InlineData("[1,2]", "the object provided is unrecognized (must be of type ClusterRoleBinding): couldn't get version/kind; json parse error: json: cannot unmarshal array into Go value of type struct { APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" } (5b312c325d)")]
    [InlineData("{\"metadata\":", "the object provided is unrecognized (must be of type ClusterRoleBinding): couldn't get version/kind; json parse error: unexpected end of JSON input ({\"metadata\":)")]
    public async Task Unreadable_bodies_are_bad_requests(string body, string message)
    {
        var (code, status) = await _client.PostAsync(Crbs, body);

        Assert.Equal(400, code);
        Assert.Equal("BadRequest", status["reason"].Str());
        Assert.Equal(message, status["message"].Str());
    }

    [Fact]
    public async Task A_type_mismatch_names_the_go_field()
    {
        var (code, status) = await _client.PostAsync(Crbs, """{"metadata":{"name":"types"},"subjects":"alice","roleRef":{"kind":"ClusterRole","name":"view"}}""");

        Assert.Equal(400, code);
        Assert.Equal("ClusterRoleBinding in version \"v1\" cannot be handled as a ClusterRoleBinding: json: cannot unmarshal string into Go struct field ClusterRoleBinding.subjects of type []v1.Subject",
            status["message"].Str());
    }

    [Fact]
    public async Task Yaml_bodies_are_accepted()
    {
        var (code, body) = await _client.SendAsync(HttpMethod.Post, Crbs, Json("""
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata:
              name: from-yaml
            roleRef:
              kind: ClusterRole
              name: view
            """, "application/yaml"));

        Assert.Equal(201, code);
        Assert.Equal("from-yaml", body["metadata"]!["name"].Str());
    }

    [Fact]
    public async Task Other_media_types_are_unsupported()
    {
        var (code, status) = await _client.SendAsync(HttpMethod.Post, Crbs, Json(Binding("xml"), "application/xml"));

        Assert.Equal(415, code);
        Assert.Equal("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf",
            status["message"].Str());
    }

    [Fact]
    public async Task Bodies_over_three_mebibytes_are_too_large()
    {
        var big = Binding("big").Replace("\"labels\":{}", $"\"annotations\":{{\"a\":\"{new string('x', 3 * 1024 * 1024)}\"}}");
        var (code, status) = await _client.PostAsync(Crbs, big);

        Assert.Equal(413, code);
        Assert.Equal("Request entity too large: limit is 3145728", status["message"].Str());
    }

    [Fact]
    public async Task Curl_gets_indented_json_and_clients_get_compact_json()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{Crbs}/nope");
        request.Headers.UserAgent.ParseAdd("curl/8.5.0");
        using var response = await factory.CreateClient().SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        Assert.StartsWith("{\n  \"kind\": \"Status\"", text);
        var compact = await _client.GetStringAsync($"{Crbs}?limit=1");
        Assert.DoesNotContain("\n", compact);
    }

    [Fact]
    public async Task Field_manager_defaults_to_the_user_agent_and_can_be_named()
    {
        var (_, named) = await _client.PostAsync($"{Crbs}?fieldManager=kubectl-create", Binding("fm"));

        Assert.Equal("kubectl-create", named["metadata"]!["managedFields"]![0]!["manager"].Str());
        var (code, status) = await _client.PostAsync($"{Crbs}?fieldManager={new string('m', 129)}", Binding("fm-long"));
        Assert.Equal(422, code);
        Assert.EndsWith("fieldManager: Too long: may not be more than 128 bytes", status["message"].Str());
    }

    [Fact]
    public async Task Created_object_reads_back_identically()
    {
        var (_, created) = await _client.PostAsync(Crbs, Binding("readback", subjects: """[{"kind":"ServiceAccount","name":"sa","namespace":"kube-system"}]"""));
        var (code, read) = await _client.GetJsonAsync($"{Crbs}/readback");

        Assert.Equal(200, code);
        Assert.True(JsonNode.DeepEquals(created, read));
    }
}
