using System.Text;
using BindingServer.Kubernetes.Errors;

namespace BindingServer.Kubernetes.Selectors;

/// <summary>A parsed <c>fieldSelector</c>: <c>field=value</c>, <c>==</c> or <c>!=</c>, joined by commas.</summary>
public sealed class FieldSelector
{
    public sealed record Term(string Field, string Value, bool Negated);

    private FieldSelector(List<Term> terms) => Terms = terms;

    public IReadOnlyList<Term> Terms { get; }

    public static FieldSelector Everything { get; } = new([]);

    public bool IsEmpty => Terms.Count == 0;

    public bool Matches(Func<string, string> valueOf) =>
        Terms.All(t => t.Negated ? valueOf(t.Field) != t.Value : valueOf(t.Field) == t.Value);

    /// <summary>The value required for <paramref name="field"/> by an equality term, if any.</summary>
    public string? RequiredValue(string field) => Terms.FirstOrDefault(t => t.Field == field && !t.Negated)?.Value;

    public static FieldSelector Parse(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return Everything;
        }

        var terms = new List<Term>();
        foreach (var part in SplitUnescaped(text, ','))
        {
            if (part.Length == 0)
            {
                continue;
            }

            terms.Add(ParseTerm(part));
        }

        return new FieldSelector(terms);
    }

    private static Term ParseTerm(string part)
    {
        foreach (var (op, negated) in new[] { ("!=", true), ("==", false), ("=", false) })
        {
            var index = IndexOfUnescaped(part, op);
            if (index >= 0)
            {
                return new Term(part[..index], Unescape(part[(index + op.Length)..]), negated);
            }
        }

        throw StatusErrors.BadRequest($"invalid selector: '{part}'; can't understand '{part}'");
    }

    private static int IndexOfUnescaped(string text, string op)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\')
            {
                i++;
                continue;
            }

            if (string.CompareOrdinal(text, i, op, 0, op.Length) == 0)
            {
                return i;
            }
        }

        return -1;
    }

    private static IEnumerable<string> SplitUnescaped(string text, char separator)
    {
        var current = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 1 < text.Length)
            {
                current.Append(text[i]).Append(text[++i]);
            }
            else if (text[i] == separator)
            {
                yield return current.ToString();
                current.Clear();
            }
            else
            {
                current.Append(text[i]);
            }
        }

        yield return current.ToString();
    }

    private static string Unescape(string value)
    {
        var text = new StringBuilder();
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\' && i + 1 < value.Length)
            {
                i++;
            }

            text.Append(value[i]);
        }

        return text.ToString();
    }
}
