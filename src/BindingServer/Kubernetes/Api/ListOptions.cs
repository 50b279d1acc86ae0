using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.Selectors;
using BindingServer.Kubernetes.Validation;

namespace BindingServer.Kubernetes.Api;

/// <summary><c>ListOptions</c> for list, watch and deletecollection, validated as the apiserver validates them.</summary>
public sealed record ListOptions
{
    public LabelSelector Labels { get; init; } = LabelSelector.Everything;
    public FieldSelector Fields { get; init; } = FieldSelector.Everything;
    public long? Limit { get; init; }
    public string? Continue { get; init; }
    public string? ResourceVersion { get; init; }
    public string? ResourceVersionMatch { get; init; }
    public bool Watch { get; init; }
    public bool AllowWatchBookmarks { get; init; }
    public long? TimeoutSeconds { get; init; }
    public bool? SendInitialEvents { get; init; }

    public bool HasSelectors => !Labels.IsEmpty || !Fields.IsEmpty;

    /// <summary>
    /// An integer query parameter as the apiserver's parameter codec reads it (Go's <c>strconv.ParseInt</c>): absent is
    /// null, anything but a base-10 int64 is a 400 with Go's message.
    /// </summary>
    public static long? QueryInt64(Microsoft.Extensions.Primitives.StringValues values)
    {
        if (values.Count == 0)
        {
            return null;
        }

        var text = values[0] ?? "";
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
        {
            return number;
        }

        var quoted = "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
        var digits = text.TrimStart('+', '-');
        var why = digits.Length > 0 && digits.All(char.IsAsciiDigit) ? "value out of range" : "invalid syntax";
        throw StatusErrors.BadRequest($"strconv.ParseInt: parsing {quoted}: {why}");
    }

    /// <summary>Whether the request asks for a watch, read the way <see cref="Parse"/> reads it.</summary>
    public static bool IsWatch(HttpRequest request) => request.Query.ContainsKey("watch") && WriteOptions.ParseBool(request.Query["watch"]);

