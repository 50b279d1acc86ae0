using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace BindingServer.Kubernetes.Json;

/// <summary>
/// JSON written as YAML the way the apiserver answers <c>Accept: application/yaml</c>: it turns its JSON into YAML
/// through go-yaml v2 (sigs.k8s.io/yaml), so map keys come out sorted (digit runs compared as numbers, non-letters
/// before letters), sequences sit at their key's indentation, strings that YAML 1.1 would read as something else are
/// double-quoted, strings plain style cannot hold are single-quoted, and multi-line strings are literal blocks.
/// </summary>
public static partial class GoYaml
{
    public static string Write(JsonNode? node)
    {
        var text = new StringBuilder();
        switch (node)
        {
            case JsonObject { Count: > 0 } map:
                WriteMap(text, map, 0);
                break;
            case JsonArray { Count: > 0 } list:
                WriteList(text, list, 0);
                break;
            default:
                text.Append(Scalar(node, 0)).Append('\n');
                break;
        }

        return text.ToString();
    }

    private static void WriteMap(StringBuilder text, JsonObject map, int indent)
    {
        var first = true;
        foreach (var (key, value) in map.OrderBy(p => p.Key, KeyOrder.Instance))
        {
            if (!first)
            {
                text.Append(' ', indent);
            }

            first = false;
            text.Append(Scalar(JsonValue.Create(key), indent)).Append(':');
            WriteValue(text, value, indent, inMap: true);
        }
    }

    private static void WriteList(StringBuilder text, JsonArray list, int indent)
    {
        var first = true;
        foreach (var item in list)
        {
            if (!first)
            {
                text.Append(' ', indent);
            }

            first = false;
            text.Append('-');
            WriteValue(text, item, indent, inMap: false);
        }
    }

    /// <summary>What follows a key's colon or an item's dash, ending with the line break.</summary>
    private static void WriteValue(StringBuilder text, JsonNode? value, int indent, bool inMap)
    {
        switch (value)
        {
            case JsonObject { Count: > 0 } map when inMap:
                text.Append('\n').Append(' ', indent + 2);
                WriteMap(text, map, indent + 2);
                break;
            case JsonObject { Count: > 0 } map:
                text.Append(' ');
                WriteMap(text, map, indent + 2);
                break;
            case JsonArray { Count: > 0 } list when inMap:
                text.Append('\n').Append(' ', indent);
                WriteList(text, list, indent);
                break;
            case JsonArray { Count: > 0 } list:
                text.Append(' ');
                WriteList(text, list, indent + 2);
                break;
            default:
                text.Append(' ').Append(Scalar(value, indent)).Append('\n');
                break;
        }
    }

    private static string Scalar(JsonNode? node, int indent)
    {
        switch (node)
        {
            case null:
                return "null";
            case JsonObject:
                return "{}";
            case JsonArray:
                return "[]";
        }

        var value = (JsonValue)node;
        switch (value.GetValueKind())
        {
            case JsonValueKind.True:
                return "true";
            case JsonValueKind.False:
                return "false";
            case JsonValueKind.Number:
                return value.TryGetValue<long>(out var integer)
                    ? integer.ToString(CultureInfo.InvariantCulture)
                    : value.GetValue<double>().ToString("R", CultureInfo.InvariantCulture).Replace("E+", "e+", StringComparison.Ordinal).Replace("E-", "e-", StringComparison.Ordinal);
        }

        var text = value.GetValue<string>();
        if (text.Contains('\n', StringComparison.Ordinal))
        {
            return Literal(text, indent);
        }

        // Control characters can only be escaped, which only double quotes do.
        if (ReadsAsAnotherType(text) || text.Any(c => char.IsControl(c) || c == '\uFEFF'))
        {
            return DoubleQuoted(text);
        }

        return PlainAllowed(text) ? text : "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";
    }

    /// <summary>A literal block (<c>|</c>), chomped as the text ends: <c>|-</c> without a final line break, <c>|+</c> with several.</summary>
    private static string Literal(string text, int indent)
    {
        var chomp = text.EndsWith("\n\n", StringComparison.Ordinal) ? "+" : text.EndsWith('\n') ? "" : "-";
        var body = text.EndsWith('\n') ? text[..^1] : text;
        var pad = new string(' ', indent + 2);
        var header = body.StartsWith(' ') ? "|2" : "|";
        return header + chomp + "\n" + string.Join("\n", body.Split('\n').Select(line => line.Length == 0 ? "" : pad + line)).TrimEnd('\n');
    }

