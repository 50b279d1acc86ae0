using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Api;

namespace BindingServer.Kubernetes.OpenApi;

/// <summary>
/// The paths and operations of a served kind, as the real server names and describes them: operation ids, tags,
/// query parameters (<c>fieldValidation</c> among them), request bodies with their media types, and responses.
/// </summary>
internal static class OpenApiPaths
{
    /// <summary>Adds the paths of a served kind, under the schema named <paramref name="schema"/>.</summary>
    internal static void Add(JsonObject paths, ResourceDefinition definition, string schema)
    {
        var prefix = OperationPrefix(definition);
        var scope = definition.Namespaced ? "Namespaced" : "";
        var tag = Tag(definition);
        var collection = definition.Namespaced
            ? $"{definition.GroupVersionPath}/namespaces/{{namespace}}/{definition.Plural}"
            : $"{definition.GroupVersionPath}/{definition.Plural}";
        var scopeParameters = new JsonArray(Parameter("pretty", "query", "Indent the JSON answer."));
        if (definition.Namespaced)
        {
            scopeParameters.Insert(0, Parameter("namespace", "path", "The object's namespace.", required: true));
        }

        JsonObject Operation(string verb, string action, string summary, JsonArray? parameters = null, JsonObject? body = null, JsonObject? responses = null) =>
            OpenApiPaths.Operation(tag, OpenApiSchemas.Gvk(definition), verb, action, summary, parameters, body, responses);

        JsonArray ListQuery() => new(ListParameters.Select(p => (JsonNode)Parameter(p.Name, "query", p.Description, p.Type)).ToArray());

        // Only the operations the kind serves: the reviews, for one, are create-only.
        var collectionPath = new JsonObject();
        if (definition.Supports("list"))
        {
            collectionPath["get"] = Operation($"list{prefix}{scope}{definition.Kind}", "list", $"List or watch {definition.Kind} objects.", ListQuery(),
                responses: Responses(schema + "List", 200));
        }

        if (definition.Supports("create"))
        {
            collectionPath["post"] = Operation($"create{prefix}{scope}{definition.Kind}", "post", $"Create a {definition.Kind}.", WriteParameters(false),
                Body(schema, ObjectMediaTypes), Responses(schema, 200, 201, 202));
        }

        if (definition.Supports("deletecollection"))
        {
            collectionPath["delete"] = Operation($"delete{prefix}Collection{scope}{definition.Kind}", "deletecollection",
                $"Delete a collection of {definition.Kind} objects.", ListQuery(), Body("io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions", "application/json"),
                Responses(schema + "List", 200));
        }

        collectionPath["parameters"] = scopeParameters.DeepClone();
        paths[collection] = collectionPath;

        var itemParameters = scopeParameters.DeepClone().AsArray();
        itemParameters.Insert(0, Parameter("name", "path", $"The name of the {definition.Kind}.", required: true));
        var deleteParameters = new JsonArray(
            Parameter("dryRun", "query", "\"All\" runs every check and deletes nothing."),
            Parameter("gracePeriodSeconds", "query", "Seconds to wait before the object is deleted.", "integer"),
            Parameter("orphanDependents", "query", "Deprecated: use propagationPolicy.", "boolean"),
            Parameter("propagationPolicy", "query", "What happens to dependents: Orphan, Background or Foreground."));
        var itemPath = new JsonObject();
        if (definition.Supports("get"))
        {
            itemPath["get"] = Operation($"read{prefix}{scope}{definition.Kind}", "get", $"Read a {definition.Kind}.", responses: Responses(schema, 200));
        }

        if (definition.Supports("update"))
        {
            itemPath["put"] = Operation($"replace{prefix}{scope}{definition.Kind}", "put", $"Replace a {definition.Kind}.", WriteParameters(false),
                Body(schema, ObjectMediaTypes), Responses(schema, 200, 201));
        }

        if (definition.Supports("delete"))
        {
            itemPath["delete"] = Operation($"delete{prefix}{scope}{definition.Kind}", "delete", $"Delete a {definition.Kind}.", deleteParameters,
                Body("io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions", "application/json"), Responses("io.k8s.apimachinery.pkg.apis.meta.v1.Status", 200, 202));
        }

        if (definition.Supports("patch"))
        {
            itemPath["patch"] = Operation($"patch{prefix}{scope}{definition.Kind}", "patch", $"Partially update a {definition.Kind}.", WriteParameters(true),
                Body("io.k8s.apimachinery.pkg.apis.meta.v1.Patch", PatchMediaTypes), Responses(schema, 200, 201));
        }

        if (itemPath.Count > 0)
        {
            itemPath["parameters"] = itemParameters;
            paths[$"{collection}/{{name}}"] = itemPath;
        }

        if (definition.Namespaced && definition.Supports("list"))
        {
            paths[$"{definition.GroupVersionPath}/{definition.Plural}"] = new JsonObject
            {
                ["get"] = Operation($"list{prefix}{definition.Kind}ForAllNamespaces", "list", $"List or watch {definition.Kind} objects in every namespace.",
                    ListQuery(), responses: Responses(schema + "List", 200)),
                ["parameters"] = new JsonArray(Parameter("pretty", "query", "Indent the JSON answer.")),
            };
        }
    }