    public static ListOptions Parse(HttpRequest request, ResourceDefinition definition, bool forDeleteCollection = false)
    {
        var query = request.Query;
        var options = new ListOptions
        {
            Labels = LabelSelector.Parse(query["labelSelector"]),
            Fields = FieldSelector.Parse(query["fieldSelector"]),
            Limit = QueryInt64(query["limit"]) is > 0 and var limit ? limit : null,
            Continue = NullIfEmpty(query["continue"]),
            ResourceVersion = query.ContainsKey("resourceVersion") ? query["resourceVersion"].ToString() : null,
            ResourceVersionMatch = NullIfEmpty(query["resourceVersionMatch"]),
            Watch = IsWatch(request),
            AllowWatchBookmarks = query.ContainsKey("allowWatchBookmarks") && WriteOptions.ParseBool(query["allowWatchBookmarks"]),
            TimeoutSeconds = QueryInt64(query["timeoutSeconds"]),
            SendInitialEvents = query.ContainsKey("sendInitialEvents") ? WriteOptions.ParseBool(query["sendInitialEvents"]) : null,
        };

        foreach (var term in options.Fields.Terms)
        {
            if (term.Field is not ("metadata.name" or "metadata.namespace") && !definition.Strategy.SelectableFields.ContainsKey(term.Field))
            {
                throw StatusErrors.BadRequest(definition.Strategy.UnsupportedFieldSelector(term.Field));
            }
        }

        var errors = options.Watch ? ValidateWatch(options) : ValidateList(options, forDeleteCollection);
        if (errors.Count > 0)
        {
            throw StatusErrors.InvalidOptions("ListOptions", [.. errors]);
        }

        if (options.ResourceVersion is { Length: > 0 } rv && rv != "0" && !long.TryParse(rv, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            throw StatusErrors.BadRequest($"invalid resource version: strconv.ParseUint: parsing {GoFormat.Quote(rv)}: invalid syntax");
        }

        return options;
    }

    /// <summary>apimachinery's ValidateListOptions for a plain list, errors accumulated in its order.</summary>
    private static List<FieldError> ValidateList(ListOptions options, bool forDeleteCollection)
    {
        var errors = new List<FieldError>();
        if (options.ResourceVersionMatch is { } match)
        {
            if (string.IsNullOrEmpty(options.ResourceVersion))
            {
                errors.Add(FieldError.Forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden unless resourceVersion is provided"));
            }

            if (options.Continue is not null)
            {
                errors.Add(FieldError.Forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided"));
            }

            if (match is not ("Exact" or "NotOlderThan"))
            {
                errors.Add(FieldError.NotSupported("resourceVersionMatch", match, "Exact", "NotOlderThan", ""));
            }

            if (match == "Exact" && options.ResourceVersion == "0")
            {
                errors.Add(FieldError.Forbidden("resourceVersionMatch", "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\""));
            }
        }

        if (options.SendInitialEvents is not null && !forDeleteCollection)
        {
            errors.Add(FieldError.Forbidden("sendInitialEvents", "sendInitialEvents is forbidden for list"));
        }

        return errors;
    }

    /// <summary>The watch variant: <c>sendInitialEvents</c> and <c>resourceVersionMatch</c> go together (WatchList is on in 1.32).</summary>
    private static List<FieldError> ValidateWatch(ListOptions options)
    {
        var errors = new List<FieldError>();
        var match = options.ResourceVersionMatch;
        if (options.SendInitialEvents is not null && match != "NotOlderThan")
        {
            errors.Add(FieldError.Forbidden("resourceVersionMatch", "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"));
        }

        if (match is not null)
        {
            if (options.SendInitialEvents is null)
            {
                errors.Add(FieldError.Forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"));
            }

            if (match != "NotOlderThan")
            {
                errors.Add(FieldError.NotSupported("resourceVersionMatch", match, "NotOlderThan"));
            }

            if (options.Continue is not null)
            {
                errors.Add(FieldError.Forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided"));
            }
        }

        return errors;
    }

    private static string? NullIfEmpty(Microsoft.Extensions.Primitives.StringValues value) =>
        string.IsNullOrEmpty(value) ? null : value.ToString();

    public bool Matches(ResourceDefinition definition, KubeObject obj) =>
        Labels.Matches(obj.Metadata.Labels) && Fields.Matches(field => FieldValue(definition, obj, field));

    private static string FieldValue(ResourceDefinition definition, KubeObject obj, string field) => field switch
    {
        "metadata.name" => obj.Metadata.Name ?? "",
        "metadata.namespace" => obj.Metadata.Namespace ?? "",
        _ => definition.Strategy.SelectableFields.TryGetValue(field, out var get) ? get(obj) : "",
    };
}

/// <summary>The continue token: base64url JSON of the list's revision and the key to start from, as the apiserver builds it.</summary>
public sealed record ContinueToken(long ResourceVersion, string Start)
{
    public string Encode() => Convert.ToBase64String(Encoding.UTF8.GetBytes(
            new JsonObject { ["v"] = "meta.k8s.io/v1", ["rv"] = ResourceVersion, ["start"] = Start }.ToJsonString()))
        .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static ContinueToken Decode(string token)
    {
        try
        {
            var padded = token.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - padded.Length % 4) % 4);
            var json = JsonNode.Parse(Convert.FromBase64String(padded))!.AsObject();
            if (json["v"]?.GetValue<string>() != "meta.k8s.io/v1")
            {
                throw StatusErrors.BadRequest("invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
            }

            var rv = json["rv"]!.GetValue<long>();
            var start = json["start"]!.GetValue<string>();
            if (rv <= 0 || start.Contains("..", StringComparison.Ordinal) || start.StartsWith('/'))
            {
                throw StatusErrors.BadRequest("invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
            }

            return new ContinueToken(rv, start);
        }
        catch (Exception error) when (error is FormatException or JsonException or InvalidOperationException or NullReferenceException)
        {
            throw StatusErrors.BadRequest($"invalid continue token: continue key is not valid: {error.Message}");
        }
    }
}
