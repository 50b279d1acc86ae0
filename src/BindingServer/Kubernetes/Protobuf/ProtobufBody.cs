using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Json;
using Google.Protobuf;

namespace BindingServer.Kubernetes.Protobuf;

public enum WireType
{
    String,
    Int64,
    Int32,
    Bool,
    Message,
    StringMap,
    Time,
    Bytes,

    /// <summary>A <c>map&lt;string, bytes&gt;</c>, whose values JSON carries as base64 (ConfigMap's binaryData).</summary>
    BytesMap,
}

/// <summary>
/// One field of a Kubernetes protobuf message: its number, JSON name and type. <paramref name="Pointer"/> marks a Go
/// pointer field (<c>*int64</c>, <c>*bool</c>), whose zero is a value; a plain scalar's zero is what Go's JSON leaves
/// out, so it is read as absent.
/// </summary>
public sealed record ProtoField(int Number, string Name, WireType Type, ProtoMessage? Message = null, bool Repeated = false, bool Pointer = false);

public sealed class ProtoMessage(params ProtoField[] fields)
{
    private readonly Dictionary<int, ProtoField> _fields = fields.ToDictionary(f => f.Number);

    public ProtoField? Field(int number) => _fields.GetValueOrDefault(number);
}

/// <summary>
/// Reads the <c>application/vnd.kubernetes.protobuf</c> bodies client-go's typed clients send (the <c>k8s\0</c> magic,
/// then a <c>runtime.Unknown</c> wrapping the typed message) into the JSON the rest of the server reads. Field numbers
/// come from the Kubernetes <c>generated.proto</c> files, as listed in the reference notes; proto2 semantics, so
/// empty strings are dropped as absent.
/// </summary>
public static class ProtobufBody
{
    public const string MediaType = "application/vnd.kubernetes.protobuf";
    private static readonly byte[] Magic = [0x6b, 0x38, 0x73, 0x00];

    public static JsonObject ToJson(byte[] body, IReadOnlyDictionary<string, ProtoMessage> messages)
    {
        if (body.Length < Magic.Length || !body.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            throw StatusErrors.BadRequest("provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]");
        }

        try
        {
            var unknown = Read(new CodedInputStream(body, Magic.Length, body.Length - Magic.Length), ProtoSchemas.Unknown);
            var apiVersion = unknown["typeMeta"]?["apiVersion"]?.GetValue<string>() ?? "";
            var kind = unknown["typeMeta"]?["kind"]?.GetValue<string>() ?? "";
            if (!messages.TryGetValue(kind, out var schema))
            {
                throw StatusErrors.UnsupportedMediaType("application/json, application/yaml");
            }

            var raw = Convert.FromBase64String(unknown["raw"]?.GetValue<string>() ?? "");
            var obj = Read(new CodedInputStream(raw), schema);
            var result = new JsonObject { ["kind"] = kind, ["apiVersion"] = apiVersion };
            foreach (var (name, value) in obj.ToList())
            {
                obj.Remove(name);
                result[name] = value;
            }

            return result;
        }
        catch (InvalidProtocolBufferException error)
        {
            throw StatusErrors.BadRequest($"unable to decode the protobuf body: {error.Message}");
        }
    }

    private static JsonObject Read(CodedInputStream input, ProtoMessage schema)
    {
        var result = new JsonObject();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            var field = schema.Field(WireFormat.GetTagFieldNumber(tag));
            if (field is null)
            {
                input.SkipLastField();
                continue;
            }

            JsonNode? value = field.Type switch
            {
                WireType.String => input.ReadString() is { Length: > 0 } s ? JsonValue.Create(s) : null,
                WireType.Int64 => input.ReadInt64() is var n && (n != 0 || field.Pointer) ? JsonValue.Create(n) : null,
                WireType.Int32 => input.ReadInt32() is var i && (i != 0 || field.Pointer) ? JsonValue.Create(i) : null,
                WireType.Bool => input.ReadBool() is var b && (b || field.Pointer) ? JsonValue.Create(b) : null,
                WireType.Message => ReadNested(input, field.Message!),
                WireType.Time => ReadTime(input),
                WireType.Bytes => JsonValue.Create(Convert.ToBase64String(input.ReadBytes().ToByteArray())),
                WireType.StringMap or WireType.BytesMap => null,
                _ => null,
            };

            if (field.Type is WireType.StringMap or WireType.BytesMap)
            {
                var entry = ReadNested(input, field.Type == WireType.StringMap ? ProtoSchemas.MapEntry : ProtoSchemas.BytesMapEntry);
                var map = result[field.Name] as JsonObject ?? new JsonObject();
                map[entry["key"]?.GetValue<string>() ?? ""] = entry["value"]?.GetValue<string>() ?? "";
                result[field.Name] = map;
                continue;
            }

            if (field.Repeated)
            {
                var list = result[field.Name] as JsonArray ?? [];
                list.Add(value ?? (field.Type == WireType.String ? JsonValue.Create("") : null));
                result[field.Name] = list;
            }
            else if (value is not null)
            {
                result[field.Name] = value;
            }
        }

        return result;
    }

    private static JsonObject ReadNested(CodedInputStream input, ProtoMessage schema)
    {
        var bytes = input.ReadBytes();
        return Read(new CodedInputStream(bytes.ToByteArray()), schema);
    }

    private static JsonValue ReadTime(CodedInputStream input)
    {
        var time = ReadNested(input, ProtoSchemas.Time);
        var seconds = time["seconds"]?.GetValue<long>() ?? 0;
        return JsonValue.Create(KubeTimeConverter.ToText(DateTimeOffset.FromUnixTimeSeconds(seconds)));
    }
}
