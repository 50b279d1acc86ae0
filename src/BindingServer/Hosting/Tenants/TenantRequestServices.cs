namespace BindingServer.Hosting.Tenants;

/// <summary>
/// A request's services inside a tenant: what the tenant registers comes from its own container, everything else
/// (what ASP.NET Core itself asks a request for: JSON options, result executors, and the shared services) from the
/// server's.
/// </summary>
internal sealed class TenantRequestServices(IServiceProvider tenant, IServiceProviderIsService tenantHas, IServiceProvider server) : IServiceProvider
{
    public object? GetService(Type serviceType) => (IsTenants(serviceType) ? tenant : server).GetService(serviceType);

    private bool IsTenants(Type type) =>
        type.IsConstructedGenericType && type.GetGenericTypeDefinition() == typeof(IEnumerable<>)
            ? tenantHas.IsService(type.GenericTypeArguments[0])
            : tenantHas.IsService(type);
}