    private static string DoubleQuoted(string text)
    {
        var quoted = new StringBuilder("\"");
        foreach (var c in text)
        {
            quoted.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\t' => "\\t",
                _ when char.IsControl(c) => $"\\x{(int)c:X2}",
                _ => c.ToString(),
            });
        }

        return quoted.Append('"').ToString();
    }

    /// <summary>go-yaml's resolver: YAML 1.1 booleans and nulls, numbers (with base-60 floats) and timestamps are not strings.</summary>
    private static bool ReadsAsAnotherType(string text) =>
        text.Length == 0 || Specials.Contains(text) || Number().IsMatch(text) || Timestamp().IsMatch(text) || Base60().IsMatch(text);

    private static readonly HashSet<string> Specials = new(StringComparer.Ordinal)
    {
        "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE",
        "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
        "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN", "<<",
    };

    [GeneratedRegex(@"^[-+]?(0b[01_]+|0x[0-9a-fA-F_]+|0o[0-7_]+|(\d[\d_]*(\.[\d_]*)?|\.\d[\d_]*)([eE][-+]?\d+)?)$")]
    private static partial Regex Number();

    [GeneratedRegex(@"^\d{4}-\d{1,2}-\d{1,2}([Tt ]\d{1,2}:\d{1,2}:\d{1,2}(\.\d+)?(Z|[-+]\d{1,2}(:\d{2})?)?)?$")]
    private static partial Regex Timestamp();

    [GeneratedRegex(@"^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$")]
    private static partial Regex Base60();

    /// <summary>libyaml's check for a plain scalar: no leading indicator or document marker, no ": " or " #", no edge spaces.</summary>
    private static bool PlainAllowed(string s)
    {
        if (s.StartsWith("---", StringComparison.Ordinal) || s.StartsWith("...", StringComparison.Ordinal)
            || "#,[]{}&*!|>'\"%@`".Contains(s[0], StringComparison.Ordinal) || (s[0] is '-' or '?' or ':' && (s.Length == 1 || s[1] == ' ')))
        {
            return false;
        }

        return s[0] != ' ' && s[^1] != ' ' && !s.Contains(": ", StringComparison.Ordinal) && !s.Contains(" #", StringComparison.Ordinal)
               && !s.EndsWith(':');
    }

    /// <summary>go-yaml v2's key order.</summary>
    private sealed class KeyOrder : IComparer<string>
    {
        public static readonly KeyOrder Instance = new();

        public int Compare(string? x, string? y)
        {
            var a = x ?? "";
            var b = y ?? "";
            for (var i = 0; i < a.Length && i < b.Length; i++)
            {
                if (a[i] == b[i])
                {
                    continue;
                }

                var aLetter = char.IsLetter(a[i]);
                var bLetter = char.IsLetter(b[i]);
                if (aLetter && bLetter)
                {
                    return a[i].CompareTo(b[i]);
                }

                if (aLetter || bLetter)
                {
                    return bLetter ? -1 : 1;
                }

                long aNumber = 0, bNumber = 0;
                if (a[i] == '0' || b[i] == '0')
                {
                    for (var j = i - 1; j >= 0 && char.IsAsciiDigit(a[j]); j--)
                    {
                        if (a[j] != '0')
                        {
                            aNumber = 1;
                            bNumber = 1;
                            break;
                        }
                    }
                }

                int ai, bi;
                for (ai = i; ai < a.Length && char.IsAsciiDigit(a[ai]); ai++)
                {
                    aNumber = (aNumber * 10) + (a[ai] - '0');
                }

                for (bi = i; bi < b.Length && char.IsAsciiDigit(b[bi]); bi++)
                {
                    bNumber = (bNumber * 10) + (b[bi] - '0');
                }

                if (aNumber != bNumber)
                {
                    return aNumber.CompareTo(bNumber);
                }

                if (ai != bi)
                {
                    return ai.CompareTo(bi);
                }

                return a[i].CompareTo(b[i]);
            }

            return a.Length.CompareTo(b.Length);
        }
    }
}
