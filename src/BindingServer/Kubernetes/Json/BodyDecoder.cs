using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Model;

namespace BindingServer.Kubernetes.Json;

/// <summary>How the request asked unknown and duplicate fields to be handled (<c>fieldValidation</c>).</summary>
public enum FieldValidation
{
    Ignore,
    Warn,
    Strict,
}

/// <summary>
/// Turns a request body into a typed object the way the apiserver's JSON serializer does: case-sensitive,
/// last duplicate wins, unknown and duplicate fields reported by path, type mismatches as Go's messages.
/// </summary>
public static class BodyDecoder
{
    /// <summary>Parses JSON keeping Go's rules: duplicate keys allowed (last wins) and reported by path.</summary>
    public static JsonNode Parse(ReadOnlySpan<byte> body, List<string> duplicates)
    {
        using var document = JsonDocument.Parse(body.ToArray(), new JsonDocumentOptions { MaxDepth = 10_000 });
        return Convert(document.RootElement, "", duplicates)!;
    }

    private static JsonNode? Convert(JsonElement element, string path, List<string> duplicates)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var obj = new JsonObject();
                foreach (var property in element.EnumerateObject())
                {
                    var childPath = path.Length == 0 ? property.Name : $"{path}.{property.Name}";
                    if (obj.ContainsKey(property.Name))
                    {
                        duplicates.Add(childPath);
                        obj.Remove(property.Name);
                    }

                    obj[property.Name] = Convert(property.Value, childPath, duplicates);
                }

