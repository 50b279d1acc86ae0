using System.Text.RegularExpressions;

namespace BindingServer.Kubernetes.Validation;

/// <summary>A name rule: returns the messages for a name (or, with <c>prefix</c>, a generateName prefix).</summary>
public delegate IReadOnlyList<string> NameRule(string name, bool prefix);

/// <summary>The identifier rules of apimachinery's <c>util/validation</c>, with their exact messages.</summary>
public static partial class NameRules
{
    private const string Dns1123LabelFormat = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    private const string Dns1123SubdomainFormat = Dns1123LabelFormat + "(\\." + Dns1123LabelFormat + ")*";
    private const string QualifiedNameFormat = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
    private const string LabelValueFormat = "(" + QualifiedNameFormat + ")?";

    private const string Dns1123LabelMessage =
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
    private const string Dns1123SubdomainMessage =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
    private const string QualifiedNameMessage =
        "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
    private const string LabelValueMessage =
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

    [GeneratedRegex("^" + Dns1123LabelFormat + "$")]
    private static partial Regex Dns1123Label();

    [GeneratedRegex("^" + Dns1123SubdomainFormat + "$")]
    private static partial Regex Dns1123Subdomain();

    [GeneratedRegex("^" + QualifiedNameFormat + "$")]
    private static partial Regex QualifiedName();

    [GeneratedRegex("^" + LabelValueFormat + "$")]
    private static partial Regex LabelValue();

    public static string RegexError(string message, string format, params string[] examples)
    {
        if (examples.Length == 0)
        {
            return $"{message} (regex used for validation is '{format}')";
        }

        var text = message + " (e.g. ";
        for (var i = 0; i < examples.Length; i++)
        {
            if (i > 0)
            {
                text += " or ";
            }

            text += $"'{examples[i]}', ";
        }

        return text + $"regex used for validation is '{format}')";
    }

    public static string MaxLengthError(int length) => $"must be no more than {length} characters";

    public static IReadOnlyList<string> IsDns1123Label(string value)
    {
        var errors = new List<string>();
        if (value.Length > 63)
        {
            errors.Add(MaxLengthError(63));
        }

        if (!Dns1123Label().IsMatch(value))
        {
            errors.Add(Dns1123Subdomain().IsMatch(value)
                ? "must not contain dots"
                : RegexError(Dns1123LabelMessage, Dns1123LabelFormat, "my-name", "123-abc"));
        }

        return errors;
    }

    public static IReadOnlyList<string> IsDns1123Subdomain(string value)
    {
        var errors = new List<string>();
        if (value.Length > 253)
        {
            errors.Add(MaxLengthError(253));
        }

        if (!Dns1123Subdomain().IsMatch(value))
        {
            errors.Add(RegexError(Dns1123SubdomainMessage, Dns1123SubdomainFormat, "example.com"));
        }

        return errors;
    }

    public static IReadOnlyList<string> IsQualifiedName(string value)
    {
        var errors = new List<string>();
        var parts = value.Split('/');
        string name;
        switch (parts.Length)
        {
            case 1:
                name = parts[0];
                break;
            case 2:
                name = parts[1];
                if (parts[0].Length == 0)
                {
                    errors.Add("prefix part must be non-empty");
                }
                else
                {
                    errors.AddRange(IsDns1123Subdomain(parts[0]).Select(m => "prefix part " + m));
                }

                break;
            default:
                return [
                    "a qualified name " + RegexError(QualifiedNameMessage, QualifiedNameFormat, "MyName", "my.name", "123-abc") +
                    " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                ];
        }

        if (name.Length == 0)
        {
            errors.Add("name part must be non-empty");
        }
        else if (name.Length > 63)
        {
            errors.Add("name part " + MaxLengthError(63));
        }

        if (!QualifiedName().IsMatch(name))
        {
            errors.Add("name part " + RegexError(QualifiedNameMessage, QualifiedNameFormat, "MyName", "my.name", "123-abc"));
        }

        return errors;
    }

    public static IReadOnlyList<string> IsLabelValue(string value)
    {
        var errors = new List<string>();
        if (value.Length > 63)
        {
            errors.Add(MaxLengthError(63));
        }

        if (!LabelValue().IsMatch(value))
        {
            errors.Add(RegexError(LabelValueMessage, LabelValueFormat, "MyValue", "my_value", "12345"));
        }

        return errors;
    }

    /// <summary>Names that only have to be usable as one URL path segment (the RBAC kinds).</summary>
    public static IReadOnlyList<string> PathSegment(string name, bool prefix)
    {
        if (!prefix && name is "." or "..")
        {
            return [$"may not be '{name}'"];
        }

        var errors = new List<string>();
        foreach (var illegal in new[] { "/", "%" })
        {
            if (name.Contains(illegal, StringComparison.Ordinal))
            {
                errors.Add($"may not contain '{illegal}'");
            }
        }

        return errors;
    }

    /// <summary>A generateName prefix may end in '-': the random suffix makes the final name valid.</summary>
    private static string MaskTrailingDash(string name, bool prefix) =>
        prefix && name.Length > 1 && name.EndsWith('-') ? name[..^1] + "a" : name;

    public static IReadOnlyList<string> Dns1123SubdomainName(string name, bool prefix) =>
        IsDns1123Subdomain(MaskTrailingDash(name, prefix));

    public static IReadOnlyList<string> Dns1123LabelName(string name, bool prefix) =>
        IsDns1123Label(MaskTrailingDash(name, prefix));
}
