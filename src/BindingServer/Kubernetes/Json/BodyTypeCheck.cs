using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace BindingServer.Kubernetes.Json;

/// <summary>
/// Checks a decoded body against the C# types that model its kind before it is deserialized, so that unknown fields
/// and type mismatches are reported by path, with the Go struct and type names the apiserver's decoder uses.
/// </summary>
internal static class BodyTypeCheck
{
    /// <summary>Checks a JSON value against the C# type that models it, collecting unknown fields and type mismatches.</summary>
    /// <param name="goStruct">The Go struct holding the field being read, which Go's decoder names in its errors.</param>
    /// <param name="fieldStack">The field's JSON path from the top, without indexes, as Go's decoder reports it.</param>
    internal static void Walk(JsonNode? node, Type type, string path, string goStruct, string fieldStack, List<string> unknown, List<string> typeErrors,
        bool topLevel = false)
    {
        if (node is null)
        {
            return;
        }

        var goPath = new GoPath(goStruct, fieldStack);

        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        // Parts of large kinds modelled as plain JSON: only their JSON type is checked.
        if (underlying == typeof(JsonObject) || underlying == typeof(JsonNode) || underlying == typeof(JsonArray))
        {
            if ((underlying == typeof(JsonObject) && node is not JsonObject) || (underlying == typeof(JsonArray) && node is not JsonArray))
            {
                typeErrors.Add(Mismatch(node, goPath, underlying == typeof(JsonArray) ? "[]interface {}" : "map[string]interface {}"));
            }

            return;
        }

        var info = KubeJson.Options.GetTypeInfo(underlying);
        var kind = underlying == typeof(Dictionary<string, string>) ? JsonTypeInfoKind.Dictionary : info.Kind;
        switch (kind)
        {
            case JsonTypeInfoKind.Object:
                if (node is not JsonObject obj)
                {
                    typeErrors.Add(Mismatch(node, goPath, GoTypeName(underlying)));
                    return;
                }

                var shape = Shapes.GetOrAdd(underlying, static (_, info) => new StructShape(info), info);
                foreach (var (name, child) in obj)
                {
                    var childPath = path.Length == 0 ? name : $"{path}.{name}";
                    if (!shape.Properties.TryGetValue(name, out var property))
                    {
                        if (!shape.Open && !(topLevel && name is "kind" or "apiVersion"))
                        {
                            unknown.Add($"unknown field \"{childPath}\"");
                        }

                        continue;
                    }

                    Walk(child, property.PropertyType, childPath, shape.GoName, fieldStack.Length == 0 ? name : $"{fieldStack}.{name}", unknown, typeErrors);
                }

                return;
            case JsonTypeInfoKind.Enumerable:
                if (node is not JsonArray array)
                {
                    typeErrors.Add(Mismatch(node, goPath, GoTypeName(underlying)));
                    return;
                }

                for (var i = 0; i < array.Count; i++)
                {
                    Walk(array[i], info.ElementType!, $"{path}[{i}]", goStruct, fieldStack, unknown, typeErrors);
                }

                return;
            case JsonTypeInfoKind.Dictionary:
                if (node is not JsonObject map)
                {
                    typeErrors.Add(Mismatch(node, goPath, GoTypeName(underlying)));
                    return;
                }

                var bytes = info.ElementType == typeof(byte[]);
                foreach (var (key, child) in map)
                {
                    if (child is not null && (child is not JsonValue v || v.GetValueKind() != JsonValueKind.String))
                    {
                        typeErrors.Add(Mismatch(child, goPath, bytes ? "[]uint8" : "string"));
                    }
                    else if (bytes && child is not null && GoBase64ErrorOffset(child.GetValue<string>()) is { } offset)
                    {
                        // encoding/json hands on base64's own error for a []byte, with no field named.
                        typeErrors.Add($"illegal base64 data at input byte {offset}");
                    }
                }

                return;
            default:
                if (node is not JsonValue value || !Fits(value, underlying))
                {
                    typeErrors.Add(Mismatch(node, goPath, GoTypeName(underlying)));
                }

                return;
        }
    }

