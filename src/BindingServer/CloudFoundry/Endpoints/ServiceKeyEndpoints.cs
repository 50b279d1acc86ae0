using System.Text.Json.Nodes;
using BindingServer.CloudFoundry.Brokers;
using BindingServer.Documentation;

namespace BindingServer.CloudFoundry;

/// <summary>
/// <c>/v2/service_keys</c>: credentials for a managed instance with no app, made by a synchronous broker bind whose
/// <c>bind_resource</c> is empty. Keys are seen only by the instance space's developers (and global readers); anyone
/// else is told the key does not exist.
/// </summary>
public sealed class ServiceKeyEndpoints(CfStore store, CfPresenters present, CfAccess access, BrokerOperations broker, ServiceLifecycle lifecycle)
{
    private static string? Text(JsonObject record, string key) => record[key]?.GetValue<string>();

    private static CfApiException NotFound(string guid) => new(404, "ServiceKeyNotFound", 360003, $"The service key could not be found: {guid}");

    private static CfApiException NotSupported(string detail) => new(400, "ServiceKeyNotSupported", 360004, detail);

    public static void Map(RouteGroupBuilder v2)
    {
        v2.MapGet("/service_keys", (HttpContext c, ServiceKeyEndpoints e) => e.ListAsync(c, null))
            .WithMetadata(CloudFoundryApiDocs.List("service keys"));
        v2.MapPost("/service_keys", (HttpContext c, ServiceKeyEndpoints e) => e.CreateAsync(c))
            .WithMetadata(CloudFoundryApiDocs.Create("a service key", JsonNode.Parse("""{"name":"my-key","service_instance_guid":"<instance guid>"}""")!));
        v2.MapGet("/service_keys/{guid}", (HttpContext c, ServiceKeyEndpoints e, string guid) => e.GetAsync(c, guid))
            .WithMetadata(CloudFoundryApiDocs.Get("a service key"));
        v2.MapDelete("/service_keys/{guid}", (HttpContext c, ServiceKeyEndpoints e, string guid) => e.DeleteAsync(c, guid))
            .WithMetadata(CloudFoundryApiDocs.Delete("a service key"));
        v2.MapGet("/service_keys/{guid}/parameters", (HttpContext c, ServiceKeyEndpoints e, string guid) => e.ParametersAsync(c, guid))
            .WithMetadata(CloudFoundryApiDocs.KeyParameters);
        v2.MapGet("/service_instances/{guid}/service_keys", (HttpContext c, ServiceKeyEndpoints e, string guid) => e.ListAsync(c, guid))
            .WithMetadata(CloudFoundryApiDocs.List("an instance's service keys"));
    }

    /// <summary>A key is for the developers of its instance's space, admins and global readers.</summary>
    private bool Sees(CfUser user, JsonObject key) =>
        user.ReadsEverything || (store.Get(CfStore.ServiceInstances, Text(key, "service_instance_guid")!) is { } instance &&
                                 CfRoles.IsDeveloper(user, store.Get(CfStore.Spaces, Text(instance, "space_guid")!)));

    private bool SeesCredentials(CfUser user, JsonObject key) =>
        store.Get(CfStore.ServiceInstances, Text(key, "service_instance_guid")!) is { } instance && access.SeesCredentials(user, instance);

    private Task ListAsync(HttpContext context, string? instanceGuid)
    {
        var user = access.Reader(context);
        if (instanceGuid is not null)
        {
            var instance = store.Get(CfStore.ServiceInstances, instanceGuid) ?? throw CfApiException.ServiceInstanceNotFound(instanceGuid);
            if (!user.ReadsEverything && !CfRoles.IsDeveloper(user, store.Get(CfStore.Spaces, Text(instance, "space_guid")!)))
            {
                throw CfApiException.NotAuthorized();
            }
        }

        var query = CfQuery.Parse(context.Request, ["name", "service_instance_guid"], refuseOrderBy: false);
        var items = store.List(CfStore.ServiceKeys).Where(k => instanceGuid is null || Text(k, "service_instance_guid") == instanceGuid)
            .Where(k => query.Matches(f => Text(k, f))).Where(k => Sees(user, k)).ToList();
        return CfHttp.WriteAsync(context, 200, query.Envelope(items, context.Request.Path, k => present.Key(k, SeesCredentials(user, k))));
    }

