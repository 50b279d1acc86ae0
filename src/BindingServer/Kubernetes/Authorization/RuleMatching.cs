using BindingServer.Kubernetes.Resources;

namespace BindingServer.Kubernetes.Authorization;

/// <summary>Whether one policy rule allows a request, as kube's <c>RuleAllows</c> decides.</summary>
public static class RuleMatching
{
    public static bool Allows(RequestAttributes request, PolicyRule rule)
    {
        if (!Has(rule.Verbs, request.Verb))
        {
            return false;
        }

        if (!request.IsResourceRequest)
        {
            return UrlMatches(rule.NonResourceURLs, request.Path);
        }

        return Has(rule.ApiGroups, request.ApiGroup) &&
               ResourceMatches(rule.Resources, request.CombinedResource, request.Subresource) &&
               (rule.ResourceNames is not { Count: > 0 } || rule.ResourceNames.Contains(request.Name, StringComparer.Ordinal));
    }

    private static bool Has(List<string>? values, string wanted)
    {
        foreach (var value in values ?? [])
        {
            if (value == "*" || value == wanted)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><c>*</c>, the exact <c>resource/subresource</c>, or <c>*/subresource</c> for that subresource of anything.</summary>
    private static bool ResourceMatches(List<string>? resources, string combined, string subresource)
    {
        foreach (var resource in resources ?? [])
        {
            if (resource == "*" || resource == combined)
            {
                return true;
            }

            if (subresource.Length > 0 && resource.Length == subresource.Length + 2 &&
                resource.StartsWith("*/", StringComparison.Ordinal) && resource.EndsWith(subresource, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>An exact path, <c>*</c>, or a prefix written with a trailing <c>*</c>.</summary>
    private static bool UrlMatches(List<string>? urls, string path)
    {
        foreach (var url in urls ?? [])
        {
            if (url == "*" || url == path ||
                (url.EndsWith('*') && path.StartsWith(url.TrimEnd('*'), StringComparison.Ordinal)))
            {
                return true;
            }
        }

        return false;
    }
}
