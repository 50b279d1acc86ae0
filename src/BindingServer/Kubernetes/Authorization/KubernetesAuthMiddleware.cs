using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Authentication;
using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Model;

namespace BindingServer.Kubernetes.Authorization;

/// <summary>
/// The apiserver's filter chain in front of every Kubernetes path: authentication, impersonation, then authorization of
/// the request's attributes. A refusal is the apiserver's 403 <c>Status</c>; the identity it settles on is left on the
/// request for the handlers (escalation checks, reviews).
/// </summary>
public sealed class KubernetesAuthMiddleware(RequestDelegate next)
{
    /// <summary>The other dialects and this server's own pages; every other path is the apiserver's, served or not.</summary>
    private static readonly string[] OtherPaths = ["/_bindingserver", "/swagger", "/v2"];

    // The authorizer and authenticator come with the request: each tenant's decide from its own bindings.
    public async Task InvokeAsync(HttpContext context, RbacAuthorizer authorizer, RequestAuthenticator authenticator)
    {
        var path = context.Request.Path.Value ?? "/";
        if (IsOtherPath(path))
        {
            await next(context);
            return;
        }

        var authenticated = await authenticator.AuthenticateAsync(context.Request);
        if (authenticated.User is null)
        {
            await KubeHttp.WriteStatusAsync(context, Unauthorized);
            return;
        }

        var (user, refusal) = Impersonation.Resolve(authenticated.User, context.Request.Headers, authorizer);
        if (refusal is not null)
        {
            await refusal(context);
            return;
        }

        context.SetUser(user!);

        // system:masters is allowed everything: no attributes to resolve on the default identity's hot path.
        if (user!.IsPrivileged)
        {
            await next(context);
            return;
        }

        var attributes = RequestInfoResolver.Resolve(user, context.Request.Method, path, context.Request.Query);
        var decision = authorizer.Authorize(attributes);
        if (!decision.Allowed)
        {
            await KubeHttp.WriteStatusAsync(context, Forbidden(attributes, decision.Reason));
            return;
        }

        await next(context);
    }

    private static bool IsOtherPath(string path)
    {
        foreach (var prefix in OtherPaths)
        {
            if (path.StartsWith(prefix, StringComparison.Ordinal) && (path.Length == prefix.Length || path[prefix.Length] == '/'))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The authentication filter's answer to credentials no authenticator accepts: the same text whatever the reason.</summary>
    private static readonly Status Unauthorized = new() { Outcome = "Failure", Message = "Unauthorized", Reason = "Unauthorized", Code = 401 };

    /// <summary>The apiserver's Forbidden answer for attributes the authorizer did not allow (<c>responsewriters.Forbidden</c>).</summary>
    public static Status Forbidden(RequestAttributes attributes, string reason)
    {
        var text = Sanitize(ForbiddenText(attributes));
        if (reason.Length > 0)
        {
            text = $"{text}: {reason}";
        }

        if (!attributes.IsResourceRequest)
        {
            return StatusErrors.Forbidden(new GroupResource("", ""), "", text).Status;
        }

        return StatusErrors.Forbidden(new GroupResource(attributes.ApiGroup, attributes.Resource), attributes.Name, text).Status;
    }

    private static string ForbiddenText(RequestAttributes a)
    {
        if (!a.IsResourceRequest)
        {
            return $"User \"{a.User.Name}\" cannot {a.Verb} path \"{a.Path}\"";
        }

        return a.Namespace.Length > 0
            ? $"User \"{a.User.Name}\" cannot {a.Verb} resource \"{a.CombinedResource}\" in API group \"{a.ApiGroup}\" in the namespace \"{a.Namespace}\""
            : $"User \"{a.User.Name}\" cannot {a.Verb} resource \"{a.CombinedResource}\" in API group \"{a.ApiGroup}\" at the cluster scope";
    }

    /// <summary>The apiserver escapes these in error texts it writes itself.</summary>
    internal static string Sanitize(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}
