using System.Collections;
using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace BindingServer.Kubernetes.Json;

/// <summary>Marks a property that Go serialises without <c>omitempty</c>: written even when null or empty.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class EmitEmptyAttribute : Attribute;

/// <summary>
/// JSON settings that reproduce what the Go apiserver writes: camelCase names in declaration order,
/// <c>omitempty</c> on everything unless marked, map keys sorted, times in RFC 3339 seconds.
/// </summary>
public static class KubeJson
{
    public static readonly JsonSerializerOptions Options = Create(indented: false);
    public static readonly JsonSerializerOptions Indented = Create(indented: true);

    private static JsonSerializerOptions Create(bool indented)
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            WriteIndented = indented,
            IndentSize = 2,
            NumberHandling = JsonNumberHandling.Strict,
            TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { OmitEmpty } },
        };
        options.Converters.Add(new KubeTimeConverter());
        options.Converters.Add(new StringMapConverter());
        options.MakeReadOnly();
        return options;
    }

    private static void OmitEmpty(JsonTypeInfo typeInfo)
    {
        if (typeInfo.Kind != JsonTypeInfoKind.Object)
        {
            return;
        }

        foreach (var property in typeInfo.Properties)
        {
            if (property.IsExtensionData)
            {
                continue;
            }

            if (property.AttributeProvider is MemberInfo member && member.IsDefined(typeof(EmitEmptyAttribute)))
            {
                property.ShouldSerialize = null;
                continue;
            }

            property.ShouldSerialize = (_, value) => !IsEmpty(value);
        }
    }

    private static bool IsEmpty(object? value) => value switch
    {
        null => true,
        string s => s.Length == 0,
        ICollection c => c.Count == 0,
        _ => false,
    };

    /// <summary>Serializes by runtime type, so a kind held as <c>KubeObject</c> keeps its own fields.</summary>
    public static byte[] SerializeToUtf8(object value) =>
        JsonSerializer.SerializeToUtf8Bytes(value, value.GetType(), Options);

    public static JsonObject ToNode(object value) =>
        JsonSerializer.SerializeToNode(value, value.GetType(), Options)!.AsObject();

    public static T FromNode<T>(JsonNode node) => node.Deserialize<T>(Options)!;

    /// <summary>The string a node holds, or null when it holds anything else (client JSON is not trusted to be typed).</summary>
    public static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    public static object FromNode(JsonNode node, Type type) => node.Deserialize(type, Options)!;

    public static T Clone<T>(T value) where T : notnull =>
        (T)JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(value, value.GetType(), Options), value.GetType(), Options)!;
}

/// <summary><c>metav1.Time</c>: RFC 3339 in UTC with whole seconds.</summary>
public sealed class KubeTimeConverter : JsonConverter<DateTimeOffset>
{
    public const string Format = "yyyy-MM-dd'T'HH:mm:ss'Z'";

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        if (!DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed))
        {
            throw new JsonException($"parsing time \"{text}\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"{text}\" as \"2006\"");
        }

        return Truncate(parsed.ToUniversalTime());
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.UtcDateTime.ToString(Format, System.Globalization.CultureInfo.InvariantCulture));

    public static DateTimeOffset Truncate(DateTimeOffset value) =>
        new(value.Ticks - value.Ticks % TimeSpan.TicksPerSecond, value.Offset);

    public static string ToText(DateTimeOffset value) =>
        value.UtcDateTime.ToString(Format, System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Go writes map keys in byte order and reads a JSON null value as the empty string.</summary>
public sealed class StringMapConverter : JsonConverter<Dictionary<string, string>>
{
    public override Dictionary<string, string> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("expected an object");
        }

        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var key = reader.GetString()!;
            reader.Read();
            map[key] = reader.TokenType switch
            {
                JsonTokenType.Null => "",
                JsonTokenType.String => reader.GetString()!,
                _ => throw new JsonException("expected a string"),
            };
        }

        return map;
    }

    public override void Write(Utf8JsonWriter writer, Dictionary<string, string> value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var key in value.Keys.Order(StringComparer.Ordinal))
        {
            writer.WriteString(key, value[key]);
        }

        writer.WriteEndObject();
    }
}
