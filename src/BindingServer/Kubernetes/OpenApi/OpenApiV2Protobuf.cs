using System.Text;
using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Json;

namespace BindingServer.Kubernetes.OpenApi;

/// <summary>
/// The Swagger 2.0 document in the protobuf form kubectl downloads for client-side validation
/// (asked for as <c>application/com.github.proto-openapi.spec.v2@v1.0+protobuf</c>; gnostic's <c>openapi.v2.Document</c>). It
/// carries the version, info and definitions, which is what kubectl's validator reads (kinds are found through their
/// <c>x-kubernetes-group-version-kind</c> extension); paths are left empty. Field numbers are those of gnostic's
/// OpenAPIv2.proto; vendor extensions and literal values travel as YAML text, as gnostic stores them.
/// </summary>
public static class OpenApiV2Protobuf
{
    /// <summary>The Content-Type of the answer: the requested media type with "@" (which Go's mime parser refuses) as ".".</summary>
    public const string MediaType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

    public static byte[] Encode(JsonObject swagger)
    {
        var document = new Message();
        document.String(1, KubeJson.Text(swagger["swagger"]));
        if (swagger["info"] is JsonObject info)
        {
            var infoMessage = new Message();
            infoMessage.String(1, KubeJson.Text(info["title"]));
            infoMessage.String(2, KubeJson.Text(info["version"]));
            document.Child(2, infoMessage);
        }

        document.Child(8, new Message());
        var definitions = new Message();
        foreach (var (name, schema) in (swagger["definitions"] as JsonObject ?? []).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            definitions.Child(1, Named(name, Schema(schema as JsonObject ?? [])));
        }

        document.Child(9, definitions);
        return document.ToBytes();
    }

    private static Message Named(string name, Message value)
    {
        var named = new Message();
        named.String(1, name);
        named.Child(2, value);
        return named;
    }

    /// <summary>gnostic's <c>Any</c>: the value as YAML text.</summary>
    private static Message Any(JsonNode? value)
    {
        var any = new Message();
        any.String(2, GoYaml.Write(value));
        return any;
    }

    private static Message Schema(JsonObject schema)
    {
        var message = new Message();
        message.String(1, KubeJson.Text(schema["$ref"]));
        message.String(2, KubeJson.Text(schema["format"]));
        message.String(3, KubeJson.Text(schema["title"]));
        message.String(4, KubeJson.Text(schema["description"]));
        if (schema.ContainsKey("default"))
        {
            message.Child(5, Any(schema["default"]));
        }

        foreach (var required in schema["required"] as JsonArray ?? [])
        {
            message.String(19, KubeJson.Text(required));
        }

        foreach (var value in schema["enum"] as JsonArray ?? [])
        {
            message.Child(20, Any(value));
        }

        switch (schema["additionalProperties"])
        {
            case JsonObject additional:
                var item = new Message();
                item.Child(1, Schema(additional));
                message.Child(21, item);
                break;
            case JsonValue flag when flag.TryGetValue<bool>(out var allowed):
                var booleanItem = new Message();
                booleanItem.OneofBool(2, allowed);
                message.Child(21, booleanItem);
                break;
        }

        var types = schema["type"] switch
        {
            JsonArray list => list.Select(KubeJson.Text).OfType<string>().ToList(),
            { } single when KubeJson.Text(single) is { } text => [text],
            _ => [],
        };
        if (types.Count > 0)
        {
            var typeItem = new Message();
            types.ForEach(t => typeItem.String(1, t));
            message.Child(22, typeItem);
        }

        if (schema["items"] is { } items)
        {
            var itemsItem = new Message();
            foreach (var each in items is JsonArray list ? list.OfType<JsonObject>() : items is JsonObject single ? [single] : [])
            {
                itemsItem.Child(1, Schema(each));
            }

            message.Child(23, itemsItem);
        }

        foreach (var part in schema["allOf"] as JsonArray ?? [])
        {
            message.Child(24, Schema(part as JsonObject ?? []));
        }

        if (schema["properties"] is JsonObject properties)
        {
            var props = new Message();
            foreach (var (name, property) in properties)
            {
                props.Child(1, Named(name, Schema(property as JsonObject ?? [])));
            }

            message.Child(25, props);
        }

        if (schema["readOnly"] is JsonValue readOnly && readOnly.TryGetValue<bool>(out var isReadOnly))
        {
            message.Bool(27, isReadOnly);
        }

        foreach (var (name, value) in schema.Where(p => p.Key.StartsWith("x-", StringComparison.Ordinal)))
        {
            var extension = new Message();
            extension.String(1, name);
            extension.Child(2, Any(value));
            message.Child(31, extension);
        }

        return message;
    }

    /// <summary>A protobuf message written field by field (proto3: empty strings and false are left out).</summary>
    private sealed class Message
    {
        private const int Varint = 0;
        private const int LengthDelimited = 2;
        private readonly List<byte> _bytes = [];

        public void String(int field, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                Bytes(field, Encoding.UTF8.GetBytes(value));
            }
        }

        public void Bool(int field, bool value)
        {
            if (value)
            {
                OneofBool(field, value);
            }
        }

        /// <summary>A bool in a oneof, written even when false, since being set is what it says.</summary>
        public void OneofBool(int field, bool value)
        {
            WriteVarint((ulong)((field << 3) | Varint));
            WriteVarint(value ? 1UL : 0UL);
        }

        public void Child(int field, Message child) => Bytes(field, child._bytes);

        public byte[] ToBytes() => [.. _bytes];

        private void Bytes(int field, IReadOnlyCollection<byte> value)
        {
            WriteVarint((ulong)((field << 3) | LengthDelimited));
            WriteVarint((ulong)value.Count);
            _bytes.AddRange(value);
        }

        private void WriteVarint(ulong value)
        {
            while (value >= 0x80)
            {
                _bytes.Add((byte)(value | 0x80));
                value >>= 7;
            }

            _bytes.Add((byte)value);
        }
    }
}
