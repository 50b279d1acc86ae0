using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Resources.Core;

namespace BindingServer.Kubernetes.OpenApi;

/// <summary>
/// The subresources and the Binding collection, which the generic kinds' paths do not cover, as the real document has
/// them: <c>createCoreV1NamespacedPodBinding</c>, <c>readCoreV1NamespacedPodStatus</c>, … with their parameters, bodies
/// and group-version-kinds (a subresource answers with its parent's kind unless it has its own, as Binding and
/// TokenRequest do).
/// </summary>
internal static class OpenApiSubresources
{
    private sealed record Subresource(string Parent, string Name, string[] Verbs, string? GroupVersionPath = null, Type? Type = null);

    private static readonly Subresource[] Served =
    [
        new("pods", "binding", ["post"], "/api/v1", typeof(Binding)),
        new("pods", "status", ["get", "put", "patch"]),
        new("namespaces", "finalize", ["put"]),
        new("namespaces", "status", ["get", "put", "patch"]),
        new("nodes", "status", ["get", "put", "patch"]),
        new("serviceaccounts", "token", ["post"], "/apis/authentication.k8s.io/v1", typeof(TokenRequest)),
    ];

    internal static void Add(JsonObject paths, IReadOnlyList<ResourceDefinition> definitions, SortedDictionary<string, JsonNode?> schemas)
    {
        foreach (var subresource in Served)
        {
            if (definitions.FirstOrDefault(d => d.Group.Length == 0 && d.Plural == subresource.Parent) is { } parent)
            {
                AddSubresource(paths, parent, subresource, schemas);
            }
        }

        if (definitions.FirstOrDefault(d => d.Group.Length == 0 && d.Plural == "pods") is { } pods)
        {
            // POST /api/v1/namespaces/{namespace}/bindings: the scheduler's older form of pods/binding.
            var schema = OpenApiSchemas.AddSchemaOnly("/api/v1", typeof(Binding), schemas);
            paths[$"{pods.GroupVersionPath}/namespaces/{{namespace}}/bindings"] = new JsonObject
            {
                ["post"] = OpenApiPaths.Operation(OpenApiPaths.Tag(pods), OpenApiSchemas.GvkOf("/api/v1", typeof(Binding)),
                    $"create{OpenApiPaths.OperationPrefix(pods)}NamespacedBinding", "post", "Create a Binding.", OpenApiPaths.WriteParameters(false),
                    OpenApiPaths.Body(schema, OpenApiPaths.ObjectMediaTypes), OpenApiPaths.Responses(schema, 200, 201, 202)),
                ["parameters"] = new JsonArray(
                    OpenApiPaths.Parameter("namespace", "path", "The object's namespace.", required: true),
                    OpenApiPaths.Parameter("pretty", "query", "Indent the JSON answer.")),
            };
        }
    }

    private static void AddSubresource(JsonObject paths, ResourceDefinition parent, Subresource subresource, SortedDictionary<string, JsonNode?> schemas)
    {
        var (schema, gvk, kind) = subresource.Type is { } type
            ? (OpenApiSchemas.AddSchemaOnly(subresource.GroupVersionPath!, type, schemas), OpenApiSchemas.GvkOf(subresource.GroupVersionPath!, type), type.Name)
            : (OpenApiSchemas.AddKind(parent, schemas), OpenApiSchemas.Gvk(parent), parent.Kind);
        var scope = parent.Namespaced ? "Namespaced" : "";
        var suffix = $"{OpenApiPaths.OperationPrefix(parent)}{scope}{parent.Kind}{char.ToUpperInvariant(subresource.Name[0])}{subresource.Name[1..]}";
        var tag = OpenApiPaths.Tag(parent);
        var path = new JsonObject();
        foreach (var verb in subresource.Verbs)
        {
            path[verb] = verb switch
            {
                "get" => OpenApiPaths.Operation(tag, gvk, $"read{suffix}", "get", $"Read the {subresource.Name} of a {parent.Kind}.",
                    responses: OpenApiPaths.Responses(schema, 200)),
                "put" => OpenApiPaths.Operation(tag, gvk, $"replace{suffix}", "put", $"Replace the {subresource.Name} of a {parent.Kind}.",
                    OpenApiPaths.WriteParameters(false), OpenApiPaths.Body(schema, OpenApiPaths.ObjectMediaTypes), OpenApiPaths.Responses(schema, 200, 201)),
                "patch" => OpenApiPaths.Operation(tag, gvk, $"patch{suffix}", "patch", $"Partially update the {subresource.Name} of a {parent.Kind}.",
                    OpenApiPaths.WriteParameters(true), OpenApiPaths.Body("io.k8s.apimachinery.pkg.apis.meta.v1.Patch", OpenApiPaths.PatchMediaTypes),
                    OpenApiPaths.Responses(schema, 200, 201)),
                _ => OpenApiPaths.Operation(tag, gvk, $"create{suffix}", "post", $"Create the {subresource.Name} of a {parent.Kind}.",
                    OpenApiPaths.WriteParameters(false), OpenApiPaths.Body(schema, OpenApiPaths.ObjectMediaTypes), OpenApiPaths.Responses(schema, 200, 201, 202)),
            };
        }

        var parameters = new JsonArray(OpenApiPaths.Parameter("name", "path", $"The name of the {kind}.", required: true));
        if (parent.Namespaced)
        {
            parameters.Add(OpenApiPaths.Parameter("namespace", "path", "The object's namespace.", required: true));
        }

        parameters.Add(OpenApiPaths.Parameter("pretty", "query", "Indent the JSON answer."));
        path["parameters"] = parameters;
        var collection = parent.Namespaced ? $"{parent.GroupVersionPath}/namespaces/{{namespace}}/{parent.Plural}" : $"{parent.GroupVersionPath}/{parent.Plural}";
        paths[$"{collection}/{{name}}/{subresource.Name}"] = path;
    }
}
