using BindingServer.CloudFoundry;
using BindingServer.Kubernetes;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Authentication;
using BindingServer.Storage;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.Extensions.Options;

namespace BindingServer.Hosting.Tenants;

/// <summary>
/// A tenant's own service container: a second set of every service that holds or reads state (the store, the
/// authorizer, the token issuer, the handlers, the controllers, Cloud Controller's records and brokers, the journal and
/// the faults), registered by the same methods as the default tenant's, so a tenant cannot reach another's objects by
/// construction. What is the same for every tenant (configuration, the catalog, certificates, the clock, logging, the
/// HTTP client factory, the listener) is the server's own instance, passed through.
/// </summary>
public static class TenantServices
{
    /// <summary>The services passed through from the server to each tenant as they are.</summary>
    private static readonly Type[] Shared =
    [
        typeof(TimeProvider), typeof(ResourceCatalog), typeof(StoreKeyResolver), typeof(StaticTokens), typeof(ServerCertificates),
        typeof(IServer), typeof(IHostApplicationLifetime), typeof(IHttpClientFactory), typeof(ILoggerFactory),
    ];

    public static ServiceProvider Build(IServiceProvider server, TenantScope scope, StoreTemplate? template, bool validate = false)
    {
        var services = new ServiceCollection();
        foreach (var type in Shared)
        {
            services.AddSingleton(type, server.GetRequiredService(type));
        }

        services.AddSingleton(new ServerServices(server));
        services.AddSingleton(typeof(IOptions<>), typeof(ServerOptionsOf<>));
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));

        // A tenant lives in memory, whatever the server's own store is: it is made for a test and goes with it.
        var store = server.GetRequiredService<IOptions<StoreOptions>>().Value;
        services.AddSingleton(Options.Create(new StoreOptions
        {
            InMemory = true,
            RetainedRevisions = store.RetainedRevisions,
            WatchBufferSize = store.WatchBufferSize,
        }));
        services.AddSingleton(scope);
        if (template is not null)
        {
            services.AddSingleton(template);
        }

        services.AddObjectStoreState();
        services.AddKubernetesState();
        services.AddCloudFoundryState();
        services.AddAdminState();
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = validate, ValidateScopes = validate });
    }

    /// <summary>The server's root container, as a tenant's services see it.</summary>
    private sealed record ServerServices(IServiceProvider Services);

    /// <summary>The server's configured options, so a tenant obeys the same settings.</summary>
    private sealed class ServerOptionsOf<T>(ServerServices server) : IOptions<T>
        where T : class
    {
        public T Value { get; } = server.Services.GetRequiredService<IOptions<T>>().Value;
    }
}

/// <summary>Which tenant a tenant's services serve, and where: registered only in a tenant's container.</summary>
public sealed record TenantScope(string Id, string PathBase);
