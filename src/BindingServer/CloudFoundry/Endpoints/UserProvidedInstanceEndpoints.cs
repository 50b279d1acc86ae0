using System.Text.Json.Nodes;
using BindingServer.CloudFoundry.Brokers;
using BindingServer.Documentation;

namespace BindingServer.CloudFoundry;

/// <summary><c>/v2/user_provided_service_instances</c>: instances whose credentials the user gives, with no broker behind them.</summary>
public sealed class UserProvidedInstanceEndpoints(CfStore store, CfPresenters present, CfAccess access, ServiceLifecycle lifecycle)
{
    /// <summary>A request body's string field.</summary>
    private static string? Text(JsonObject body, string key) => body[key]?.GetValue<string>();

    public static void Map(RouteGroupBuilder v2)
    {
        v2.MapGet("/user_provided_service_instances", (HttpContext c, CfAccess a, CfPresenters p, CfStore s) =>
                a.ListAsync<ServiceInstanceRecord>(c, ["name", "space_guid"], (u, r) => p.Instance(r, a.SeesCredentials(u, r)), (_, r) => r.IsUserProvided))
            .WithMetadata(CloudFoundryApiDocs.List("user-provided service instances"));
        v2.MapPost("/user_provided_service_instances", (HttpContext c, UserProvidedInstanceEndpoints e) => e.CreateUserProvidedAsync(c))
            .WithMetadata(CloudFoundryApiDocs.Create("a user-provided service instance", JsonNode.Parse("""{"name":"my-db","space_guid":"<space guid>","credentials":{"uri":"mysql://db"}}""")!));
        v2.MapGet("/user_provided_service_instances/{guid}", (HttpContext c, CfAccess a, CfPresenters p, string guid) =>
                a.GetAsync<ServiceInstanceRecord>(c, guid, CfApiException.UserProvidedServiceInstanceNotFound, (u, r) => p.Instance(r, a.SeesCredentials(u, r)),
                    (_, r) => r.IsUserProvided))
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
        if (!access.Exists<SpaceRecord>(spaceGuid))
        {
            throw CfApiException.InvalidRelation($"Could not find Space with guid: {spaceGuid}");
        }

        var (space, org) = access.SpacePlace(spaceGuid);
        CfRoles.CheckMayChange(user, space, org);
        var name = Text(body, "name")!;
        var instance = await store.CreateAsync(ServiceInstanceRecord.NewUserProvided(name, spaceGuid, body["credentials"]?.DeepClone() ?? new JsonObject(),
            Text(body, "syslog_drain_url") ?? "", Text(body, "route_service_url") ?? "", body["tags"]?.DeepClone() ?? new JsonArray()),
            () => lifecycle.CheckInstanceName(spaceGuid, name));
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
        ServiceInstanceRecord? updated = null;
        await store.CommitAsync(() =>
        {
            var instance = store.Get<ServiceInstanceRecord>(guid);
            if (instance is null || !instance.IsUserProvided)
            {
                throw CfApiException.UserProvidedServiceInstanceNotFound(guid);
            }

            var spaceGuid = instance.SpaceGuid!;
            var (space, org) = access.SpacePlace(spaceGuid);
            CfRoles.CheckMayChange(user, space, org);
            if (Text(body, "space_guid") is { } newSpace && newSpace != spaceGuid)
            {
                throw CfApiException.ServiceInstanceInvalid("cannot change space for service instance");
            }

            if (Text(body, "name") is { } name && name != instance.Name)
            {
                lifecycle.CheckInstanceName(spaceGuid, name);
            }

            var drainChanged = Text(body, "syslog_drain_url") is { } drain && drain != instance.SyslogDrainUrlText;
            foreach (var field in ServiceInstanceRecord.UserProvidedFields)
            {
                if (body.ContainsKey(field) && body[field] is not null)
                {
                    instance.SetUserProvidedField(field, body[field]!.DeepClone());
                }
            }

            updated = instance;
            var writes = new List<(string, string, JsonObject?)> { CfStore.Write(instance) };
            foreach (var binding in store.List<ServiceBindingRecord>().Where(b => b.ServiceInstanceGuid == guid))
            {
                binding.Credentials = instance.Credentials?.DeepClone() ?? new JsonObject();
                if (drainChanged)
                {
                    binding.SyslogDrainUrl = instance.SyslogDrainUrl?.DeepClone();
                }

                writes.Add(CfStore.Write(binding));
            }

            return writes;
        });
        await CfHttp.WriteAsync(context, 201, present.Instance(updated!));
    }
}
