using BindingServer.Kubernetes.Authentication;
using BindingServer.Kubernetes.Validation;

namespace BindingServer.Kubernetes.Authorization;

/// <summary>What is asked of the authorizer: the apiserver's <c>authorizer.Attributes</c>.</summary>
public sealed record RequestAttributes
{
    public required UserInfo User { get; init; }
    public required string Verb { get; init; }
    public bool IsResourceRequest { get; init; }

    /// <summary>The URL path, for non-resource requests.</summary>
    public string Path { get; init; } = "";

    public string Namespace { get; init; } = "";
    public string ApiGroup { get; init; } = "";
    public string ApiVersion { get; init; } = "";
    public string Resource { get; init; } = "";
    public string Subresource { get; init; } = "";
    public string Name { get; init; } = "";

    /// <summary><c>resource/subresource</c>, as rules name it.</summary>
    public string CombinedResource => Subresource.Length == 0 ? Resource : $"{Resource}/{Subresource}";
}

/// <summary>
/// Turns a request's method and URL into authorization attributes as the apiserver's request-info resolver does:
/// <c>/api/{version}/...</c> and <c>/apis/{group}/{version}/...</c> are resource requests, everything else is a path.
/// </summary>
public static class RequestInfoResolver
{
    public static RequestAttributes Resolve(UserInfo user, string method, string path, IQueryCollection query)
    {
        var parts = path.Trim('/').Split('/', StringSplitOptions.None);
        if (path.Trim('/').Length == 0 || parts.Length < 3 || parts[0] is not ("api" or "apis") || (parts[0] == "apis" && parts.Length < 4))
        {
            return new RequestAttributes { User = user, Verb = method.ToLowerInvariant(), Path = path };
        }

        var group = "";
        var rest = parts.AsSpan(1);
        if (parts[0] == "apis")
        {
            group = rest[0];
            rest = rest[1..];
        }

        var version = rest[0];
        rest = rest[1..];
        string verb;
        if (rest[0] is "watch" or "proxy")
        {
            verb = rest[0];
            rest = rest[1..];
        }
        else
        {
            verb = method switch
            {
                "POST" => "create",
                "GET" or "HEAD" => "get",
                "PUT" => "update",
                "PATCH" => "patch",
                "DELETE" => "delete",
                _ => "",
            };
        }

        var ns = "";
        if (rest.Length > 0 && rest[0] == "namespaces")
        {
            if (rest.Length > 1)
            {
                ns = rest[1];

                // namespaces/{name}/status and /finalize are the namespace's own subresources, not a resource inside it.
                if (rest.Length > 2 && rest[2] is not ("status" or "finalize"))
                {
                    rest = rest[2..];
                }
            }
        }

        var resource = rest.Length > 0 ? rest[0] : "";
        var name = rest.Length > 1 ? rest[1] : "";
        var subresource = rest.Length > 2 && verb != "proxy" ? rest[2] : "";

        if (name.Length == 0 && verb == "get")
        {
            verb = WatchRequested(query) ? "watch" : "list";
            if (ExactName(query["fieldSelector"].ToString()) is { } selected && NameRules.PathSegment(selected, false).Count == 0)
            {
                name = selected;
            }
        }

        if (name.Length == 0 && verb == "delete")
        {
            verb = "deletecollection";
        }

        return new RequestAttributes
        {
            User = user, Verb = verb, IsResourceRequest = true, Path = path, Namespace = ns, ApiGroup = group, ApiVersion = version,
            Resource = resource, Subresource = subresource, Name = name,
        };
    }

    /// <summary>The query codec's bool: any value but "0" and "false" (any case) is true.</summary>
    private static bool WatchRequested(IQueryCollection query) =>
        query.TryGetValue("watch", out var values) && values.Count > 0 && values[0] is { } first &&
        first != "0" && !first.Equals("false", StringComparison.OrdinalIgnoreCase);

    /// <summary>The name a field selector pins with <c>metadata.name=x</c> or <c>metadata.name==x</c>, as <c>RequiresExactMatch</c> finds it.</summary>
    private static string? ExactName(string selector)
    {
        if (selector.Length == 0)
        {
            return null;
        }

        foreach (var term in selector.Split(','))
        {
            var text = term.Trim();
            foreach (var op in new[] { "==", "=" })
            {
                var at = text.IndexOf(op, StringComparison.Ordinal);
                if (at > 0 && text[..at].Trim() == "metadata.name" && !text.Contains("!=", StringComparison.Ordinal))
                {
                    return text[(at + op.Length)..].Trim();
                }
            }
        }

        return null;
    }
}
