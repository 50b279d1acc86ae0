using System.ComponentModel;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.Patching;

namespace BindingServer.Kubernetes.OpenApi;

/// <summary>
/// The component schemas of the OpenAPI documents, built from the C# types by reflection over their JSON contract:
/// descriptions, required fields, list and patch strategies from <see cref="Schema"/>, and the
/// <c>x-kubernetes-group-version-kind</c> extension by which kubectl finds a kind's schema.
/// </summary>
internal static class OpenApiSchemas
{
    internal const string SchemaRef = "#/components/schemas/";

    /// <summary>The apimachinery schemas every document refers to: Status, ListMeta, Time, DeleteOptions and the like.</summary>
    internal static void AddSharedSchemas(SortedDictionary<string, JsonNode?> schemas)
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

    /// <summary>Adds the schema of a type served by its own handler (Binding) under its group-version's kind.</summary>
    internal static string AddSchemaOnly(string groupVersionPath, Type type, SortedDictionary<string, JsonNode?> schemas)
    {
        // Its kind is named like any other, which is how kubectl finds the schema to validate a manifest against.
        var name = AddType(type, schemas);
        schemas[name]!.AsObject()["x-kubernetes-group-version-kind"] = new JsonArray(GvkOf(groupVersionPath, type));
        return name;
    }

    /// <summary>The group-version-kind of a type served under a group-version path (<c>/api/v1</c>, <c>/apis/g/v</c>).</summary>
    internal static JsonObject GvkOf(string groupVersionPath, Type type)
    {
        var segments = groupVersionPath.Trim('/').Split('/');
        var (group, version) = segments[0] == "api" ? ("", segments[1]) : (segments[1], segments[2]);
        return new JsonObject { ["group"] = group, ["kind"] = type.Name, ["version"] = version };
    }

    /// <summary>Adds the schema of a served kind, and of its list when it has one; returns the kind's schema name.</summary>
    internal static string AddKind(ResourceDefinition definition, SortedDictionary<string, JsonNode?> schemas)
    {
        var name = AddType(definition.ObjectType, schemas);
        var kindSchema = schemas[name]!.AsObject();
        kindSchema["x-kubernetes-group-version-kind"] = new JsonArray(Gvk(definition));
        if (definition.Supports("list"))
        {
            schemas[name + "List"] = ListSchema(definition, name);
        }

        return name;
    }

    internal static JsonObject Gvk(ResourceDefinition definition) =>
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

        var typeMetaOnly = type.IsDefined(typeof(TypeMetaOnlyAttribute));
        foreach (var property in info.Properties.Where(p => !p.IsExtensionData && !(typeMetaOnly && p.Name == "metadata")).OrderBy(p => p.Name, StringComparer.Ordinal))
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
        else if (type == typeof(Dictionary<string, byte[]>))
        {
            schema = new JsonObject { ["type"] = "object", ["additionalProperties"] = new JsonObject { ["type"] = "string", ["format"] = "byte" } };
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
}
