using BindingServer.Kubernetes.Authentication;
using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Validation;
using Microsoft.Extensions.Primitives;

namespace BindingServer.Kubernetes.Api;

/// <summary>
/// The options every write takes: <c>dryRun</c>, <c>fieldManager</c>, <c>fieldValidation</c>, <c>force</c>; and who writes
/// (null for the server's own writes, which no admission check refuses).
/// </summary>
public sealed record WriteOptions(bool DryRun, string FieldManager, FieldValidation FieldValidation, bool Force, UserInfo? User = null)
{
    /// <summary>Reads and validates the write options; <paramref name="optionsKind"/> names them in a 422.</summary>
    public static WriteOptions Parse(HttpRequest request, string optionsKind, bool isApply = false)
    {
        var query = request.Query;
        var errors = new List<FieldError>();
        var dryRun = ParseDryRun(query["dryRun"], errors);

        var manager = query["fieldManager"].ToString();
        var managerGiven = query.ContainsKey("fieldManager");
        if (manager.Length > 128)
        {
            errors.Add(FieldError.TooLong("fieldManager", 128));
        }
        else
        {
            for (var i = 0; i < manager.Length; i++)
            {
                if (char.IsControl(manager[i]))
                {
                    errors.Add(FieldError.Invalid("fieldManager", manager,
                        $"invalid character {GoRune(manager[i])} (at position {i})"));
                    break;
                }
            }
        }

        if (isApply && manager.Length == 0)
        {
            errors.Add(FieldError.Required("fieldManager", "is required for apply patch"));
        }

        var validationText = query["fieldValidation"].ToString();
        var validation = validationText switch
        {
            "" or "Warn" => FieldValidation.Warn,
            "Ignore" => FieldValidation.Ignore,
            "Strict" => FieldValidation.Strict,
            _ => (FieldValidation?)null,
        };
        if (validation is null)
        {
            errors.Add(FieldError.NotSupported("fieldValidation", validationText, "", "Ignore", "Strict", "Warn"));
        }

        var force = query.ContainsKey("force") && ParseBool(query["force"]);
        if (query.ContainsKey("force") && !isApply && force)
        {
            errors.Add(FieldError.Forbidden("force", "may not be specified for non-apply patch"));
        }

        if (errors.Count > 0)
        {
            throw StatusErrors.InvalidOptions(optionsKind, [.. errors]);
        }

        if (!managerGiven || manager.Length == 0)
        {
            manager = DefaultManager(request);
        }

        return new WriteOptions(dryRun, manager, validation ?? FieldValidation.Warn, force, request.HttpContext.User());
    }

    public static bool ParseDryRun(StringValues values, List<FieldError> errors)
    {
        var list = values.Where(v => v is not null).Select(v => v!).ToList();
        if (list.Count == 0)
        {
            return false;
        }

        if (list.Count == 1 && list[0] == "All")
        {
            return true;
        }

        errors.Add(FieldError.NotSupported("dryRun", list, "All"));
        return false;
    }

    /// <summary>What the apiserver records when no field manager is named: the User-Agent up to its first '/'.</summary>
    private static string DefaultManager(HttpRequest request)
    {
        var agent = request.Headers.UserAgent.ToString();
        var slash = agent.IndexOf('/', StringComparison.Ordinal);
        var manager = slash >= 0 ? agent[..slash] : agent;
        return manager.Length > 128 ? manager[..128] : manager;
    }

    private static string GoRune(char c) => $"U+{(int)c:X4}";

    /// <summary>Go's query boolean: absent, "0" or "false" (any case) is false; anything else is true.</summary>
    public static bool ParseBool(StringValues values)
    {
        var value = values.ToString();
        return !(value == "0" || value.Equals("false", StringComparison.OrdinalIgnoreCase));
    }
}
