using System.Text.Json.Nodes;
using NJsonSchema;

namespace BindingServer.TestSupport;

/// <summary>
/// Validates response bodies against the official Kubernetes and OpenShift schemas kept in
/// <c>../shared/reference/schemas</c> (read at test time, never copied into the project).
/// </summary>
public static class OfficialSchemas
{
    private static readonly Dictionary<string, Lazy<JsonObject>> Documents = new()
    {
        ["rbac"] = new(() => Load("rbac_v1_schemas.json")),
        ["core"] = new(() => Load("api__v1_openapi.json")),
        ["openshift"] = new(() => Load("openshift_authorization_v1_schemas.json")),
    };

    public static string Directory
    {
        get
        {
            var root = RepositoryRoot();
            return Path.Combine(root, "..", "shared", "reference", "schemas");
        }
    }

    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "BindingServer.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("BindingServer.sln not found above the test binaries");
    }

    private static JsonObject Load(string file) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(Directory, file)))!.AsObject();

    /// <summary>Returns the validation errors of <paramref name="body"/> against component <paramref name="schemaName"/>.</summary>
    public static IReadOnlyList<string> Validate(string document, string schemaName, string body)
    {
        var components = Documents[document].Value["components"]!["schemas"]!.AsObject();
        var definitions = JsonNode.Parse(components.ToJsonString().Replace("#/components/schemas/", "#/definitions/"))!;
        var wrapper = definitions[schemaName]!.DeepClone().AsObject();
        wrapper["definitions"] = definitions;
        var schema = JsonSchema.FromJsonAsync(wrapper.ToJsonString()).GetAwaiter().GetResult();
        return schema.Validate(body).Select(e => e.ToString()).ToList();
    }
}
