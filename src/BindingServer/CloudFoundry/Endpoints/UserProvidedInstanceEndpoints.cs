using System.Text.Json.Nodes;
using BindingServer.CloudFoundry.Brokers;
using BindingServer.Documentation;

namespace BindingServer.CloudFoundry;

/// <summary><c>/v2/user_provided_service_instances</c>: instances whose credentials the user gives, with no broker behind them.</summary>
public sealed class UserProvidedInstanceEndpoints(CfStore store, CfPresenters present, CfAccess access, ServiceLifecycle lifecycle)
{
    private static readonly string[] UserProvidedFields = ["name", "credentials", "syslog_drain_url", "route_service_url", "tags"];

    private static string? Text(JsonObject record, string key) => record[key]?.GetValue<string>();

    public static void Map(RouteGroupBuilder v2)
    {
        v2.MapGet("/user_provided_service_instances", (HttpContext c, CfAccess a, CfPresenters p, CfStore s) =>
                a.ListAsync(c, CfStore.ServiceInstances, ["name", "space_guid"], (u, r) => p.Instance(r, a.SeesCredentials(u, r)), (_, r) => CfPresenters.IsUserProvided(r)))
            .WithMetadata(CloudFoundryApiDocs.List("user-provided service instances"));
        v2.MapPost("/user_provided_service_instances", (HttpContext c, UserProvidedInstanceEndpoints e) => e.CreateUserProvidedAsync(c))
            .WithMetadata(CloudFoundryApiDocs.Create("a user-provided service instance", JsonNode.Parse("""{"name":"my-db","space_guid":"<space guid>","credentials":{"uri":"mysql://db"}}""")!));
        v2.MapGet("/user_provided_service_instances/{guid}", (HttpContext c, CfAccess a, CfPresenters p, string guid) =>
                a.GetAsync(c, CfStore.ServiceInstances, guid, CfApiException.UserProvidedServiceInstanceNotFound, (u, r) => p.Instance(r, a.SeesCredentials(u, r)),
                    (_, r) => CfPresenters.IsUserProvided(r)))
            .WithMetadata(CloudFoundryApiDocs.Get("a user-provided service instance"));
        v2.MapPut("/user_provided_service_instances/{guid}", (HttpContext c, UserProvidedInstanceEndpoints e, string guid) => e.UpdateUserProvidedAsync(c, guid))
            .WithMetadata(CloudFoundryApiDocs.UpdateUserProvided);
        v2.MapDelete("/user_provided_service_instances/{guid}", (HttpContext c, ServiceLifecycle l, string guid) => l.DeleteInstanceAsync(c, guid, userProvided: true))
            .WithMetadata(CloudFoundryApiDocs.Delete("a user-provided service instance"));
    }

    private async Task CreateUserProvidedAsync(HttpContext context)
    {
        var user = access.Writer(context);
        var body = await CfHttp.ReadBodyAsync(context.Request);
        CfHttp.CheckFields(body, ("name", "String", true), ("space_guid", "String", true), ("credentials", "Hash", false),
            ("syslog_drain_url", "String", false), ("route_service_url", "String", false), ("tags", "Array", false));
        var spaceGuid = Text(body, "space_guid")!;
        if (!access.Exists(CfStore.Spaces, spaceGuid))
        {
            throw CfApiException.InvalidRelation($"Could not find Space with guid: {spaceGuid}");
        }

        var (space, org) = access.SpacePlace(spaceGuid);
        CfRoles.CheckMayChange(user, space, org);
        var name = Text(body, "name")!;
        var instance = await store.CreateAsync(CfStore.ServiceInstances, new JsonObject
        {
            ["type"] = "user_provided_service_instance",
            ["name"] = name,
            ["space_guid"] = spaceGuid,
            ["credentials"] = body["credentials"]?.DeepClone() ?? new JsonObject(),
            ["syslog_drain_url"] = Text(body, "syslog_drain_url") ?? "",
            ["route_service_url"] = Text(body, "route_service_url") ?? "",
            ["tags"] = body["tags"]?.DeepClone() ?? new JsonArray(),
        }, () => lifecycle.CheckInstanceName(spaceGuid, name));
        await CfHttp.WriteAsync(context, 201, present.Instance(instance), CfPresenters.InstanceUrl(instance));
    }

    /// <summary>
    /// PUT /v2/user_provided_service_instances/:guid: updates the instance and, in the same transaction, copies its
    /// credentials into every binding and a changed syslog drain URL too, as CC's credential propagation does.
    /// </summary>
    private async Task UpdateUserProvidedAsync(HttpContext context, string guid)
    {
        var user = access.Writer(context);
        var body = await CfHttp.ReadBodyAsync(context.Request);
        CfHttp.CheckFields(body, ("name", "String", false), ("space_guid", "String", false), ("credentials", "Hash", false),
            ("syslog_drain_url", "String", false), ("route_service_url", "String", false), ("tags", "Array", false));
        JsonObject? updated = null;
        await store.CommitAsync(() =>
        {
            var instance = store.Get(CfStore.ServiceInstances, guid);
            if (instance is null || !CfPresenters.IsUserProvided(instance))
            {
                throw CfApiException.UserProvidedServiceInstanceNotFound(guid);
            }

            var spaceGuid = Text(instance, "space_guid")!;
            var (space, org) = access.SpacePlace(spaceGuid);
            CfRoles.CheckMayChange(user, space, org);
            if (Text(body, "space_guid") is { } newSpace && newSpace != spaceGuid)
            {
                throw CfApiException.ServiceInstanceInvalid("cannot change space for service instance");
            }

            if (Text(body, "name") is { } name && name != Text(instance, "name"))
            {
                lifecycle.CheckInstanceName(spaceGuid, name);
            }

            var drainChanged = Text(body, "syslog_drain_url") is { } drain && drain != Text(instance, "syslog_drain_url");
            foreach (var field in UserProvidedFields)
            {
                if (body.ContainsKey(field) && body[field] is not null)
                {
                    instance[field] = body[field]!.DeepClone();
                }
            }

            updated = instance;
            var writes = new List<(string, string, JsonObject?)> { (CfStore.ServiceInstances, guid, instance) };
            foreach (var binding in store.List(CfStore.ServiceBindings).Where(b => Text(b, "service_instance_guid") == guid))
            {
                binding["credentials"] = instance["credentials"]?.DeepClone() ?? new JsonObject();
                if (drainChanged)
                {
                    binding["syslog_drain_url"] = instance["syslog_drain_url"]?.DeepClone();
                }

                writes.Add((CfStore.ServiceBindings, Text(binding, "guid")!, binding));
            }

            return writes;
        });
        await CfHttp.WriteAsync(context, 201, present.Instance(updated!));
    }
}