    /// <summary>One operation as the real document writes it, its group-version-kind included.</summary>
    internal static JsonObject Operation(JsonArray tag, JsonObject gvk, string id, string action, string summary, JsonArray? parameters = null,
        JsonObject? body = null, JsonObject? responses = null)
    {
        var operation = new JsonObject
        {
            ["tags"] = tag.DeepClone(),
            ["description"] = summary,
            ["operationId"] = id,
        };
        if (parameters is not null)
        {
            operation["parameters"] = parameters;
        }

        if (body is not null)
        {
            operation["requestBody"] = body;
        }

        operation["responses"] = responses;
        operation["x-kubernetes-action"] = action;
        operation["x-kubernetes-group-version-kind"] = gvk.DeepClone();
        return operation;
    }

    internal static JsonArray Tag(ResourceDefinition definition) =>
        new(definition.Group.Length == 0 ? "core_v1" : $"{definition.Group.Split('.')[0]}_{definition.Version}");

    internal static string OperationPrefix(ResourceDefinition definition)
    {
        var group = definition.Group.Length == 0 ? "core" : definition.Group.Replace(".k8s.io", "", StringComparison.Ordinal);
        var words = group.Split('.').Select(w => char.ToUpperInvariant(w[0]) + w[1..]);
        return string.Concat(words) + char.ToUpperInvariant(definition.Version[0]) + definition.Version[1..];
    }

    internal static JsonObject Parameter(string name, string location, string description, string type = "string", bool required = false)
    {
        var parameter = new JsonObject
        {
            ["name"] = name,
            ["in"] = location,
            ["description"] = description,
            ["schema"] = type == "boolean" || type == "integer"
                ? new JsonObject { ["type"] = type, ["uniqueItems"] = true }
                : new JsonObject { ["type"] = "string", ["uniqueItems"] = true },
        };
        if (required)
        {
            parameter["required"] = true;
        }

        return parameter;
    }

    private static readonly (string Name, string Type, string Description)[] ListParameters =
    [
        ("allowWatchBookmarks", "boolean", "Ask for BOOKMARK events on a watch."),
        ("continue", "string", "The continue token of the previous page."),
        ("fieldSelector", "string", "Only objects whose fields match, such as metadata.name=x."),
        ("labelSelector", "string", "Only objects whose labels match."),
        ("limit", "integer", "At most this many objects; the rest is reached with the continue token."),
        ("resourceVersion", "string", "The revision to list at or watch from; see resourceVersionMatch."),
        ("resourceVersionMatch", "string", "How resourceVersion applies: Exact or NotOlderThan."),
        ("sendInitialEvents", "boolean", "On a watch, start with the current state as ADDED events, ended by a bookmark."),
        ("timeoutSeconds", "integer", "End the list or watch after this many seconds."),
        ("watch", "boolean", "Stream changes instead of answering a list."),
    ];

    internal static JsonArray WriteParameters(bool patch)
    {
        var parameters = new JsonArray(
            Parameter("dryRun", "query", "\"All\" runs every check and stores nothing."),
            Parameter("fieldManager", "query", "The name recorded as owner of the fields this request sets."),
            Parameter("fieldValidation", "query", "What to do with unknown or duplicate fields: Ignore, Warn (the default) or Strict."));
        if (patch)
        {
            parameters.Add(Parameter("force", "query", "For apply patches: take ownership of fields other managers own.", "boolean"));
        }

        return parameters;
    }

    internal static JsonObject Responses(string schema, params int[] codes)
    {
        var responses = new JsonObject();
        foreach (var code in codes)
        {
            responses[code.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject
            {
                ["description"] = code switch { 200 => "OK", 201 => "Created", 202 => "Accepted", _ => "" },
                ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = OpenApiSchemas.SchemaRef + schema } } },
            };
        }

        responses["401"] = new JsonObject { ["description"] = "Unauthorized" };
        return responses;
    }

    internal static JsonObject Body(string schema, params string[] mediaTypes) => new()
    {
        ["content"] = new JsonObject(mediaTypes.Select(m =>
            KeyValuePair.Create(m, (JsonNode?)new JsonObject { ["schema"] = new JsonObject { ["$ref"] = OpenApiSchemas.SchemaRef + schema } }))),
        ["required"] = true,
    };

    internal static readonly string[] ObjectMediaTypes = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"];

    internal static readonly string[] PatchMediaTypes =
        ["application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json"];
}
