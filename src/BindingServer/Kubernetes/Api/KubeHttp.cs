using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Model;
using Microsoft.Net.Http.Headers;

namespace BindingServer.Kubernetes.Api;

/// <summary>What the client asked to get back, from its Accept header.</summary>
public enum OutputForm
{
    Object,
    Table,
    PartialObjectMetadata,
    PartialObjectMetadataList,
}

public sealed record Output(OutputForm Form, string MetaVersion);

/// <summary>Reading request bodies and writing responses the way the apiserver does.</summary>
public static class KubeHttp
{
    public const int MaxBodyBytes = 3 * 1024 * 1024;
    public const string Json = "application/json";

    public static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            throw StatusErrors.TooLarge();
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBodyBytes)
            {
                throw StatusErrors.TooLarge();
            }
        }

        return buffer.ToArray();
    }

    /// <summary>The media type of the body, without parameters; an absent Content-Type is read as JSON.</summary>
    public static string MediaType(HttpRequest request)
    {
        var contentType = request.ContentType;
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return Json;
        }

        return MediaTypeHeaderValue.TryParse(contentType, out var parsed) ? parsed.MediaType.ToString().ToLowerInvariant() : contentType;
    }

    /// <summary>
    /// JSON text as Go's decoder reads it: bytes that are not valid UTF-8 become U+FFFD (so such a string is accepted,
    /// as the apiserver accepts it, where .NET's reader would refuse the document).
    /// </summary>
    public static byte[] ValidUtf8(byte[] body) =>
        System.Text.Unicode.Utf8.IsValid(body) ? body : Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(body));

    /// <summary>Reads a body (JSON, YAML or protobuf) into JSON bytes; other media types are a 415.</summary>
    public static byte[] BodyAsJson(HttpRequest request, byte[] body)
    {
        switch (MediaType(request))
        {
            case Json:
            case "*/*":
                return ValidUtf8(body);
            case "application/yaml":
                return Encoding.UTF8.GetBytes(YamlConversion.ToJson(body).ToJsonString());
            case Protobuf.ProtobufBody.MediaType:
                var messages = request.HttpContext.RequestServices.GetRequiredService<ResourceCatalog>().ProtobufMessages;
                return Encoding.UTF8.GetBytes(Protobuf.ProtobufBody.ToJson(body, messages).ToJsonString());
            default:
                throw StatusErrors.UnsupportedMediaType("application/json, application/yaml, application/vnd.kubernetes.protobuf");
        }
    }

    public static Output Negotiate(HttpRequest request)
    {
        var accept = request.Headers.Accept.ToString();
        if (string.IsNullOrWhiteSpace(accept))
        {
            return new Output(OutputForm.Object, "v1");
        }

        var sawAcceptable = false;
        foreach (var clause in accept.Split(','))
        {
            if (!MediaTypeHeaderValue.TryParse(clause.Trim(), out var media))
            {
                continue;
            }

            var type = media.MediaType.ToString().ToLowerInvariant();
            var parameters = media.Parameters.ToDictionary(p => p.Name.ToString().ToLowerInvariant(), p => p.Value.ToString(), StringComparer.Ordinal);
            if (parameters.TryGetValue("as", out var asKind))
            {
                if (type != Json || parameters.GetValueOrDefault("g") != "meta.k8s.io" || parameters.GetValueOrDefault("v") is not ("v1" or "v1beta1"))
                {
                    continue;
                }

                var form = asKind switch
                {
                    "Table" => OutputForm.Table,
                    "PartialObjectMetadata" => OutputForm.PartialObjectMetadata,
                    "PartialObjectMetadataList" => OutputForm.PartialObjectMetadataList,
                    _ => (OutputForm?)null,
                };
                if (form is not null)
                {
                    return new Output(form.Value, parameters["v"]);
                }

                continue;
            }

            if (type is Json or "*/*" or "application/*" or "application/yaml" or "application/vnd.kubernetes.protobuf")
            {
                sawAcceptable = true;
                if (type != "application/vnd.kubernetes.protobuf")
                {
                    return new Output(OutputForm.Object, "v1");
                }
            }
        }

        if (!sawAcceptable)
        {
            throw StatusErrors.NotAcceptable(
                "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf");
        }

        return new Output(OutputForm.Object, "v1");
    }

    /// <summary>JSON is indented for <c>?pretty=true</c> and for curl, Wget and browsers, as the apiserver does.</summary>
    public static bool Pretty(HttpRequest request)
    {
        if (request.Query.TryGetValue("pretty", out var pretty))
        {
            return WriteOptions.ParseBool(pretty);
        }

        var agent = request.Headers.UserAgent.ToString();
        return agent.StartsWith("curl", StringComparison.Ordinal) || agent.StartsWith("Wget", StringComparison.Ordinal) ||
               agent.StartsWith("Mozilla/5.0", StringComparison.Ordinal);
    }

    /// <summary>
    /// Whether the first media type of the Accept header that the server can produce is YAML (as the apiserver picks
    /// from its serializers in the client's order).
    /// </summary>
    public static bool WantsYaml(HttpRequest request)
    {
        // Every response asks this; nearly none mention YAML, so they need no parsing.
        var accept = request.Headers.Accept.ToString();
        if (!accept.Contains("yaml", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        foreach (var clause in accept.Split(','))
        {
            if (!MediaTypeHeaderValue.TryParse(clause.Trim(), out var media) || media.Parameters.Any(p => p.Name.Equals("as", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            var type = media.MediaType.ToString().ToLowerInvariant();
            if (type is Json or "*/*" or "application/*" or "application/vnd.kubernetes.protobuf")
            {
                return false;
            }

            if (type == "application/yaml")
            {
                return true;
            }
        }

        return false;
    }

    public static async Task WriteJsonAsync(HttpContext context, int code, byte[] json)
    {
        var response = context.Response;
        response.StatusCode = code;
        if (WantsYaml(context.Request))
        {
            var yaml = Encoding.UTF8.GetBytes(GoYaml.Write(JsonNode.Parse(json)));
            response.ContentType = "application/yaml";
            response.ContentLength = yaml.Length;
            await response.Body.WriteAsync(yaml, context.RequestAborted);
            return;
        }

        response.ContentType = Json;
        if (Pretty(context.Request))
        {
            json = Encoding.UTF8.GetBytes(JsonNode.Parse(json)!.ToJsonString(KubeJson.Indented) + "\n");
        }

        response.ContentLength = json.Length;
        await response.Body.WriteAsync(json, context.RequestAborted);
    }

    public static Task WriteNodeAsync(HttpContext context, int code, JsonNode node) =>
        WriteJsonAsync(context, code, JsonSerializer.SerializeToUtf8Bytes(node, KubeJson.Options));

    public static Task WriteStatusAsync(HttpContext context, Status status) =>
        WriteJsonAsync(context, status.Code ?? 500, KubeJson.SerializeToUtf8(status));

    /// <summary>One <c>Warning: 299 - "text"</c> header per problem, as the apiserver's warning recorder writes.</summary>
    public static void AddWarnings(HttpResponse response, IEnumerable<string> warnings)
    {
        foreach (var warning in warnings)
        {
            var text = warning.Length > 256 ? warning[..256] : warning;
            response.Headers.Append("Warning", $"299 - \"{text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"");
        }
    }
}
