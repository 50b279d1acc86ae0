namespace BindingServer.Storage;

public static class ObjectStoreServices
{
    /// <summary>The one revisioned store every API family keeps its objects in, under the given key prefixes.</summary>
    public static IServiceCollection AddObjectStore(this IServiceCollection services, IConfiguration configuration, IEnumerable<string> keyPrefixes)
    {
        services.Configure<StoreOptions>(configuration.GetSection(StoreOptions.Section));
        services.PostConfigure<StoreOptions>(store => store.ConnectionString = configuration.GetConnectionString("BindingServer") ?? "");
        services.AddSingleton(new StoreKeyResolver(keyPrefixes));
        return services.AddObjectStoreState();
    }

    /// <summary>The store itself: one per tenant (see <c>Hosting/Tenants</c>).</summary>
    public static IServiceCollection AddObjectStoreState(this IServiceCollection services) => services.AddSingleton<ObjectStore>();
}
