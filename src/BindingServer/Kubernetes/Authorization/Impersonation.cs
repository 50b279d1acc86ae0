using System.Text;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Authentication;

namespace BindingServer.Kubernetes.Authorization;

/// <summary>
/// The apiserver's impersonation filter: <c>Impersonate-User</c>, <c>-Group</c>, <c>-Uid</c> and <c>-Extra-*</c>, each
/// authorized for the requesting user with verb <c>impersonate</c>, and the identity they make.
/// </summary>
public static class Impersonation
{
    private const string ExtraPrefix = "Impersonate-Extra-";

    /// <summary>One thing asked to be impersonated, printed as Go prints the <c>ObjectReference</c> it is upstream.</summary>
    private sealed record Requested(string Kind, string Namespace, string Name, string ApiVersion = "", string FieldPath = "")
    {
        public override string ToString() => $"{{{Kind} {Namespace} {Name}  {ApiVersion}  {FieldPath}}}";
    }

    /// <summary>The identity the request acts as, or the answer that refuses it.</summary>
    public static (UserInfo? User, Func<HttpContext, Task>? Refusal) Resolve(UserInfo requester, IHeaderDictionary headers, RbacAuthorizer authorizer)
    {
        var requests = new List<Requested>();
        var userName = headers["Impersonate-User"].ToString();
        var hasUser = userName.Length > 0;
        if (hasUser)
        {
            requests.Add(UserInfo.TrySplitServiceAccount(userName, out var saNamespace, out var saName)
                ? new Requested("ServiceAccount", saNamespace, saName)
                : new Requested("User", "", userName));
        }

        var groupsGiven = false;
        foreach (var group in headers["Impersonate-Group"])
        {
            groupsGiven = true;
            requests.Add(new Requested("Group", "", group ?? ""));
        }

        foreach (var (header, values) in headers)
        {
            if (!header.StartsWith(ExtraPrefix, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var key = Uri.UnescapeDataString(header[ExtraPrefix.Length..].ToLowerInvariant());
            requests.AddRange(values.Select(value => new Requested("UserExtra", "", value ?? "", "authentication.k8s.io/v1", key)));
        }

        var uid = headers["Impersonate-Uid"].ToString();
        if (uid.Length > 0)
        {
            requests.Add(new Requested("UID", "", uid, "authentication.k8s.io/v1"));
        }

        if (requests.Count == 0)
        {
            return (requester, null);
        }

        if (!hasUser)
        {
            var error = $"requested [{string.Join(" ", requests)}] without impersonating a user";
            return (null, context => InternalErrorAsync(context, error));
        }

        var name = "";
        var groups = new List<string>();
        var extra = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var request in requests)
        {
            var attributes = new RequestAttributes
            {
                User = requester, Verb = "impersonate", IsResourceRequest = true, Namespace = request.Namespace, Name = request.Name,
                ApiGroup = request.ApiVersion.Length > 0 ? "authentication.k8s.io" : "",
                ApiVersion = request.ApiVersion.Length > 0 ? "v1" : "",
            };
            switch (request.Kind)
            {
                case "ServiceAccount":
                    attributes = attributes with { Resource = "serviceaccounts" };
                    name = UserInfo.ServiceAccountName(request.Namespace, request.Name);
                    if (!groupsGiven)
                    {
                        groups.AddRange(UserInfo.ServiceAccountGroups(request.Namespace));
                    }

                    break;
                case "User":
                    attributes = attributes with { Resource = "users" };
                    name = request.Name;
                    break;
                case "Group":
                    attributes = attributes with { Resource = "groups" };
                    groups.Add(request.Name);
                    break;
                case "UserExtra":
                    attributes = attributes with { Resource = "userextras", Subresource = request.FieldPath };
                    if (!extra.TryGetValue(request.FieldPath, out var values))
                    {
                        extra[request.FieldPath] = values = [];
                    }

                    values.Add(request.Name);
                    break;
                default:
                    attributes = attributes with { Resource = "uids" };
                    break;
            }

            var decision = authorizer.Authorize(attributes);
            if (!decision.Allowed)
            {
                var status = KubernetesAuthMiddleware.Forbidden(attributes, decision.Reason);
                return (null, context => KubeHttp.WriteStatusAsync(context, status));
            }
        }

        // A named identity is authenticated unless the groups say otherwise; the anonymous one is unauthenticated.
        if (name != UserInfo.AnonymousName)
        {
            if (!groups.Contains(UserInfo.Authenticated) && !groups.Contains(UserInfo.Unauthenticated))
            {
                groups.Add(UserInfo.Authenticated);
            }
        }
        else if (!groups.Contains(UserInfo.Unauthenticated))
        {
            groups.Add(UserInfo.Unauthenticated);
        }

        var extras = extra.ToDictionary(e => e.Key, e => (IReadOnlyList<string>)e.Value, StringComparer.Ordinal);
        return (UserInfo.Of(name, groups, uid, extras), null);
    }

    /// <summary>Go's <c>http.Error</c> as the apiserver's <c>responsewriters.InternalError</c> uses it: plain text, not a Status.</summary>
    private static Task InternalErrorAsync(HttpContext context, string error)
    {
        var uri = context.Request.Path + context.Request.QueryString;
        context.Response.StatusCode = 500;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers["X-Content-Type-Options"] = "nosniff";
        var text = KubernetesAuthMiddleware.Sanitize($"Internal Server Error: {Validation.GoFormat.Quote(uri)}: {error}");
        return context.Response.WriteAsync(text + "\n", Encoding.UTF8);
    }
}
