using Microsoft.Extensions.Options;

namespace BindingServer.Storage;

/// <summary>
/// On a shared store, every request first brings this replica up to the database's revision, as the apiserver serves
/// consistent reads from its watch cache only once the cache has caught up: a create answered by one replica is then
/// seen by the next request to any other, and the authorizer decides from the bindings as they are now.
/// </summary>
public static class ConsistentReads
{
    public static IApplicationBuilder UseConsistentReads(this IApplicationBuilder app)
    {
        if (!app.ApplicationServices.GetRequiredService<IOptions<StoreOptions>>().Value.UsesPostgres)
        {
            return app;
        }

        // The request's own store: a tenant's, or the shared one (a tenant's store is in memory and never behind).
        return app.Use(async (context, next) =>
        {
            await context.RequestServices.GetRequiredService<ObjectStore>().SyncAsync(context.RequestAborted);
            await next(context);
        });
    }
}
