using System.ComponentModel;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Discovery;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.Patching;

namespace BindingServer.Kubernetes.OpenApi;

/// <summary>
/// The Kubernetes-form OpenAPI documents kubectl reads (<c>/openapi/v3</c> per group-version, <c>/openapi/v2</c>), generated
/// from the served kinds' C# types and their descriptions: schemas with <c>x-kubernetes-group-version-kind</c>, list and
/// patch strategies, and every operation with its query parameters, including <c>fieldValidation</c> on patch, which is how
/// kubectl decides to leave validation to the server.
/// </summary>
public sealed class KubeOpenApi
{
    private const string SchemaRef = "#/components/schemas/";
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
        _v2 = new(() => ToSwagger2(V3(definitions, extra)));
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
        AddSharedSchemas(schemas);
        foreach (var (groupVersionPath, type) in schemaOnly ?? [])
        {
            // Its kind is named like any other, which is how kubectl finds the schema to validate a manifest against.
            var segments = groupVersionPath.Trim('/').Split('/');
            var (group, version) = segments[0] == "api" ? ("", segments[1]) : (segments[1], segments[2]);
            schemas[AddType(type, schemas)]!.AsObject()["x-kubernetes-group-version-kind"] =
                new JsonArray(new JsonObject { ["group"] = group, ["kind"] = type.Name, ["version"] = version });
        }

        foreach (var definition in definitions)
        {
            var name = AddType(definition.ObjectType, schemas);
            var kindSchema = schemas[name]!.AsObject();
            kindSchema["x-kubernetes-group-version-kind"] = new JsonArray(Gvk(definition));
            if (definition.Supports("list"))
            {
                schemas[name + "List"] = ListSchema(definition, name);
            }

            AddPaths(paths, definition, name);
        }

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

    private static JsonObject Gvk(ResourceDefinition definition) =>
        new() { ["group"] = definition.Group, ["kind"] = definition.Kind, ["version"] = definition.Version };

    private static JsonObject Ref(string name, string? description = null)
    {
        var schema = new JsonObject { ["allOf"] = new JsonArray(new JsonObject { ["$ref"] = SchemaRef + name }) };
        if (description is not null)
        {
            schema["description"] = description;
        }

        return schema;
    }

    private static void AddSharedSchemas(SortedDictionary<string, JsonNode?> schemas)
    {
        AddType(typeof(Status), schemas);
        AddType(typeof(ListMeta), schemas);
        schemas["io.k8s.apimachinery.pkg.apis.meta.v1.Time"] = new JsonObject
        {
            ["type"] = "string",
            ["format"] = "date-time",
            ["description"] = "A point in time, written in RFC 3339 form with whole seconds in UTC.",
        };
        schemas["io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1"] = new JsonObject
        {
            ["type"] = "object",
            ["description"] = "A set of field paths stored as a trie: \"f:<name>\" for a field, \"k:<keys>\" for a keyed list item, \"v:<value>\" for a set item, and \".\" for the node itself.",
        };
        schemas["io.k8s.apimachinery.pkg.apis.meta.v1.Patch"] = new JsonObject
        {
            ["type"] = "object",
            ["description"] = "A patch document; its format is given by the request's Content-Type.",
        };
        schemas["io.k8s.apimachinery.pkg.apis.meta.v1.Preconditions"] = new JsonObject
        {
            ["type"] = "object",
            ["description"] = "Conditions the object must meet for a delete to proceed.",
            ["properties"] = new JsonObject
            {
                ["resourceVersion"] = new JsonObject { ["type"] = "string", ["description"] = "The resourceVersion the object must have." },
                ["uid"] = new JsonObject { ["type"] = "string", ["description"] = "The uid the object must have." },
            },
        };
        schemas["io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"] = new JsonObject
        {
            ["type"] = "object",
            ["description"] = "Options of a delete request.",
            ["properties"] = new JsonObject
            {
                ["apiVersion"] = new JsonObject { ["type"] = "string", ["description"] = "The group and version of this options object." },
                ["dryRun"] = new JsonObject
                {
                    ["type"] = "array",
                    ["items"] = new JsonObject { ["type"] = "string", ["default"] = "" },
                    ["x-kubernetes-list-type"] = "atomic",
                    ["description"] = "\"All\" runs every check without deleting anything.",
                },
                ["gracePeriodSeconds"] = new JsonObject { ["type"] = "integer", ["format"] = "int64", ["description"] = "Seconds to wait before the object is deleted." },
                ["kind"] = new JsonObject { ["type"] = "string", ["description"] = "DeleteOptions." },
                ["orphanDependents"] = new JsonObject { ["type"] = "boolean", ["description"] = "Deprecated: use propagationPolicy. True orphans the dependents." },
                ["preconditions"] = Ref("io.k8s.apimachinery.pkg.apis.meta.v1.Preconditions", "Conditions that must hold for the delete to proceed."),
                ["propagationPolicy"] = new JsonObject { ["type"] = "string", ["description"] = "What happens to dependents: Orphan, Background or Foreground." },
            },
        };
    }

