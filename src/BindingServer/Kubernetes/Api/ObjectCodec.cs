using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Model;

namespace BindingServer.Kubernetes.Api;

/// <summary>
/// Stored bodies are the object's JSON without <c>kind</c>/<c>apiVersion</c> (as list items are written);
/// single-object answers put the type back in front.
/// </summary>
public static class ObjectCodec
{
    public static byte[] Encode(KubeObject obj)
    {
        var (kind, apiVersion) = (obj.Kind, obj.ApiVersion);
        obj.Kind = null;
        obj.ApiVersion = null;
        try
        {
            return JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), KubeJson.Options);
        }
        finally
        {
            (obj.Kind, obj.ApiVersion) = (kind, apiVersion);
        }
    }

    public static KubeObject Decode(ResourceDefinition definition, byte[] body)
    {
        var obj = (KubeObject)JsonSerializer.Deserialize(body, definition.ObjectType, KubeJson.Options)!;
        obj.Kind = definition.Kind;
        obj.ApiVersion = definition.ApiVersion;
        return obj;
    }

    public static byte[] WithTypeMeta(ResourceDefinition definition, byte[] body)
    {
        var head = Encoding.UTF8.GetBytes($"{{\"kind\":\"{definition.Kind}\",\"apiVersion\":\"{definition.ApiVersion}\"");
        var rest = body.AsSpan(1);
        var result = new byte[head.Length + (rest.Length > 1 ? 1 : 0) + rest.Length];
        head.CopyTo(result, 0);
        var offset = head.Length;
        if (rest.Length > 1)
        {
            result[offset++] = (byte)',';
        }

        rest.CopyTo(result.AsSpan(offset));
        return result;
    }

    public static JsonObject ToNode(ResourceDefinition definition, byte[] body) =>
        JsonNode.Parse(WithTypeMeta(definition, body))!.AsObject();
}
