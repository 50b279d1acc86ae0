using BindingServer.CloudFoundry.Brokers;
using BindingServer.Kubernetes;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Authorization;
using BindingServer.Storage;

namespace BindingServer.Hosting.Tenants;

/// <summary>
/// One isolated virtual cluster and Cloud Controller, served under <c>/tenants/{id}</c>: its own container of state
/// services (<see cref="TenantServices"/>), whose controllers run while the tenant lives.
/// </summary>
public sealed class Tenant : IAsyncDisposable
{
    public const string PathPrefix = "/tenants";

    private readonly List<IHostedService> _running = [];

    private Tenant(string id, DateTimeOffset created, ServiceProvider services)
    {
        Id = id;
        Created = created;
        Services = services;
        Has = services.GetRequiredService<IServiceProviderIsService>();
    }

    public string Id { get; }

    public string PathBase => PathOf(Id);

    public DateTimeOffset Created { get; }

    public ServiceProvider Services { get; }

    public IServiceProviderIsService Has { get; }

    public static string PathOf(string id) => $"{PathPrefix}/{id}";

    /// <summary>
    /// A running tenant whose store starts as a copy of <paramref name="template"/> (the start state), with its
    /// controllers started.
    /// </summary>
    public static async Task<Tenant> StartAsync(IServiceProvider server, string id, StoreTemplate template, CancellationToken cancellationToken)
    {
        var tenant = new Tenant(id, server.GetRequiredService<TimeProvider>().GetUtcNow(),
            TenantServices.Build(server, new TenantScope(id, PathOf(id)), template));
        try
        {
            tenant.Services.GetRequiredService<ObjectStore>();
            foreach (var service in tenant.Services.GetServices<IHostedService>())
            {
                await service.StartAsync(cancellationToken);
                tenant._running.Add(service);
            }

            return tenant;
        }
        catch
        {
            await tenant.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The start state every tenant copies, made once in a container of its own through the same create paths as the
    /// server's start state: the system namespaces, the bootstrap RBAC policy, the default service accounts, the
    /// default org and space and the built-in broker.
    /// </summary>
    public static async Task<StoreTemplate> MakeTemplateAsync(IServiceProvider server, CancellationToken cancellationToken)
    {
        await using var services = TenantServices.Build(server, new TenantScope("", PathPrefix), template: null);
        var clock = server.GetRequiredService<TimeProvider>();
        var since = clock.GetUtcNow();
        var store = services.GetRequiredService<ObjectStore>();
        await KubernetesApi.EnsureStartStateAsync(services, cancellationToken);
        await services.GetRequiredService<BrokerRegistry>().SeedAsync();
        await ClusterRoleAggregation.SyncAsync(store, services.GetRequiredService<ResourceRegistry>(), cancellationToken);
        return StoreTemplate.From(store, clock, since);
    }

    /// <summary>Stops the controllers and frees the store; its watches end as the store closes.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var service in Enumerable.Reverse(_running))
        {
            await service.StopAsync(CancellationToken.None);
        }

        await Services.DisposeAsync();
    }
}
