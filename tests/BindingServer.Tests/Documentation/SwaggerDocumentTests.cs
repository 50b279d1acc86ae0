using System.Text.Json.Nodes;
using BindingServer.TestSupport;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;

namespace BindingServer.Tests.Documentation;

/// <summary>The Swagger document: complete, well-formed, examples valid, and the committed copy up to date.</summary>
public sealed class SwaggerDocumentTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private async Task<(string Text, JsonObject Document)> DocumentAsync()
    {
        var text = await factory.Client().GetStringAsync("/swagger/bindingserver.json");
        return (text, JsonNode.Parse(text)!.AsObject());
    }

    /// <summary>A route as OpenAPI names it: parameters by name alone, without catch-all marks or constraints.</summary>
    private static string DocumentedPath(RoutePattern pattern) =>
        "/" + string.Join("/", pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternSeparatorPart separator => separator.Content,
            RoutePatternParameterPart parameter => "{" + parameter.Name + "}",
            _ => "",
        }))));

    [Fact]
    public async Task It_is_an_openapi_3_document_with_every_served_route()
    {
        var (_, document) = await DocumentAsync();
        Assert.StartsWith("3.", document["openapi"]!.GetValue<string>());
        var paths = document["paths"]!.AsObject();

        var endpoints = factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IHttpMethodMetadata>() is not null)
            .Where(e => !e.RoutePattern.RawText!.StartsWith("/swagger", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(endpoints);
        foreach (var endpoint in endpoints)
        {
            var path = DocumentedPath(endpoint.RoutePattern);
            Assert.True(paths.ContainsKey(path), $"{path} is not documented");
            foreach (var method in endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods)
            {
                Assert.True(paths[path]!.AsObject().ContainsKey(method.ToLowerInvariant()), $"{method} {path} is not documented");
            }
        }
    }

    [Fact]
    public async Task Kubernetes_and_cloud_foundry_operations_carry_their_parameters_and_error_bodies()
    {
        var (_, document) = await DocumentAsync();
        var create = document["paths"]!["/apis/rbac.authorization.k8s.io/v1/clusterrolebindings"]!["post"]!;
        var bind = document["paths"]!["/v2/service_bindings"]!["post"]!;

        Assert.Equal(["pretty", "dryRun", "fieldManager", "fieldValidation"], create["parameters"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()));
        Assert.Equal("#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Status", create["responses"]!["409"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>());
        Assert.Equal("read-secrets-global", create["requestBody"]!["content"]!["application/json"]!["example"]!["metadata"]!["name"]!.GetValue<string>());
        Assert.Contains(bind["parameters"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "accepts_incomplete");
        Assert.Equal("#/components/schemas/cf.Error", bind["responses"]!["404"]!["content"]!["application/json;charset=utf-8"]!["schema"]!["$ref"]!.GetValue<string>());
        Assert.NotNull(bind["security"]);
        Assert.Equal("bearer", document["components"]!["securitySchemes"]!["bearer"]!["scheme"]!.GetValue<string>());
    }

    [Fact]
    public async Task Every_example_validates_against_its_own_schema()
    {
        var (_, document) = await DocumentAsync();
        var schemas = document["components"]!["schemas"]!.AsObject();
        var definitions = JsonNode.Parse(schemas.ToJsonString().Replace("#/components/schemas/", "#/definitions/"))!;
        var checkedExamples = 0;
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                var media = new List<JsonNode?>();
                media.AddRange(operation!["requestBody"]?["content"]?.AsObject().Select(c => c.Value) ?? []);
                media.AddRange(operation["responses"]?.AsObject().SelectMany(r => r.Value?["content"]?.AsObject().Select(c => c.Value) ?? []) ?? []);
                foreach (var entry in media.Where(m => m?["example"] is not null))
                {
                    var reference = entry!["schema"]!["$ref"]!.GetValue<string>()["#/components/schemas/".Length..];
                    var root = definitions[reference]!.DeepClone().AsObject();
                    root["definitions"] = definitions.DeepClone();
                    var schema = await NJsonSchema.JsonSchema.FromJsonAsync(root.ToJsonString());
                    var errors = schema.Validate(entry["example"]!.ToJsonString());
                    Assert.True(errors.Count == 0, $"{method} {path}: {string.Join("; ", errors)}");
                    checkedExamples++;
                }
            }
        }

        Assert.True(checkedExamples >= 5, $"only {checkedExamples} examples found");
    }

    /// <summary>docs/openapi.json is the served document, committed so API changes show in review.</summary>
    [Fact]
    public async Task The_committed_document_is_current()
    {
        var (text, _) = await DocumentAsync();
        var committed = Path.Combine(OfficialSchemas.RepositoryRoot(), "docs", "openapi.json");
        var current = JsonNode.Parse(text)!.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n";
        var existing = File.Exists(committed) ? await File.ReadAllTextAsync(committed) : "";
        if (existing != current)
        {
            await File.WriteAllTextAsync(committed, current);
        }

        Assert.True(existing == current, "docs/openapi.json was stale; it has been regenerated, commit it");
    }
}