    private JsonObject VisibleKey(CfUser user, string guid) =>
        store.Get(CfStore.ServiceKeys, guid) is { } key && Sees(user, key) ? key : throw NotFound(guid);

    private Task GetAsync(HttpContext context, string guid)
    {
        var user = access.Reader(context);
        var key = VisibleKey(user, guid);
        return CfHttp.WriteAsync(context, 200, present.Key(key, SeesCredentials(user, key)));
    }

    /// <summary>POST /v2/service_keys in CC's order: body, instance, bindability, kind, access, name, lock, broker.</summary>
    private async Task CreateAsync(HttpContext context)
    {
        var user = access.Writer(context);
        var body = await CfHttp.ReadBodyAsync(context.Request);
        CfHttp.CheckFields(body, ("service_instance_guid", "String", true), ("name", "String", true), ("parameters", "Hash", false));
        var instanceGuid = Text(body, "service_instance_guid")!;
        var instance = store.Get(CfStore.ServiceInstances, instanceGuid) ?? throw CfApiException.ServiceInstanceNotFound(instanceGuid);
        var target = BrokerTarget.Of(store, instance);
        if (target is not null && !(target.Plan["bindable"]?.GetValue<bool?>() ?? target.Service["bindable"]?.GetValue<bool>() ?? false))
        {
            throw NotSupported("This service doesn't support creation of keys.");
        }

        if (target is null)
        {
            throw NotSupported("Service keys are not supported for user-provided service instances.");
        }

        var (space, org) = access.SpacePlace(Text(instance, "space_guid")!);
        if (!CfRoles.IsDeveloper(user, space))
        {
            throw CfApiException.NotAuthorized();
        }

        CfRoles.CheckNotSuspended(user, org);
        var name = Text(body, "name")!;
        void CheckName()
        {
            if (store.List(CfStore.ServiceKeys).Any(k => Text(k, "service_instance_guid") == instanceGuid && Text(k, "name") == name))
            {
                throw new CfApiException(400, "ServiceKeyNameTaken", 360001, $"The service key name is taken: {name}");
            }
        }

        CheckName();
        if (instance["last_operation"]?["state"]?.GetValue<string>() is "initial" or "in progress")
        {
            throw CfApiException.InstanceOperationInProgress(Text(instance, "name")!);
        }

        var guid = Guid.NewGuid().ToString();
        var outcome = await broker.BindAsync(target, guid, app: null, body["parameters"] as JsonObject, acceptsIncomplete: false, BrokerCaller.Of(context, user));
        var key = await store.CreateAsync(CfStore.ServiceKeys, new JsonObject
        {
            ["name"] = name,
            ["service_instance_guid"] = instanceGuid,
            ["credentials"] = outcome.Asynchronous ? null : outcome.Body["credentials"]?.DeepClone() ?? new JsonObject(),
        }, CheckName, guid);
        await CfHttp.WriteAsync(context, 201, present.Key(key, showCredentials: true), $"/v2/service_keys/{guid}");
    }

    private async Task DeleteAsync(HttpContext context, string guid)
    {
        var user = access.Writer(context);
        var key = store.Get(CfStore.ServiceKeys, guid) ?? throw NotFound(guid);
        var instance = store.Get(CfStore.ServiceInstances, Text(key, "service_instance_guid")!);
        var (space, org) = instance is null ? (null, null) : access.SpacePlace(Text(instance, "space_guid")!);
        if (!CfRoles.IsDeveloper(user, space))
        {
            throw NotFound(guid);
        }

        CfRoles.CheckNotSuspended(user, org);
        if (instance?["last_operation"]?["state"]?.GetValue<string>() is "initial" or "in progress")
        {
            throw CfApiException.InstanceOperationInProgress(Text(instance, "name")!);
        }

        await lifecycle.DeleteKeyAsync(key, BrokerCaller.Of(context, user));
        await CfHttp.WriteAsync(context, 204, null);
    }

    private async Task ParametersAsync(HttpContext context, string guid)
    {
        var user = access.Reader(context);
        var key = VisibleKey(user, guid);
        var target = BrokerTarget.OfInstance(store, Text(key, "service_instance_guid")!);
        if (target?.Service["bindings_retrievable"]?.GetValue<bool>() != true)
        {
            throw NotSupported("This service does not support fetching service key parameters.");
        }

        await CfHttp.WriteAsync(context, 200, await broker.FetchParametersAsync(target, guid, BrokerCaller.Of(context, user)));
    }
}
