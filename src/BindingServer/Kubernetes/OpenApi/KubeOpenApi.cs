using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Discovery;
using BindingServer.Kubernetes.Json;

namespace BindingServer.Kubernetes.OpenApi;

/// <summary>
/// The Kubernetes-form OpenAPI documents kubectl reads (<c>/openapi/v3</c> per group-version, <c>/openapi/v2</c>), generated
/// from the served kinds' C# types and their descriptions: schemas with <c>x-kubernetes-group-version-kind</c>, list and
/// patch strategies, and every operation with its query parameters, including <c>fieldValidation</c> on patch, which is how
/// kubectl decides to leave validation to the server.
/// </summary>
public sealed class KubeOpenApi
{
    private readonly Lazy<Dictionary<string, (JsonObject Document, string Hash)>> _v3;
    private readonly Lazy<JsonObject> _v2;
    private readonly Lazy<byte[]> _v2Protobuf;

    /// <param name="served">The stored kinds, each with its operations.</param>
    /// <param name="schemaOnly">Types served by their own handlers (Binding) whose schemas belong in a group-version's document.</param>
    public KubeOpenApi(IEnumerable<ResourceDefinition> served, IEnumerable<(string GroupVersionPath, Type Type)>? schemaOnly = null)
    {
        var definitions = served.ToList();
        var extra = (schemaOnly ?? []).ToList();
        _v3 = new(() => definitions.GroupBy(d => d.GroupVersionPath.TrimStart('/')).ToDictionary(
            g => g.Key,
            g =>
            {
                var document = V3(g.ToList(), extra.Where(e => e.GroupVersionPath.TrimStart('/') == g.Key));
                return (document, Hash(document));
            }));
        _v2 = new(() => Swagger2.FromV3(V3(definitions, extra)));
        _v2Protobuf = new(() => OpenApiV2Protobuf.Encode(_v2.Value));
    }

    public IReadOnlyDictionary<string, (JsonObject Document, string Hash)> GroupVersions => _v3.Value;

    public JsonObject V2 => _v2.Value;

    /// <summary>The v2 document in the protobuf form kubectl's client-side validation downloads.</summary>
    public byte[] V2Protobuf => _v2Protobuf.Value;

    public JsonObject Index() => new()
    {
        ["paths"] = new JsonObject(GroupVersions.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p =>
            KeyValuePair.Create(p.Key, (JsonNode?)new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{p.Key}?hash={p.Value.Hash}" }))),
    };

    private static string Hash(JsonObject document) =>
        Convert.ToHexString(SHA512.HashData(Encoding.UTF8.GetBytes(document.ToJsonString(KubeJson.Options))));

    private static JsonObject V3(IReadOnlyList<ResourceDefinition> definitions, IEnumerable<(string GroupVersionPath, Type Type)>? schemaOnly = null)
    {
        var schemas = new SortedDictionary<string, JsonNode?>(StringComparer.Ordinal);
        var paths = new JsonObject();
        OpenApiSchemas.AddSharedSchemas(schemas);
        foreach (var (groupVersionPath, type) in schemaOnly ?? [])
        {
            OpenApiSchemas.AddSchemaOnly(groupVersionPath, type, schemas);
        }

        foreach (var definition in definitions)
        {
            OpenApiPaths.Add(paths, definition, OpenApiSchemas.AddKind(definition, schemas));
        }

        OpenApiSubresources.Add(paths, definitions, schemas);

        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = VersionEndpoint.GitVersion },
            ["paths"] = paths,
            ["components"] = new JsonObject
            {
                ["schemas"] = new JsonObject(schemas.Select(p => KeyValuePair.Create(p.Key, p.Value))),
            },
        };
    }
}
