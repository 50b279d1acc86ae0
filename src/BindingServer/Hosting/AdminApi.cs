using BindingServer.Hosting.Tenants;

namespace BindingServer.Hosting;

/// <summary>The server's own API under <c>/_bindingserver</c> (reset, fixtures, journal, faults, tenants), health and the kubeconfig.</summary>
public static class AdminApi
{
    public static IServiceCollection AddAdminApi(this IServiceCollection services)
    {
        services.AddSingleton<Tenants.TenantRegistry>();
        return services.AddAdminState();
    }

    /// <summary>The journal, the faults and fixture loading: one set per tenant.</summary>
    public static IServiceCollection AddAdminState(this IServiceCollection services)
    {
        services.AddSingleton<RequestJournal>();
        services.AddSingleton<FaultInjection>();
        services.AddSingleton<Fixtures>();
        return services;
    }

    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        app.MapHealth();
        app.MapKubeconfig();
        app.MapAdmin();
        app.MapTenants();
        return app;
    }
}
