using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Errors;

namespace BindingServer.Hosting.Tenants;

/// <summary>
/// The first step of every request: under <c>/tenants/{id}</c> the prefix becomes the request's path base and the
/// request's services become the tenant's, so every route, middleware and handler after it serves that tenant alone,
/// exactly as the default tenant is served without a prefix. Routing runs after it, on the path without the prefix.
/// </summary>
public sealed class TenantRouting(RequestDelegate next, TenantRegistry tenants)
{
    /// <summary>The <see cref="HttpContext.Items"/> key of the tenant serving the request (absent for the default tenant).</summary>
    public const string ItemKey = "BindingServer.Tenant";

    public async Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments(Tenant.PathPrefix, StringComparison.Ordinal, out var rest) || rest.Value is not { Length: > 1 } value)
        {
            await next(context);
            return;
        }

        var slash = value.IndexOf('/', 1);
        var id = slash < 0 ? value[1..] : value[1..slash];
        if (!tenants.TryGet(id, out var tenant) || Scope(tenant) is not { } scope)
        {
            await KubeHttp.WriteStatusAsync(context, StatusErrors.NotFound(new GroupResource("", "tenants"), id).Status);
            return;
        }

        await using (scope)
        {
            context.Request.PathBase = context.Request.PathBase.Add(tenant.PathBase);
            context.Request.Path = slash < 0 ? "/" : value[slash..];
            context.Items[ItemKey] = tenant;
            context.RequestServices = new TenantRequestServices(scope.ServiceProvider, tenant.Has, context.RequestServices);
            await next(context);
        }
    }

    /// <summary>The request's scope of the tenant's services; null when the tenant was deleted since it was looked up.</summary>
    private static AsyncServiceScope? Scope(Tenant tenant)
    {
        try
        {
            return tenant.Services.CreateAsyncScope();
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
    }

    /// <summary>Whether the request is served by a tenant rather than the default tenant.</summary>
    public static bool InTenant(HttpContext context) => context.Items.ContainsKey(ItemKey);
}