                return obj;
            case JsonValueKind.Array:
                var array = new JsonArray();
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    array.Add(Convert(item, $"{path}[{index++}]", duplicates));
                }

                return array;
            case JsonValueKind.Null:
                return null;
            case JsonValueKind.String:
                return JsonValue.Create(element.GetString());
            case JsonValueKind.True or JsonValueKind.False:
                return JsonValue.Create(element.GetBoolean());
            default:
                return JsonValue.Create(element.Clone());
        }
    }

    /// <summary>The 400 for a body whose apiVersion and kind could not even be read.</summary>
    public static KubeApiException Unreadable(ResourceDefinition definition, string goError, ReadOnlySpan<byte> body) =>
        StatusErrors.BadRequest(
            $"the object provided is unrecognized (must be of type {definition.Kind}): couldn't get version/kind; json parse error: {goError} ({Summarize(body)})");

    private static string Summarize(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            return "<empty>";
        }

        var head = body[..Math.Min(30, body.Length)];
        if (body[0] == (byte)'{')
        {
            return Encoding.UTF8.GetString(head) + (body.Length > 30 ? " ..." : "");
        }

        return System.Convert.ToHexStringLower(head);
    }

    /// <summary>Go's <c>encoding/json</c> wording for the JSON syntax errors clients actually send.</summary>
    public static string GoSyntaxError(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 10_000 });
        try
        {
            while (reader.Read())
            {
            }
        }
        catch (JsonException)
        {
        }

        var offset = (int)reader.BytesConsumed;
        while (offset < body.Length && body[offset] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t' or (byte)',' or (byte)':')
        {
            offset++;
        }

        return offset >= body.Length
            ? "unexpected end of JSON input"
            : $"invalid character '{(char)body[offset]}' looking for beginning of value";
    }

    /// <summary>
    /// Reads the body as an object of <paramref name="definition"/>'s kind. Unknown and duplicate fields become
    /// warnings (Warn), are dropped (Ignore) or fail the request (Strict) with the apiserver's message.
    /// </summary>
    public static KubeObject Decode(ResourceDefinition definition, ReadOnlySpan<byte> body, FieldValidation validation,
        List<string> warnings)
    {
        var duplicates = new List<string>();
        JsonNode node;
        try
        {
            node = Parse(body, duplicates);
        }
        catch (JsonException)
        {
            throw Unreadable(definition, GoSyntaxError(body), body);
        }

        if (node is not JsonObject obj)
        {
            throw Unreadable(definition,
                $"json: cannot unmarshal {GoJsonType(node)} into Go value of type struct {{ APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }}",
                body);
        }

        return DecodeObject(definition, obj, validation, warnings, duplicates, strictAsPatch: false);
    }

    /// <summary>Decodes an already parsed object (request bodies and the results of patches).</summary>
    public static KubeObject DecodeObject(ResourceDefinition definition, JsonObject obj, FieldValidation validation,
        List<string> warnings, List<string> duplicates, bool strictAsPatch)
    {
        CheckTypeMeta(definition, obj);
        var problems = new List<string>();
        var typeErrors = new List<string>();
        BodyTypeCheck.Walk(obj, definition.ObjectType, "", definition.Kind, "", problems, typeErrors, topLevel: true);
        if (typeErrors.Count > 0)
        {
            throw CannotHandle(definition, typeErrors[0]);
        }

        problems.InsertRange(0, duplicates.Select(d => $"duplicate field \"{d}\""));
        if (problems.Count > 0)
        {
            switch (validation)
            {
                case FieldValidation.Strict when strictAsPatch:
                    throw StrictPatchFailure(obj, problems);
                case FieldValidation.Strict:
                    throw CannotHandle(definition, "strict decoding error: " + string.Join(", ", problems));
                case FieldValidation.Warn:
                    warnings.AddRange(problems);
                    break;
            }
        }

        KubeObject result;
        try
        {
            result = (KubeObject)obj.Deserialize(definition.ObjectType, KubeJson.Options)!;
        }
        catch (JsonException error) when (error.InnerException is null && error.Message.StartsWith("parsing time ", StringComparison.Ordinal))
        {
            // A time Go's time.Parse refuses: the converters word it as Go does.
            throw CannotHandle(definition, error.Message);
        }
        result.Kind = definition.Kind;
        result.ApiVersion = definition.ApiVersion;
        return result;
    }

    private static KubeApiException StrictPatchFailure(JsonObject patched, List<string> problems)
    {
        var error = Validation.FieldError.Invalid("patch", patched.ToJsonString(), "strict decoding error: " + string.Join(", ", problems));
        return StatusErrors.Invalid("", "", "", [error]);
    }

    private static void CheckTypeMeta(ResourceDefinition definition, JsonObject obj)
    {
        var apiVersion = obj["apiVersion"] is JsonValue v && v.TryGetValue<string>(out var av) ? av : "";
        var kind = obj["kind"] is JsonValue k && k.TryGetValue<string>(out var kv) ? kv : "";
        if (kind.Length > 0 && kind != definition.Kind)
        {
            var version = apiVersion.Length > 0 ? apiVersion[(apiVersion.LastIndexOf('/') + 1)..] : definition.Version;
            var groupVersion = apiVersion.Length > 0 ? apiVersion : definition.ApiVersion;
            throw StatusErrors.BadRequest(
                $"{kind} in version \"{version}\" cannot be handled as a {definition.Kind}: no kind \"{kind}\" is registered for version \"{groupVersion}\" in scheme \"pkg/api/legacyscheme/scheme.go:30\"");
        }

        if (apiVersion.Length > 0 && apiVersion != definition.ApiVersion)
        {
            throw StatusErrors.BadRequest(
                $"the API version in the data ({apiVersion}) does not match the expected API version ({definition.ApiVersion})");
        }
    }

    public static KubeApiException CannotHandle(ResourceDefinition definition, string reason) =>
        StatusErrors.BadRequest($"{definition.Kind} in version \"{definition.Version}\" cannot be handled as a {definition.Kind}: {reason}");

    /// <summary>How Go's decoder names the JSON type of a value in its errors.</summary>
    public static string GoJsonType(JsonNode? node) => node switch
    {
        null => "null",
        JsonArray => "array",
        JsonObject => "object",
        JsonValue value => value.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.Number => "number",
            _ => "bool",
        },
        _ => "value",
    };
}
