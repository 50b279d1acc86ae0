using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using BindingServer.Kubernetes.Json;

namespace BindingServer.Kubernetes.Patching;

/// <summary>How patches and field ownership treat one field, read off the C# model's attributes.</summary>
public enum FieldShape
{
    /// <summary>Scalars, atomic structs and atomic lists: replaced and owned whole.</summary>
    Atomic,

    /// <summary>A struct whose fields are merged and owned one by one.</summary>
    Struct,

    /// <summary>A string map (labels, annotations): keys merged and owned one by one.</summary>
    Map,

    /// <summary>A list of structs matched by a key.</summary>
    KeyedList,

    /// <summary>A list of scalars treated as a set.</summary>
    SetList,
}

public sealed record FieldSchema(FieldShape Shape, Type Type, Type? ElementType, string? MergeKey);

public static class Schema
{
    private static readonly FieldSchema AtomicUnknown = new(FieldShape.Atomic, typeof(JsonNode), null, null);

    /// <summary>The schema of property <paramref name="name"/> of <paramref name="owner"/>; atomic when unknown.</summary>
    public static FieldSchema Field(Type owner, string name)
    {
        if (KubeJson.Options.GetTypeInfo(owner) is not { Kind: JsonTypeInfoKind.Object } info)
        {
            return AtomicUnknown;
        }

        var property = info.Properties.FirstOrDefault(p => p.Name == name);
        if (property is null)
        {
            return AtomicUnknown;
        }

        var member = property.AttributeProvider as MemberInfo;
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        if (member?.IsDefined(typeof(AtomicAttribute)) == true)
        {
            return new FieldSchema(FieldShape.Atomic, type, null, null);
        }

        if (type == typeof(Dictionary<string, string>) || type == typeof(JsonObject))
        {
            return new FieldSchema(FieldShape.Map, type, typeof(string), null);
        }

        var typeInfo = KubeJson.Options.GetTypeInfo(type);
        return typeInfo.Kind switch
        {
            JsonTypeInfoKind.Dictionary => new FieldSchema(FieldShape.Map, type, typeInfo.ElementType, null),
            JsonTypeInfoKind.Enumerable when member?.GetCustomAttribute<MergeKeyAttribute>() is { } key =>
                new FieldSchema(FieldShape.KeyedList, type, typeInfo.ElementType, key.Key),
            JsonTypeInfoKind.Enumerable when member?.IsDefined(typeof(SetListAttribute)) == true =>
                new FieldSchema(FieldShape.SetList, type, typeInfo.ElementType, null),
            JsonTypeInfoKind.Object when type != typeof(JsonObject) => new FieldSchema(FieldShape.Struct, type, null, null),
            _ => new FieldSchema(FieldShape.Atomic, type, null, null),
        };
    }

    public static JsonObject? FindByKey(JsonArray list, string key, JsonNode? value) =>
        list.OfType<JsonObject>().FirstOrDefault(item => JsonNode.DeepEquals(item[key], value));
}
