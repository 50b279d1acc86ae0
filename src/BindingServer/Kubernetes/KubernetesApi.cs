using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Authentication;
using BindingServer.Kubernetes.Authorization;
using BindingServer.Kubernetes.Discovery;
using BindingServer.Kubernetes.OpenApi;
using BindingServer.Kubernetes.Resources.Core;
using BindingServer.OpenShift;
using BindingServer.Storage;

namespace BindingServer.Kubernetes;

/// <summary>
/// The Kubernetes and OpenShift APIs as one unit: their services, their start state and their routes, all from the
/// one <see cref="ResourceCatalog"/>.
/// </summary>
public static class KubernetesApi
{
    public static IServiceCollection AddKubernetesApi(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<AuthenticationOptions>(configuration.GetSection(AuthenticationOptions.Section));
        services.Configure<KubeletOptions>(configuration.GetSection(KubeletOptions.Section));
        services.AddSingleton(ResourceCatalog.Default);
        services.AddSingleton<StaticTokens>();
        services.AddSingleton(sp => new DiscoveryDocuments(sp.GetRequiredService<ResourceCatalog>().Discovery));
        services.AddSingleton(sp => new KubeOpenApi(sp.GetRequiredService<ResourceCatalog>().Documented, [("/api/v1", typeof(Binding))]));
        return services.AddKubernetesState();
    }

    /// <summary>
    /// What holds or reads one cluster's state: its authorizer, token issuer, handlers and controllers. One set per
    /// tenant; the catalog, documents and static tokens above are shared by all.
    /// </summary>
    public static IServiceCollection AddKubernetesState(this IServiceCollection services)
    {
        services.AddSingleton<RbacAuthorizer>();
        services.AddSingleton<ServiceAccountTokens>();
        services.AddSingleton<RequestAuthenticator>();
        services.AddSingleton<IWriteAdmission, RbacEscalationCheck>();
        services.AddSingleton<BindingHandler>();
        services.AddSingleton<OpenShiftAuthorizationEndpoints>();
        services.AddSingleton<ResourceHandlers>();
        services.AddSingleton<ResourceRegistry>();
        services.AddSingleton<ListHandlers>();
        services.AddHostedService<ServiceAccountsController>();
        services.AddHostedService<ClusterRoleAggregation>();
        services.AddHostedService<CoreControllers>();
        services.AddHostedService<GarbageCollector>();
        return services;
    }

    /// <summary>
    /// What a new cluster has before its first request: the system namespaces, the default RBAC policy and the default
    /// service accounts (each created only when missing).
    /// </summary>
    public static async Task EnsureStartStateAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var registry = services.GetRequiredService<ResourceRegistry>();
        var store = services.GetRequiredService<ObjectStore>();
        await CoreControllers.EnsureSystemNamespacesAsync(registry, cancellationToken);
        await BootstrapPolicy.EnsureAsync(registry, store, cancellationToken);
        await ServiceAccountsController.EnsureDefaultAccountsAsync(store, registry, cancellationToken);
    }

    public static IEndpointRouteBuilder MapKubernetesApi(this IEndpointRouteBuilder app)
    {
        app.MapVersion();
        app.MapDiscovery();
        app.MapAccessReviews();
        app.MapTokenRequests();
        app.MapIssuerDiscovery();
        app.MapKubernetesOpenApi();
        BindingHandler.MapBindings(app);
        app.MapCoreSubresources();
        OpenShiftAuthorizationEndpoints.Map(app);
        OpenShiftReviewEndpoints.Map(app);
        app.MapKubernetesResources(app.ServiceProvider.GetRequiredService<ResourceCatalog>());
        return app;
    }
}
