using System.Text.Json.Nodes;
using static BindingServer.Tests.Http;

namespace BindingServer.Tests.Authorization;

/// <summary>The review endpoints appear in the OpenAPI v3 documents as a cluster lists them: create-only, with the real operation ids.</summary>
public sealed class ReviewOpenApiTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private readonly HttpClient _client = factory.Client();

    [Theory]
    [InlineData("apis/authorization.k8s.io/v1", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", "createAuthorizationV1SelfSubjectAccessReview", "SelfSubjectAccessReview")]
    [InlineData("apis/authorization.k8s.io/v1", "/apis/authorization.k8s.io/v1/subjectaccessreviews", "createAuthorizationV1SubjectAccessReview", "SubjectAccessReview")]
    [InlineData("apis/authorization.k8s.io/v1", "/apis/authorization.k8s.io/v1/namespaces/{namespace}/localsubjectaccessreviews", "createAuthorizationV1NamespacedLocalSubjectAccessReview", "LocalSubjectAccessReview")]
    [InlineData("apis/authorization.k8s.io/v1", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", "createAuthorizationV1SelfSubjectRulesReview", "SelfSubjectRulesReview")]
    [InlineData("apis/authentication.k8s.io/v1", "/apis/authentication.k8s.io/v1/selfsubjectreviews", "createAuthenticationV1SelfSubjectReview", "SelfSubjectReview")]
    public async Task Each_review_is_a_create_only_path_with_the_real_operation_id(string groupVersion, string path, string operationId, string kind)
    {
        var (index, indexBody) = await _client.GetJsonAsync("/openapi/v3");
        Assert.Equal(200, index);
        Assert.NotNull(indexBody["paths"]![groupVersion]);

        var (code, document) = await _client.GetJsonAsync($"/openapi/v3/{groupVersion}");

        Assert.Equal(200, code);
        var operations = document["paths"]![path]!.AsObject();
        Assert.Equal(["post", "parameters"], operations.Select(o => o.Key));
        var post = operations["post"]!;
        Assert.Equal(operationId, post["operationId"].Str());
        Assert.Equal("post", post["x-kubernetes-action"].Str());
        Assert.Equal(kind, post["x-kubernetes-group-version-kind"]!["kind"].Str());
        Assert.Equal($"#/components/schemas/io.k8s.api.{groupVersion.Split('/')[1].Split('.')[0]}.v1.{kind}",
            post["requestBody"]!["content"]!["application/json"]!["schema"]!["$ref"].Str());
        Assert.Null(document["components"]!["schemas"]![$"io.k8s.api.authorization.v1.{kind}List"]);
    }
}