    /// <summary>Adds the schema of <paramref name="type"/> (and of every type it uses) and returns its name.</summary>
    private static string AddType(Type type, SortedDictionary<string, JsonNode?> schemas)
    {
        var name = type.GetCustomAttribute<SchemaNameAttribute>()?.Name
                   ?? throw new InvalidOperationException($"{type.Name} has no [SchemaName]");
        if (schemas.ContainsKey(name))
        {
            return name;
        }

        var schema = new JsonObject { ["description"] = type.GetCustomAttribute<DescriptionAttribute>()?.Description ?? "", ["type"] = "object" };
        schemas[name] = schema;
        var properties = new JsonObject();
        var required = new JsonArray();
        var info = KubeJson.Options.GetTypeInfo(type);
        if (info.Properties.Any(p => p.IsExtensionData))
        {
            schema["x-kubernetes-preserve-unknown-fields"] = true;
        }

        foreach (var property in info.Properties.Where(p => !p.IsExtensionData).OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            var member = property.AttributeProvider as MemberInfo;
            properties[property.Name] = PropertySchema(property, member, type, schemas);
            if (member?.IsDefined(typeof(RequiredAttribute)) == true)
            {
                required.Add(property.Name);
            }
        }

        schema["properties"] = properties;
        if (required.Count > 0)
        {
            schema["required"] = required;
        }

        return name;
    }

