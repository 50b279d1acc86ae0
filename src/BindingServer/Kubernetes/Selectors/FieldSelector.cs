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

        // As apimachinery: terms split at unescaped commas, sorted (so an error names the first bad term in that order),
        // each split at its first operator, the value unescaped strictly.
        var terms = new List<Term>();
        foreach (var part in SplitUnescaped(text, ',').Order(StringComparer.Ordinal))
        {
            if (part.Length == 0)
            {
                continue;
            }

            terms.Add(ParseTerm(text, part));
        }

        return new FieldSelector(terms);
    }

    private static Term ParseTerm(string selector, string part)
    {
        for (var i = 0; i < part.Length; i++)
        {
            foreach (var (op, negated) in new[] { ("!=", true), ("==", false), ("=", false) })
            {
                if (string.CompareOrdinal(part, i, op, 0, op.Length) == 0)
                {
                    return new Term(part[..i], Unescape(part[(i + op.Length)..]), negated);
                }
            }
        }

        throw StatusErrors.BadRequest($"invalid selector: '{selector}'; can't understand '{part}'");
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

    /// <summary>fields.UnescapeValue: only <c>\\</c>, <c>\,</c> and <c>\=</c> are escapes; a bare <c>,</c> or <c>=</c> is refused.</summary>
    private static string Unescape(string value)
    {
        var text = new StringBuilder();
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\\')
            {
                if (i + 1 >= value.Length)
                {
                    throw StatusErrors.BadRequest("invalid field selector: invalid escape sequence: \\");
                }

                var escaped = value[++i];
                if (escaped is not ('\\' or ',' or '='))
                {
                    throw StatusErrors.BadRequest($"invalid field selector: invalid escape sequence: \\{escaped}");
                }

                text.Append(escaped);
            }
            else if (c is ',' or '=')
            {
                // Go prints the rune with %v, which is its number.
                throw StatusErrors.BadRequest($"invalid field selector: unescaped character in value: {(int)c}");
            }
            else
            {
                text.Append(c);
            }
        }

        return text.ToString();
    }
}
