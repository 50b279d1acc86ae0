using System.Globalization;
using System.Text;

namespace BindingServer.Kubernetes.Validation;

public enum FieldErrorType
{
    Required,
    Invalid,
    NotSupported,
    Duplicate,
    Forbidden,
    TooLong,
    TooMany,
    NotFound,
    Internal,
}

/// <summary>A value that knows how Go's <c>%#v</c> prints it (structs and slices in error messages).</summary>
public interface IGoValue
{
    string GoSyntax();
}

/// <summary>One validation failure, rendered exactly like apimachinery's <c>field.Error</c>.</summary>
public sealed record FieldError(FieldErrorType Type, string Field, object? BadValue, string Detail)
{
    private static readonly object Omitted = new();

    public static FieldError Required(string field, string detail = "") => new(FieldErrorType.Required, field, Omitted, detail);
    public static FieldError Invalid(string field, object? value, string detail) => new(FieldErrorType.Invalid, field, value, detail);
    public static FieldError Forbidden(string field, string detail) => new(FieldErrorType.Forbidden, field, Omitted, detail);
    public static FieldError Duplicate(string field, object? value) => new(FieldErrorType.Duplicate, field, value, "");
    public static FieldError TooLong(string field, int max) =>
        new(FieldErrorType.TooLong, field, Omitted, $"may not be more than {max} bytes");

    public static FieldError NotSupported(string field, object? value, params string[] supported) =>
        new(FieldErrorType.NotSupported, field, value,
            supported.Length == 0 ? "" : "supported values: " + string.Join(", ", supported.Select(GoFormat.Quote)));

    /// <summary>The cause <c>reason</c> Kubernetes writes for this type.</summary>
    public string CauseReason => Type switch
    {
        FieldErrorType.Required => "FieldValueRequired",
        FieldErrorType.Invalid => "FieldValueInvalid",
        FieldErrorType.NotSupported => "FieldValueNotSupported",
        FieldErrorType.Duplicate => "FieldValueDuplicate",
        FieldErrorType.Forbidden => "FieldValueForbidden",
        FieldErrorType.TooLong => "FieldValueTooLong",
        FieldErrorType.TooMany => "FieldValueTooMany",
        FieldErrorType.NotFound => "FieldValueNotFound",
        _ => "InternalError",
    };

    private string TypeText => Type switch
    {
        FieldErrorType.Required => "Required value",
        FieldErrorType.Invalid => "Invalid value",
        FieldErrorType.NotSupported => "Unsupported value",
        FieldErrorType.Duplicate => "Duplicate value",
        FieldErrorType.Forbidden => "Forbidden",
        FieldErrorType.TooLong => "Too long",
        FieldErrorType.TooMany => "Too many",
        FieldErrorType.NotFound => "Not found",
        _ => "Internal error",
    };

    /// <summary>Everything after "<c>field: </c>"; this is the cause's message.</summary>
    public string Body
    {
        get
        {
            var text = new StringBuilder(TypeText);
            var hidesValue = Type is FieldErrorType.Required or FieldErrorType.Forbidden or FieldErrorType.TooLong
                or FieldErrorType.Internal || ReferenceEquals(BadValue, Omitted);
            if (!hidesValue)
            {
                text.Append(": ").Append(GoFormat.Value(BadValue));
            }

            if (Detail.Length > 0)
            {
                text.Append(": ").Append(Detail);
            }

            return text.ToString();
        }
    }

    public override string ToString() => Field.Length == 0 ? Body : $"{Field}: {Body}";

    /// <summary>apimachinery's aggregate text: one error bare, several as <c>[a, b]</c>, duplicates dropped.</summary>
    public static string Aggregate(IEnumerable<FieldError> errors)
    {
        var texts = errors.Select(e => e.ToString()).Distinct(StringComparer.Ordinal).ToList();
        return texts.Count == 1 ? texts[0] : "[" + string.Join(", ", texts) + "]";
    }
}

/// <summary>Go's <c>%q</c> and <c>%#v</c> for the values that appear in Kubernetes messages.</summary>
public static class GoFormat
{
    public static string Value(object? value) => value switch
    {
        null => "null",
        string s => Quote(s),
        bool b => b ? "true" : "false",
        int or long or short => Convert.ToString(value, CultureInfo.InvariantCulture)!,
        IGoValue g => g.GoSyntax(),
        IEnumerable<string> list => "[]string{" + string.Join(", ", list.Select(Quote)) + "}",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "null",
    };

    /// <summary><c>strconv.Quote</c>: printable runes stay, the rest become Go escapes.</summary>
    public static string Quote(string value)
    {
        var text = new StringBuilder("\"");
        foreach (var rune in value.EnumerateRunes())
        {
            switch (rune.Value)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                case '\a': text.Append("\\a"); break;
                case '\b': text.Append("\\b"); break;
                case '\f': text.Append("\\f"); break;
                case '\v': text.Append("\\v"); break;
                default:
                    if (!Rune.IsControl(rune))
                    {
                        text.Append(rune.ToString());
                    }
                    else if (rune.Value < 0x80)
                    {
                        text.Append(CultureInfo.InvariantCulture, $"\\x{rune.Value:x2}");
                    }
                    else
                    {
                        text.Append(CultureInfo.InvariantCulture, $"\\u{rune.Value:x4}");
                    }

                    break;
            }
        }

        return text.Append('"').ToString();
    }
}
