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
    /// <summary>A request body's string field.</summary>
    private static string? Text(JsonObject body, string key) => body[key]?.GetValue<string>();

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
    private bool Sees(CfUser user, ServiceKeyRecord key) =>
        user.ReadsEverything || (store.Get<ServiceInstanceRecord>(key.ServiceInstanceGuid!) is { } instance &&
                                 CfRoles.IsDeveloper(user, store.Get<SpaceRecord>(instance.SpaceGuid!)));

    private bool SeesCredentials(CfUser user, ServiceKeyRecord key) =>
        store.Get<ServiceInstanceRecord>(key.ServiceInstanceGuid!) is { } instance && access.SeesCredentials(user, instance);

    private Task ListAsync(HttpContext context, string? instanceGuid)
    {
        var user = access.Reader(context);
        if (instanceGuid is not null)
        {
            var instance = store.Get<ServiceInstanceRecord>(instanceGuid) ?? throw CfApiException.ServiceInstanceNotFound(instanceGuid);
            if (!user.ReadsEverything && !CfRoles.IsDeveloper(user, store.Get<SpaceRecord>(instance.SpaceGuid!)))
            {
                throw CfApiException.NotAuthorized();
            }
        }

        var query = CfQuery.Parse(context.Request, ["name", "service_instance_guid"], refuseOrderBy: false);
        var items = store.List<ServiceKeyRecord>().Where(k => instanceGuid is null || k.ServiceInstanceGuid == instanceGuid)
            .Where(k => query.Matches(k.FilterValue)).Where(k => Sees(user, k)).ToList();
        return CfHttp.WriteAsync(context, 200, query.Envelope(items, context.Request.Path, k => present.Key(k, SeesCredentials(user, k))));
    }

    private ServiceKeyRecord VisibleKey(CfUser user, string guid) =>
        store.Get<ServiceKeyRecord>(guid) is { } key && Sees(user, key) ? key : throw NotFound(guid);

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
        var instance = store.Get<ServiceInstanceRecord>(instanceGuid) ?? throw CfApiException.ServiceInstanceNotFound(instanceGuid);
        var target = BrokerTarget.Of(store, instance);
        if (target is not null && !(target.Plan.Bindable ?? target.Service.Bindable ?? false))
        {
            throw NotSupported("This service doesn't support creation of keys.");
        }

        if (target is null)
        {
            throw NotSupported("Service keys are not supported for user-provided service instances.");
        }

        var (space, org) = access.SpacePlace(instance.SpaceGuid!);
        if (!CfRoles.IsDeveloper(user, space))
        {
            throw CfApiException.NotAuthorized();
        }

        CfRoles.CheckNotSuspended(user, org);
        var name = Text(body, "name")!;
        void CheckName()
        {
            if (store.List<ServiceKeyRecord>().Any(k => k.ServiceInstanceGuid == instanceGuid && k.Name == name))
            {
                throw new CfApiException(400, "ServiceKeyNameTaken", 360001, $"The service key name is taken: {name}");
            }
        }

        CheckName();
        if (instance.LastOperationState is "initial" or "in progress")
        {
            throw CfApiException.InstanceOperationInProgress(instance.Name!);
        }

        var guid = Guid.NewGuid().ToString();
        var outcome = await broker.BindAsync(target, guid, app: null, body["parameters"] as JsonObject, acceptsIncomplete: false, BrokerCaller.Of(context, user));
        var key = await store.CreateAsync(
            ServiceKeyRecord.New(name, instanceGuid, outcome.Asynchronous ? null : outcome.Body["credentials"]?.DeepClone() ?? new JsonObject()), CheckName, guid);
        await CfHttp.WriteAsync(context, 201, present.Key(key, showCredentials: true), $"/v2/service_keys/{guid}");
    }

    private async Task DeleteAsync(HttpContext context, string guid)
    {
        var user = access.Writer(context);
        var key = store.Get<ServiceKeyRecord>(guid) ?? throw NotFound(guid);
        var instance = store.Get<ServiceInstanceRecord>(key.ServiceInstanceGuid!);
        var (space, org) = instance is null ? (null, null) : access.SpacePlace(instance.SpaceGuid!);
        if (!CfRoles.IsDeveloper(user, space))
        {
            throw NotFound(guid);
        }

        CfRoles.CheckNotSuspended(user, org);
        if (instance?.LastOperationState is "initial" or "in progress")
        {
            throw CfApiException.InstanceOperationInProgress(instance.Name!);
        }

        await lifecycle.DeleteKeyAsync(key, BrokerCaller.Of(context, user));
        await CfHttp.WriteAsync(context, 204, null);
    }

    private async Task ParametersAsync(HttpContext context, string guid)
    {
        var user = access.Reader(context);
        var key = VisibleKey(user, guid);
        var target = BrokerTarget.OfInstance(store, key.ServiceInstanceGuid!);
        if (target?.Service.BindingsRetrievable?.GetValue<bool>() != true)
        {
            throw NotSupported("This service does not support fetching service key parameters.");
        }

        await CfHttp.WriteAsync(context, 200, await broker.FetchParametersAsync(target, guid, BrokerCaller.Of(context, user)));
    }
}
