using BindingServer.TestSupport;
using static BindingServer.Tests.Http;

namespace BindingServer.Tests.Kubernetes;

/// <summary>ClusterRoleBinding validation: every rule of pkg/apis/rbac/validation with its exact text.</summary>
public sealed class ValidationTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private readonly HttpClient _client = factory.Client();

    [Fact]
    public async Task Reference_example_of_a_two_error_422_is_reproduced_exactly()
    {
        var (code, body) = await _client.PostAsync(Crbs,
            """{"metadata":{"name":"crbx"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"r"},"subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io"}]}""");

        Assert.Equal(422, code);
        Assert.Equal(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"ClusterRoleBinding.rbac.authorization.k8s.io \"crbx\" is invalid: [roleRef.kind: Unsupported value: \"Role\": supported values: \"ClusterRole\", subjects[0].name: Required value]","reason":"Invalid","details":{"name":"crbx","group":"rbac.authorization.k8s.io","kind":"ClusterRoleBinding","causes":[{"reason":"FieldValueNotSupported","message":"Unsupported value: \"Role\": supported values: \"ClusterRole\"","field":"roleRef.kind"},{"reason":"FieldValueRequired","message":"Required value","field":"subjects[0].name"}]},"code":422}""",
            body.Compact());
        Assert.Empty(OfficialSchemas.Validate("core", "io.k8s.apimachinery.pkg.apis.meta.v1.Status", body.ToJsonString()));
    }

    [Theory]
    [InlineData("""{"apiGroup":"example.com","kind":"ClusterRole","name":"view"}""", "roleRef.apiGroup: Unsupported value: \"example.com\": supported values: \"rbac.authorization.k8s.io\"")]
    [InlineData("""{"kind":"ClusterRole"}""", "roleRef.name: Required value")]
    [InlineData("""{"kind":"ClusterRole","name":"a/b"}""", "roleRef.name: Invalid value: \"a/b\": may not contain '/'")]
    [InlineData("""{"kind":"ClusterRole","name":".."}""", "roleRef.name: Invalid value: \"..\": may not be '..'")]
    [InlineData("""{"kind":"","name":"view"}""", "roleRef.kind: Unsupported value: \"\": supported values: \"ClusterRole\"")]
    public async Task RoleRef_rules(string roleRef, string error)
    {
        var (code, body) = await _client.PostAsync(Crbs, $$"""{"metadata":{"name":"rr"},"roleRef":{{roleRef}}}""");

        Assert.Equal(422, code);
        Assert.Equal($"ClusterRoleBinding.rbac.authorization.k8s.io \"rr\" is invalid: {error}", body["message"].Str());
    }

    [Theory]
    [InlineData("""{"kind":"ServiceAccount","name":"sa"}""", "subjects[0].namespace: Required value")]
    [InlineData("""{"kind":"ServiceAccount","name":"Bad","namespace":"ns"}""", "subjects[0].name: Invalid value: \"Bad\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")]
    [InlineData("""{"kind":"ServiceAccount","name":"sa","namespace":"ns","apiGroup":"x"}""", "subjects[0].apiGroup: Unsupported value: \"x\": supported values: \"\"")]
    [InlineData("""{"kind":"User","name":"u","apiGroup":"x"}""", "subjects[0].apiGroup: Unsupported value: \"x\": supported values: \"rbac.authorization.k8s.io\"")]
    [InlineData("""{"kind":"Robot","name":"r"}""", "subjects[0].kind: Unsupported value: \"Robot\": supported values: \"ServiceAccount\", \"User\", \"Group\"")]
    public async Task Subject_rules(string subject, string error)
    {
        var (code, body) = await _client.PostAsync(Crbs, $$"""{"metadata":{"name":"subj"},"roleRef":{"kind":"ClusterRole","name":"view"},"subjects":[{{subject}}]}""");

        Assert.Equal(422, code);
        Assert.Equal($"ClusterRoleBinding.rbac.authorization.k8s.io \"subj\" is invalid: {error}", body["message"].Str());
    }

    [Fact]
    public async Task User_and_group_names_are_not_checked_beyond_being_present()
    {
        var (code, _) = await _client.PostAsync(Crbs,
            """{"metadata":{"name":"free-names"},"roleRef":{"kind":"ClusterRole","name":"view"},"subjects":[{"kind":"User","name":"Alice Smith@example.com"},{"kind":"Group","name":"system:masters"}]}""");

        Assert.Equal(201, code);
    }

    [Theory]
    [InlineData("system:controller:Foo_Bar", 201)]
    [InlineData("UPPER.case", 201)]
    [InlineData("has%percent", 422)]
    public async Task Rbac_names_only_need_to_be_a_path_segment(string name, int expected)
    {
        var (code, body) = await _client.PostAsync(Crbs, $$$"""{"metadata":{"name":"{{{name}}}"},"roleRef":{"kind":"ClusterRole","name":"view"}}""");

        Assert.Equal(expected, code);
        if (expected == 422)
        {
            Assert.Equal($"ClusterRoleBinding.rbac.authorization.k8s.io \"{name}\" is invalid: metadata.name: Invalid value: \"{name}\": may not contain '%'", body["message"].Str());
        }
    }

    [Fact]
    public async Task Label_keys_and_values_are_checked_on_the_labels_field()
    {
        var (code, body) = await _client.PostAsync(Crbs, Binding("labels", labels: """{"-bad":"ok","good":"-bad-"}"""));

        Assert.Equal(422, code);
        var causes = body["details"]!["causes"]!.AsArray();
        Assert.All(causes, c => Assert.Equal("metadata.labels", c!["field"].Str()));
        Assert.Equal("Invalid value: \"-bad\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
            causes[0]!["message"].Str());
        Assert.Equal("Invalid value: \"-bad-\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
            causes[1]!["message"].Str());
    }

    [Fact]
    public async Task Annotations_over_256_KiB_are_too_long()
    {
        var big = new string('a', 262_145);
        var (code, body) = await _client.PostAsync(Crbs, $$$"""{"metadata":{"name":"ann","annotations":{"k":"{{{big}}}"}},"roleRef":{"kind":"ClusterRole","name":"view"}}""");

        Assert.Equal(422, code);
        Assert.Equal("ClusterRoleBinding.rbac.authorization.k8s.io \"ann\" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes", body["message"].Str());
    }

    [Fact]
    public async Task Unknown_finalizer_names_must_be_qualified()
    {
        var (code, body) = await _client.PostAsync(Crbs, """{"metadata":{"name":"fin","finalizers":["custom"]},"roleRef":{"kind":"ClusterRole","name":"view"}}""");

        Assert.Equal(422, code);
        Assert.EndsWith("metadata.finalizers: Invalid value: \"custom\": name is neither a standard finalizer name nor is it fully qualified", body["message"].Str());
    }

    [Fact]
    public async Task Schema_validation_helper_really_rejects_a_malformed_binding()
    {
        // Guards the helper the other tests rely on: a wrong type must not validate.
        var errors = OfficialSchemas.Validate("rbac", "io.k8s.api.rbac.v1.ClusterRoleBinding", """{"roleRef":5,"subjects":{}}""");

        Assert.NotEmpty(errors);
    }
}
