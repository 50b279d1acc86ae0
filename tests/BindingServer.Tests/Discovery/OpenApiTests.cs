using System.Net;
using System.Text.Json.Nodes;
using BindingServer.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using static BindingServer.Tests.Http;

namespace BindingServer.Tests.Discovery;

public sealed partial class OpenApiTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private readonly HttpClient _client = factory.Client();

    private async Task<JsonNode> RbacDocumentAsync()
    {
        var index = JsonNode.Parse(await _client.GetStringAsync("/openapi/v3"))!;
        var url = index["paths"]!["apis/rbac.authorization.k8s.io/v1"]!["serverRelativeURL"].Str();
        Assert.Matches(@"^/openapi/v3/apis/rbac\.authorization\.k8s\.io/v1\?hash=[0-9A-F]{128}$", url);
        return JsonNode.Parse(await _client.GetStringAsync(url))!;
    }

    [Fact]
    public async Task The_patch_operation_names_its_kind_and_takes_fieldValidation()
    {
        var document = await RbacDocumentAsync();
        var patch = document["paths"]!["/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/{name}"]!["patch"]!;

        Assert.Equal("patchRbacAuthorizationV1ClusterRoleBinding", patch["operationId"].Str());
        Assert.Equal("""{"group":"rbac.authorization.k8s.io","kind":"ClusterRoleBinding","version":"v1"}""", patch["x-kubernetes-group-version-kind"]!.ToJsonString());
        Assert.Contains(patch["parameters"]!.AsArray(), p => p!["name"].Str() == "fieldValidation");
        Assert.True(patch["requestBody"]!["content"]!.AsObject().ContainsKey("application/strategic-merge-patch+json"));
    }

    [Fact]
    public async Task Schemas_carry_kinds_list_types_and_required_fields()
    {
        var schemas = (await RbacDocumentAsync())["components"]!["schemas"]!;
        var binding = schemas["io.k8s.api.rbac.v1.ClusterRoleBinding"]!;

        Assert.Equal("""[{"group":"rbac.authorization.k8s.io","kind":"ClusterRoleBinding","version":"v1"}]""", binding["x-kubernetes-group-version-kind"]!.ToJsonString());
        Assert.Equal("""["roleRef"]""", binding["required"]!.ToJsonString());
        Assert.Equal("atomic", binding["properties"]!["subjects"]!["x-kubernetes-list-type"].Str());
        Assert.Equal("#/components/schemas/io.k8s.api.rbac.v1.RoleRef", binding["properties"]!["roleRef"]!["allOf"]![0]!["$ref"].Str());
        Assert.Equal("atomic", binding["properties"]!["roleRef"]!["x-kubernetes-map-type"].Str());
        var meta = schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]!["properties"]!;
        Assert.Equal("uid", meta["ownerReferences"]!["x-kubernetes-patch-merge-key"].Str());
        Assert.Equal("set", meta["finalizers"]!["x-kubernetes-list-type"].Str());
        Assert.NotEmpty(meta["name"]!["description"].Str());
    }

    [Fact]
    public async Task Every_schema_reference_resolves()
    {
        var document = await RbacDocumentAsync();
        var schemas = document["components"]!["schemas"]!.AsObject();
        var references = new List<string>();
        Collect(document, references);

        Assert.NotEmpty(references);
        Assert.All(references, r => Assert.True(schemas.ContainsKey(r["#/components/schemas/".Length..]), r));
    }

    private static void Collect(JsonNode? node, List<string> references)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    if (key == "$ref")
                    {
                        references.Add(value.Str());
                    }
                    else
                    {
                        Collect(value, references);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    Collect(item, references);
                }

                break;
        }
    }

    [Fact]
    public async Task Our_schema_accepts_what_the_server_returns_and_so_does_the_official_one()
    {
        var (_, created) = await _client.PostAsync(Crbs, Binding("openapi-check", subjects: """[{"kind":"ServiceAccount","name":"sa","namespace":"ns"}]"""));

        Assert.Empty(OfficialSchemas.Validate("rbac", "io.k8s.api.rbac.v1.ClusterRoleBinding", created.ToJsonString()));
        var ours = (await RbacDocumentAsync())["components"]!["schemas"]!.AsObject();
        var definitions = JsonNode.Parse(ours.ToJsonString().Replace("#/components/schemas/", "#/definitions/"))!;
        var root = definitions["io.k8s.api.rbac.v1.ClusterRoleBinding"]!.DeepClone().AsObject();
        root["definitions"] = definitions;
        var schema = await NJsonSchema.JsonSchema.FromJsonAsync(root.ToJsonString());
        Assert.Empty(schema.Validate(created.ToJsonString()));
    }

    [Fact]
    public async Task A_stale_hash_is_redirected_to_the_current_document()
    {
        using var client = factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        using var response = await client.GetAsync("/openapi/v3/apis/rbac.authorization.k8s.io/v1?hash=STALE");

        Assert.Equal(HttpStatusCode.MovedPermanently, response.StatusCode);
        Assert.StartsWith("/openapi/v3/apis/rbac.authorization.k8s.io/v1?hash=", response.Headers.Location!.ToString());
    }

    [Fact]
    public async Task Swagger_2_document_is_served_too()
    {
        var v2 = JsonNode.Parse(await _client.GetStringAsync("/openapi/v2"))!;

        Assert.Equal("2.0", v2["swagger"].Str());
        Assert.NotNull(v2["definitions"]!["io.k8s.api.rbac.v1.ClusterRoleBinding"]);
        Assert.Equal("#/definitions/io.k8s.api.rbac.v1.RoleRef", v2["definitions"]!["io.k8s.api.rbac.v1.ClusterRoleBinding"]!["properties"]!["roleRef"]!["$ref"].Str());
        var post = v2["paths"]!["/apis/rbac.authorization.k8s.io/v1/clusterrolebindings"]!["post"]!;
        Assert.Contains(post["parameters"]!.AsArray(), p => p!["in"].Str() == "body");
    }

    [Fact]
    public async Task The_swagger_2_document_comes_as_gnostic_protobuf_for_kubectls_own_validation()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/openapi/v2");
        request.Headers.TryAddWithoutValidation("Accept", "application/com.github.proto-openapi.spec.v2@v1.0+protobuf");
        using var response = await _client.SendAsync(request);
        var bytes = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal("application/com.github.proto-openapi.spec.v2.v1.0+protobuf", response.Content.Headers.ContentType!.ToString());
        var document = Fields(bytes);
        Assert.Equal("2.0", Text(document, 1).Single());
        var definitions = document.Where(f => f.Number == 9).Select(f => Fields(f.Bytes)).Single();
        var named = definitions.Where(f => f.Number == 1).Select(f => Fields(f.Bytes)).ToDictionary(n => Text(n, 1).Single(), n => Fields(n.Single(f => f.Number == 2).Bytes));

        // kubectl finds a kind's schema by this extension, whose value gnostic keeps as YAML text.
        var extension = named["io.k8s.api.core.v1.Binding"].Where(f => f.Number == 31).Select(f => Fields(f.Bytes))
            .Single(e => Text(e, 1).Single() == "x-kubernetes-group-version-kind");
        Assert.Equal("- group: \"\"\n  kind: Binding\n  version: v1\n", Text(Fields(extension.Single(f => f.Number == 2).Bytes), 2).Single());
        var targetRef = Fields(Fields(named["io.k8s.api.core.v1.Binding"].Single(f => f.Number == 25).Bytes)
            .Select(f => Fields(f.Bytes)).Single(p => Text(p, 1).Single() == "target").Single(f => f.Number == 2).Bytes);
        Assert.Equal("#/definitions/io.k8s.api.core.v1.ObjectReference", Text(targetRef, 1).Single());
    }

    /// <summary>The length-delimited fields of a protobuf message (every field of these messages that the test reads is one).</summary>
    private static List<(int Number, byte[] Bytes)> Fields(byte[] message)
    {
        var fields = new List<(int, byte[])>();
        var input = new Google.Protobuf.CodedInputStream(message);
        while (!input.IsAtEnd)
        {
            var tag = input.ReadTag();
            var number = Google.Protobuf.WireFormat.GetTagFieldNumber(tag);
            if (Google.Protobuf.WireFormat.GetTagWireType(tag) == Google.Protobuf.WireFormat.WireType.LengthDelimited)
            {
                fields.Add((number, input.ReadBytes().ToByteArray()));
            }
            else
            {
                input.SkipLastField();
            }
        }

        return fields;
    }

    private static IEnumerable<string> Text(List<(int Number, byte[] Bytes)> fields, int number) =>
        fields.Where(f => f.Number == number).Select(f => System.Text.Encoding.UTF8.GetString(f.Bytes));

    /// <summary>Every method on every served Kubernetes or OpenShift resource path, subresources and Binding included.</summary>
    [Fact]
    public async Task Every_served_resource_route_is_in_its_group_versions_documents()
    {
        var routes = factory.Services.GetRequiredService<Microsoft.AspNetCore.Routing.EndpointDataSource>().Endpoints
            .OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>()
            .Select(e => (Pattern: e.RoutePattern.RawText!, Methods: e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? []))
            .Where(r => ResourcePath().IsMatch(r.Pattern))
            .ToList();
        var v2 = JsonNode.Parse(await _client.GetStringAsync("/openapi/v2"))!["paths"]!.AsObject();
        var documents = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (var (pattern, methods) in routes)
        {
            var groupVersion = GroupVersion().Match(pattern).Value.TrimStart('/');
            if (!documents.TryGetValue(groupVersion, out var paths))
            {
                paths = documents[groupVersion] = JsonNode.Parse(await _client.GetStringAsync($"/openapi/v3/{groupVersion}"))!["paths"]!.AsObject();
            }

            foreach (var method in methods.Select(m => m.ToLowerInvariant()))
            {
                if (paths[pattern]?[method] is null)
                {
                    missing.Add($"v3 {method} {pattern}");
                }

                if (v2[pattern]?[method] is null)
                {
                    missing.Add($"v2 {method} {pattern}");
                }
            }
        }

        Assert.True(routes.Count > 40, $"only {routes.Count} resource routes found");
        Assert.True(missing.Count == 0, string.Join("\n", missing));
    }

    /// <summary>The subresources and the Binding collection carry the real document's operation ids, actions, kinds and parameters.</summary>
    [Theory]
    [InlineData("/api/v1/namespaces/{namespace}/pods/{name}/binding")]
    [InlineData("/api/v1/namespaces/{namespace}/bindings")]
    [InlineData("/api/v1/namespaces/{namespace}/pods/{name}/status")]
    [InlineData("/api/v1/namespaces/{name}/finalize")]
    [InlineData("/api/v1/namespaces/{name}/status")]
    [InlineData("/api/v1/nodes/{name}/status")]
    [InlineData("/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token")]
    public async Task Subresource_operations_are_the_real_documents(string path)
    {
        var ours = JsonNode.Parse(await _client.GetStringAsync("/openapi/v3/api/v1"))!["paths"]![path]!.AsObject();
        var official = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(OfficialSchemas.Directory, "api__v1_openapi.json")))!["paths"]![path]!.AsObject();

        static string Describe(JsonObject pathItem) => string.Join("\n", pathItem.Where(p => p.Key != "parameters").OrderBy(p => p.Key, StringComparer.Ordinal).Select(p =>
            $"{p.Key} {p.Value!["operationId"].Str()} {p.Value["x-kubernetes-action"].Str()} {p.Value["x-kubernetes-group-version-kind"]!.ToJsonString()} " +
            string.Join(",", (pathItem["parameters"]?.AsArray() ?? []).Concat(p.Value["parameters"]?.AsArray() ?? []).Select(x => x!["name"].Str()).Order(StringComparer.Ordinal))));

        Assert.Equal(Describe(official), Describe(ours));
    }

    /// <summary>
    /// OpenShift's reviews are create-only kinds named as kube-openapi names every create, with openshift/api's types:
    /// no metadata, the action inline, and each field without omitempty required.
    /// </summary>
    [Theory]
    [InlineData("/apis/authorization.openshift.io/v1/subjectaccessreviews", "createAuthorizationOpenshiftIoV1SubjectAccessReview", "SubjectAccessReview")]
    [InlineData("/apis/authorization.openshift.io/v1/namespaces/{namespace}/localsubjectaccessreviews", "createAuthorizationOpenshiftIoV1NamespacedLocalSubjectAccessReview", "LocalSubjectAccessReview")]
    [InlineData("/apis/authorization.openshift.io/v1/resourceaccessreviews", "createAuthorizationOpenshiftIoV1ResourceAccessReview", "ResourceAccessReview")]
    [InlineData("/apis/authorization.openshift.io/v1/namespaces/{namespace}/localresourceaccessreviews", "createAuthorizationOpenshiftIoV1NamespacedLocalResourceAccessReview", "LocalResourceAccessReview")]
    [InlineData("/apis/authorization.openshift.io/v1/namespaces/{namespace}/subjectrulesreviews", "createAuthorizationOpenshiftIoV1NamespacedSubjectRulesReview", "SubjectRulesReview")]
    [InlineData("/apis/authorization.openshift.io/v1/namespaces/{namespace}/selfsubjectrulesreviews", "createAuthorizationOpenshiftIoV1NamespacedSelfSubjectRulesReview", "SelfSubjectRulesReview")]
    public async Task OpenShift_review_operations_and_schemas_are_openshifts(string path, string operationId, string kind)
    {
        var document = JsonNode.Parse(await _client.GetStringAsync("/openapi/v3/apis/authorization.openshift.io/v1"))!;
        var post = document["paths"]![path]!["post"]!;
        var schemaName = $"com.github.openshift.api.authorization.v1.{kind}";
        var schema = document["components"]!["schemas"]![schemaName]!;

        Assert.Equal(operationId, post["operationId"].Str());
        Assert.Equal("post", post["x-kubernetes-action"].Str());
        Assert.Equal($$"""{"group":"authorization.openshift.io","kind":"{{kind}}","version":"v1"}""", post["x-kubernetes-group-version-kind"]!.ToJsonString());
        Assert.Equal("#/components/schemas/" + schemaName, post["requestBody"]!["content"]!["application/json"]!["schema"]!["$ref"].Str());
        Assert.Equal(["dryRun", "fieldManager", "fieldValidation"], post["parameters"]!.AsArray().Select(p => p!["name"].Str()).Order(StringComparer.Ordinal));
        var properties = schema["properties"]!.AsObject().Select(p => p.Key).ToList();
        Assert.DoesNotContain("metadata", properties);
        var required = schema["required"]!.AsArray().Select(r => r.Str()).ToList();
        if (kind.EndsWith("AccessReview", StringComparison.Ordinal))
        {
            Assert.Subset(required.ToHashSet(), new HashSet<string> { "namespace", "verb", "resourceAPIGroup", "resourceAPIVersion", "resource", "resourceName", "path", "isNonResourceURL" });
            Assert.Contains("content", properties);
            Assert.DoesNotContain("content", required);
            Assert.Equal(kind.Contains("Subject", StringComparison.Ordinal), required.Contains("user") && required.Contains("groups") && required.Contains("scopes"));
        }
        else
        {
            Assert.Equal(["spec"], required);
        }

        // A typical request body is valid by this schema (Go clients send null for empty lists, which the real schema, with no
        // nullable, refuses as well).
        var definitions = JsonNode.Parse(document["components"]!["schemas"]!.ToJsonString().Replace("#/components/schemas/", "#/definitions/"))!;
        var root = definitions[schemaName]!.DeepClone().AsObject();
        root["definitions"] = definitions;
        var validator = await NJsonSchema.JsonSchema.FromJsonAsync(root.ToJsonString());
        var body = kind.EndsWith("RulesReview", StringComparison.Ordinal)
            ? $$"""{"kind":"{{kind}}","apiVersion":"authorization.openshift.io/v1","spec":{"user":"alice","groups":["devs"],"scopes":[]} }"""
            : $$"""{"kind":"{{kind}}","apiVersion":"authorization.openshift.io/v1","namespace":"team","verb":"get","resourceAPIGroup":"","resourceAPIVersion":"","resource":"pods","resourceName":"","path":"","isNonResourceURL":false,"user":"alice","groups":["devs"],"scopes":[]}""";
        Assert.Empty(validator.Validate(body));
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^/apis?/[^{]+/(namespaces|[a-z]+s)(/|$)")]
    private static partial System.Text.RegularExpressions.Regex ResourcePath();

    [System.Text.RegularExpressions.GeneratedRegex(@"^/api/v1|^/apis/[^/]+/[^/]+")]
    private static partial System.Text.RegularExpressions.Regex GroupVersion();
}
