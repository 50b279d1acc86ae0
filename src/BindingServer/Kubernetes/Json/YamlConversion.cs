using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Errors;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace BindingServer.Kubernetes.Json;

/// <summary>YAML request bodies (and apply patches) read into JSON with YAML 1.1 core scalar typing, as sigs.k8s.io/yaml does.</summary>
public static class YamlConversion
{
    public static JsonNode ToJson(byte[] body)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(Encoding.UTF8.GetString(body)));
        }
        catch (YamlException error)
        {
            throw StatusErrors.BadRequest($"error decoding YAML: {error.Message}");
        }

        if (stream.Documents.Count == 0)
        {
            return new JsonObject();
        }

        return Convert(stream.Documents[0].RootNode) ?? new JsonObject();
    }

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(p =>
            KeyValuePair.Create(((YamlScalarNode)p.Key).Value ?? "", Convert(p.Value)))),
        YamlSequenceNode list => new JsonArray(list.Children.Select(Convert).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => null,
    };

    private static JsonValue? Scalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
        {
            return JsonValue.Create(text);
        }

        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && text.Any(char.IsDigit))
        {
            return JsonValue.Create(number);
        }

        return JsonValue.Create(text);
    }
}
