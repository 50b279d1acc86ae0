using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Errors;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace BindingServer.Kubernetes.Json;

/// <summary>YAML request bodies (and apply patches) read into JSON with YAML 1.1 core scalar typing, as sigs.k8s.io/yaml does.</summary>
public static class YamlConversion
{
    public static JsonNode ToJson(byte[] body)
    {
        var documents = ToJsonDocuments(body);
        return documents.Count == 0 ? new JsonObject() : documents[0] ?? new JsonObject();
    }

    /// <summary>Every document of a YAML stream (JSON is one), null for an empty one.</summary>
    public static IReadOnlyList<JsonNode?> ToJsonDocuments(byte[] body)
    {
        // A JSON body is read as JSON: the same result, several times faster than through the YAML node model.
        var start = body.AsSpan().TrimStart(" \t\r\n"u8);
        if (start.Length > 0 && start[0] is (byte)'{' or (byte)'[')
        {
            try
            {
                return [JsonNode.Parse(body, documentOptions: new System.Text.Json.JsonDocumentOptions { MaxDepth = MaxNesting })];
            }
            catch (System.Text.Json.JsonException)
            {
                // YAML flow style, or several documents: the YAML reader below decides.
            }
        }

        var stream = new YamlStream();
        try
        {
            stream.Load(new NestingLimit(new Parser(new StringReader(Encoding.UTF8.GetString(body)))));
        }
        catch (YamlException error)
        {
            throw StatusErrors.BadRequest($"error decoding YAML: {error.Message}");
        }

        // Aliases are shared nodes here but copies in JSON: a few lines can stand for billions of values.
        var budget = new ExpansionBudget(4L * body.Length + 1000);
        return stream.Documents.Select(d => Convert(d.RootNode, budget)).ToList();
    }

    /// <summary>
    /// Deeper than any object served here nests, and shallow enough for the recursive readers (YamlDotNet's node model
    /// and <see cref="Convert"/>): a deeper body is refused before it can exhaust the stack.
    /// </summary>
    private const int MaxNesting = 100;

    /// <summary>The parser's events, refused past <see cref="MaxNesting"/> levels of mappings and sequences.</summary>
    private sealed class NestingLimit(IParser inner) : IParser
    {
        private int _depth;

        public ParsingEvent? Current => inner.Current;

        public bool MoveNext()
        {
            if (!inner.MoveNext())
            {
                return false;
            }

            if (inner.Current is MappingStart or SequenceStart && ++_depth > MaxNesting)
            {
                throw new YamlException(inner.Current.Start, inner.Current.End, $"the document nests deeper than {MaxNesting} levels");
            }

            if (inner.Current is MappingEnd or SequenceEnd)
            {
                _depth--;
            }

            return true;
        }
    }

    /// <summary>How many JSON values a YAML body may turn into; only aliases make more values than the body has bytes.</summary>
    private sealed class ExpansionBudget(long values)
    {
        private long _left = values;

        public void Take()
        {
            if (--_left < 0)
            {
                throw StatusErrors.BadRequest("error decoding YAML: yaml: document contains excessive aliasing");
            }
        }
    }

    /// <summary>JSON values as a YAML stream, one document each, each written as the apiserver writes YAML (<see cref="GoYaml"/>).</summary>
    public static string ToYaml(IEnumerable<JsonNode> documents) => string.Join("---\n", documents.Select(GoYaml.Write));

    private static JsonNode? Convert(YamlNode node, ExpansionBudget budget)
    {
        budget.Take();
        return node switch
        {
            YamlMappingNode map => new JsonObject(map.Children.Select(p =>
                KeyValuePair.Create(((YamlScalarNode)p.Key).Value ?? "", Convert(p.Value, budget)))),
            YamlSequenceNode list => new JsonArray(list.Children.Select(child => Convert(child, budget)).ToArray()),
            YamlScalarNode scalar => Scalar(scalar),
            _ => null,
        };
    }

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