    /// <summary>
    /// Where Go's <c>base64.StdEncoding</c> stops on a string it cannot decode (the offset its CorruptInputError names),
    /// or null when it decodes: padded, line breaks skipped, nothing after the padding.
    /// </summary>
    internal static long? GoBase64ErrorOffset(string text)
    {
        var src = System.Text.Encoding.UTF8.GetBytes(text);
        var si = 0;
        while (true)
        {
            for (var j = 0; j < 4; j++)
            {
                if (si == src.Length)
                {
                    return j == 0 ? null : si - j;
                }

                var c = src[si++];
                if (c is (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9') or (byte)'+' or (byte)'/')
                {
                    continue;
                }

                if (c is (byte)'\n' or (byte)'\r')
                {
                    j--;
                    continue;
                }

                if (c != (byte)'=' || j < 2)
                {
                    return si - 1;
                }

                if (j == 2)
                {
                    // "==" is expected; the first '=' is read.
                    while (si < src.Length && src[si] is (byte)'\n' or (byte)'\r')
                    {
                        si++;
                    }

                    if (si == src.Length)
                    {
                        return src.Length;
                    }

                    if (src[si] != (byte)'=')
                    {
                        return si - 1;
                    }

                    si++;
                }

                while (si < src.Length && src[si] is (byte)'\n' or (byte)'\r')
                {
                    si++;
                }

                return si < src.Length ? si : null;
            }
        }
    }

    /// <summary>Go's name for the field being decoded (<c>Struct.field.path</c>), only spelled out when an error names it.</summary>
    private readonly record struct GoPath(string GoStruct, string FieldStack)
    {
        public override string ToString() => $"{GoStruct}.{FieldStack}";
    }

    /// <summary>What decoding needs of a modelled struct, worked out once per type: its JSON properties, whether it keeps unknown fields, its Go name.</summary>
    private sealed class StructShape(JsonTypeInfo info)
    {
        public Dictionary<string, JsonPropertyInfo> Properties { get; } =
            info.Properties.Where(p => !p.IsExtensionData).GroupBy(p => p.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

        public bool Open { get; } = info.Properties.Any(p => p.IsExtensionData);

        public string GoName { get; } = GoStructName(info.Type);
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, StructShape> Shapes = new();

    private static bool Fits(JsonValue value, Type type) => value.GetValueKind() switch
    {
        JsonValueKind.String => type == typeof(string) || type == typeof(DateTimeOffset),
        JsonValueKind.Number => type == typeof(long) ? value.TryGetValue<long>(out _)
            : type == typeof(int) ? value.TryGetValue<int>(out _)
            : type == typeof(double),
        JsonValueKind.True or JsonValueKind.False => type == typeof(bool),
        _ => false,
    };

    /// <summary>The Go name of a modelled struct: the last part of its schema name, else its own name.</summary>
    private static string GoStructName(Type type) =>
        type.GetCustomAttributes(typeof(OpenApi.SchemaNameAttribute), false).FirstOrDefault() is OpenApi.SchemaNameAttribute schema
            ? schema.Name[(schema.Name.LastIndexOf('.') + 1)..]
            : type.Name;

    private static string Mismatch(JsonNode node, GoPath goPath, string goType) =>
        $"json: cannot unmarshal {BodyDecoder.GoJsonType(node)} into Go struct field {goPath} of type {goType}";

    private static string GoTypeName(Type type)
    {
        if (type == typeof(string))
        {
            return "string";
        }

        if (type == typeof(long))
        {
            return "int64";
        }

        if (type == typeof(int))
        {
            return "int32";
        }

        if (type == typeof(bool))
        {
            return "bool";
        }

        if (type == typeof(DateTimeOffset))
        {
            return "v1.Time";
        }

        if (type == typeof(Dictionary<string, string>))
        {
            return "map[string]string";
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            return "[]" + GoTypeName(type.GetGenericArguments()[0]);
        }

        return "v1." + type.Name;
    }
}