    private static JsonObject PropertySchema(JsonPropertyInfo property, MemberInfo? member, Type owner, SortedDictionary<string, JsonNode?> schemas)
    {
        var description = member?.GetCustomAttribute<DescriptionAttribute>()?.Description ?? "";
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        var shape = Schema.Field(owner, property.Name);
        JsonObject schema;
        if (type == typeof(string))
        {
            schema = new JsonObject { ["type"] = "string" };
        }
        else if (type == typeof(long) || type == typeof(int))
        {
            schema = new JsonObject { ["type"] = "integer", ["format"] = type == typeof(long) ? "int64" : "int32" };
        }
        else if (type == typeof(bool))
        {
            schema = new JsonObject { ["type"] = "boolean" };
        }
        else if (type == typeof(DateTimeOffset))
        {
            return Ref("io.k8s.apimachinery.pkg.apis.meta.v1.Time", description);
        }
        else if (type == typeof(JsonObject) && property.Name == "fieldsV1")
        {
            return Ref("io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1", description);
        }
        else if (type == typeof(JsonObject))
        {
            schema = new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true };
        }
        else if (type == typeof(JsonArray))
        {
            schema = new JsonObject
            {
                ["type"] = "array",
                ["items"] = new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true },
                ["x-kubernetes-list-type"] = "atomic",
            };
        }
        else if (type == typeof(Dictionary<string, string>))
        {
            schema = new JsonObject { ["type"] = "object", ["additionalProperties"] = new JsonObject { ["type"] = "string", ["default"] = "" } };
        }
        else if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            var element = type.GetGenericArguments()[0];
            JsonNode items = element == typeof(string)
                ? new JsonObject { ["type"] = "string", ["default"] = "" }
                : new JsonObject { ["$ref"] = SchemaRef + AddType(element, schemas) };
            schema = new JsonObject { ["type"] = "array", ["items"] = items };
            switch (shape.Shape)
            {
                case FieldShape.KeyedList:
                    schema["x-kubernetes-list-map-keys"] = new JsonArray(shape.MergeKey!);
                    schema["x-kubernetes-list-type"] = "map";
                    schema["x-kubernetes-patch-merge-key"] = shape.MergeKey;
                    schema["x-kubernetes-patch-strategy"] = "merge";
                    break;
                case FieldShape.SetList:
                    schema["x-kubernetes-list-type"] = "set";
                    schema["x-kubernetes-patch-strategy"] = "merge";
                    break;
                default:
                    schema["x-kubernetes-list-type"] = "atomic";
                    break;
            }
        }
        else
        {
            var reference = Ref(AddType(type, schemas), description);
            reference["default"] = new JsonObject();
            if (shape.Shape == FieldShape.Atomic)
            {
                reference["x-kubernetes-map-type"] = "atomic";
            }

            return reference;
        }

        schema["description"] = description;
        return schema;
    }

    private static JsonObject ListSchema(ResourceDefinition definition, string itemSchema) => new()
    {
        ["description"] = $"A list of {definition.Kind} objects.",
        ["type"] = "object",
        ["properties"] = new JsonObject
        {
            ["apiVersion"] = new JsonObject { ["type"] = "string", ["description"] = "The group and version of the list." },
            ["items"] = new JsonObject
            {
                ["type"] = "array",
                ["items"] = Ref(itemSchema),
                ["description"] = $"The {definition.Kind} objects.",
            },
            ["kind"] = new JsonObject { ["type"] = "string", ["description"] = $"{definition.ListKind}." },
            ["metadata"] = Ref("io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta", "The list's metadata: its revision and paging state."),
        },
        ["required"] = new JsonArray("items"),
        ["x-kubernetes-group-version-kind"] = new JsonArray(new JsonObject
        {
            ["group"] = definition.Group, ["kind"] = definition.ListKind, ["version"] = definition.Version,
        }),
    };

    private static string OperationPrefix(ResourceDefinition definition)
    {
        var group = definition.Group.Length == 0 ? "core" : definition.Group.Replace(".k8s.io", "", StringComparison.Ordinal);
        var words = group.Split('.').Select(w => char.ToUpperInvariant(w[0]) + w[1..]);
        return string.Concat(words) + char.ToUpperInvariant(definition.Version[0]) + definition.Version[1..];
    }

    private static JsonObject Parameter(string name, string location, string description, string type = "string", bool required = false)
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

    private static JsonArray WriteParameters(bool patch)
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

    private static JsonObject Responses(string schema, params int[] codes)
    {
        var responses = new JsonObject();
        foreach (var code in codes)
        {
            responses[code.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject
            {
                ["description"] = code switch { 200 => "OK", 201 => "Created", 202 => "Accepted", _ => "" },
                ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = SchemaRef + schema } } },
            };
        }

        responses["401"] = new JsonObject { ["description"] = "Unauthorized" };
        return responses;
    }

    private static JsonObject Body(string schema, params string[] mediaTypes) => new()
    {
        ["content"] = new JsonObject(mediaTypes.Select(m =>
            KeyValuePair.Create(m, (JsonNode?)new JsonObject { ["schema"] = new JsonObject { ["$ref"] = SchemaRef + schema } }))),
        ["required"] = true,
    };

    private static readonly string[] ObjectMediaTypes = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"];

    private static readonly string[] PatchMediaTypes =
        ["application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json"];

    private static void AddPaths(JsonObject paths, ResourceDefinition definition, string schema)
    {
        var prefix = OperationPrefix(definition);
        var scope = definition.Namespaced ? "Namespaced" : "";
        var tag = new JsonArray(definition.Group.Length == 0 ? "core_v1" : $"{definition.Group.Split('.')[0]}_{definition.Version}");
        var collection = definition.Namespaced
            ? $"{definition.GroupVersionPath}/namespaces/{{namespace}}/{definition.Plural}"
            : $"{definition.GroupVersionPath}/{definition.Plural}";
        var scopeParameters = new JsonArray(Parameter("pretty", "query", "Indent the JSON answer."));
        if (definition.Namespaced)
        {
            scopeParameters.Insert(0, Parameter("namespace", "path", "The object's namespace.", required: true));
        }

        JsonObject Operation(string verb, string action, string summary, JsonArray? parameters = null, JsonObject? body = null, JsonObject? responses = null)
        {
            var operation = new JsonObject
            {
                ["tags"] = tag.DeepClone(),
                ["description"] = summary,
                ["operationId"] = verb,
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
            operation["x-kubernetes-group-version-kind"] = Gvk(definition);
            return operation;
        }

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

    /// <summary>The Swagger 2.0 form of a v3 document, as the real server serves at <c>/openapi/v2</c>.</summary>
    private static JsonObject ToSwagger2(JsonObject v3)
    {
        var text = v3.ToJsonString().Replace(SchemaRef, "#/definitions/", StringComparison.Ordinal);
        var document = JsonNode.Parse(text)!.AsObject();
        var definitions = document["components"]!["schemas"]!.AsObject();
        foreach (var (_, schema) in definitions)
        {
            FlattenAllOf(schema);
        }

        var paths = document["paths"]!.AsObject();
        foreach (var (_, item) in paths)
        {
            foreach (var (method, node) in item!.AsObject())
            {
                if (method == "parameters")
                {
                    ConvertParameters(node!.AsArray());
                    continue;
                }

                var operation = node!.AsObject();
                if (operation["parameters"] is JsonArray parameters)
                {
                    ConvertParameters(parameters);
                }

                if (operation["requestBody"] is JsonObject body)
                {
                    var content = body["content"]!.AsObject();
                    operation["consumes"] = new JsonArray(content.Select(c => (JsonNode)c.Key).ToArray());
                    var list = operation["parameters"] as JsonArray ?? [];
                    list.Insert(0, new JsonObject { ["name"] = "body", ["in"] = "body", ["required"] = true, ["schema"] = content.First().Value!["schema"]!.DeepClone() });
                    operation["parameters"] = list;
                    operation.Remove("requestBody");
                }

                operation["produces"] = new JsonArray("application/json");
                operation["schemes"] = new JsonArray("https");
                foreach (var (_, response) in operation["responses"]!.AsObject())
                {
                    if (response is JsonObject r && r["content"] is JsonObject content)
                    {
                        r["schema"] = content["application/json"]!["schema"]!.DeepClone();
                        r.Remove("content");
                    }
                }
            }
        }

        return new JsonObject
        {
            ["swagger"] = "2.0",
            ["info"] = document["info"]!.DeepClone(),
            ["paths"] = paths.DeepClone(),
            ["definitions"] = definitions.DeepClone(),
        };
    }

    private static void ConvertParameters(JsonArray parameters)
    {
        foreach (var parameter in parameters.OfType<JsonObject>())
        {
            if (parameter["schema"] is JsonObject schema && parameter["in"]?.GetValue<string>() != "body")
            {
                parameter["type"] = schema["type"]!.DeepClone();
                parameter["uniqueItems"] = true;
                parameter.Remove("schema");
            }
        }
    }

    private static void FlattenAllOf(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj["allOf"] is JsonArray { Count: 1 } allOf && allOf[0]?["$ref"] is { } reference)
                {
                    obj.Remove("allOf");
                    obj.Remove("default");
                    obj["$ref"] = reference.DeepClone();
                }

                foreach (var (_, child) in obj.ToList())
                {
                    FlattenAllOf(child);
                }

                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    FlattenAllOf(child);
                }

                break;
        }
    }
}
