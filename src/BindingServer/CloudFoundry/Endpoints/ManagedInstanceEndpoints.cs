using System.Text.Json.Nodes;
using BindingServer.CloudFoundry.Brokers;
using BindingServer.Documentation;

namespace BindingServer.CloudFoundry;

/// <summary>
/// <c>/v2/service_instances</c>: managed instances, provisioned, updated and deprovisioned by their broker, synchronously
/// or (when the client sends <c>accepts_incomplete=true</c> and the broker answers 202) through polling.
/// </summary>
public sealed class ManagedInstanceEndpoints(CfStore store, CfPresenters present, CfAccess access, ServiceLifecycle lifecycle, BrokerOperations broker,
    BrokerPoller poller, PlanVisibility visibility)
{
    /// <summary>A request body's string field.</summary>
    private static string? Text(JsonObject body, string key) => body[key]?.GetValue<string>();

    public static void Map(RouteGroupBuilder v2)
    {
        v2.MapGet("/service_instances", (HttpContext c, CfAccess a, CfPresenters p) =>
                a.ListAsync<ServiceInstanceRecord>(c, ["name", "space_guid", "service_plan_guid"], (u, r) => p.Instance(r, a.SeesCredentials(u, r)),
                    (_, r) => !r.IsUserProvided))
            .WithMetadata(CloudFoundryApiDocs.List("managed service instances"));
        v2.MapPost("/service_instances", (HttpContext c, ManagedInstanceEndpoints e) => e.CreateAsync(c))
            .WithMetadata(CloudFoundryApiDocs.Create("a managed service instance",
                JsonNode.Parse("""{"name":"my-db","space_guid":"<space guid>","service_plan_guid":"<plan guid>"}""")!));
        v2.MapGet("/service_instances/{guid}", (HttpContext c, CfAccess a, CfPresenters p, string guid) =>
                a.GetAsync<ServiceInstanceRecord>(c, guid, CfApiException.ServiceInstanceNotFound, (u, r) => p.Instance(r, a.SeesCredentials(u, r))))
            .WithMetadata(CloudFoundryApiDocs.Get("a service instance (either kind)"));
        v2.MapPut("/service_instances/{guid}", (HttpContext c, ManagedInstanceEndpoints e, string guid) => e.UpdateAsync(c, guid))
            .WithMetadata(CloudFoundryApiDocs.UpdateManaged);
        v2.MapDelete("/service_instances/{guid}", (HttpContext c, ServiceLifecycle l, string guid) => l.DeleteInstanceAsync(c, guid, userProvided: false))
            .WithMetadata(CloudFoundryApiDocs.Delete("a managed service instance"));
    }

    private async Task CreateAsync(HttpContext context)
    {
        var user = access.Writer(context);
        var body = await CfHttp.ReadBodyAsync(context.Request);
        CfHttp.CheckFields(body, ("name", "String", true), ("space_guid", "String", true), ("service_plan_guid", "String", true),
            ("parameters", "Hash", false), ("tags", "Array", false));
        var acceptsIncomplete = CfAccess.AcceptsIncomplete(context.Request);
        var spaceGuid = Text(body, "space_guid")!;
        var plan = store.Get<ServicePlanRecord>(Text(body, "service_plan_guid")!) ?? throw CfApiException.ServiceInstanceInvalid("not a valid service plan");
        if (!access.Exists<SpaceRecord>(spaceGuid))
        {
            throw CfApiException.ServiceInstanceInvalid("not a valid space");
        }

        var (space, org) = access.SpacePlace(spaceGuid);
        CfRoles.CheckMayChange(user, space, org);
        if (!visibility.Sees(user, plan))
        {
            throw CfApiException.NotAuthorized();
        }

        var name = Text(body, "name")!;
        lifecycle.CheckInstanceName(spaceGuid, name);
        visibility.CheckAvailableIn(plan, org!.Guid);
        var record = ServiceInstanceRecord.NewManaged(name, spaceGuid, plan.Guid, body["tags"]?.DeepClone() ?? new JsonArray(),
            store.Operation("create", "in progress"));
        var guid = Guid.NewGuid().ToString();
        record.Guid = guid;
        var target = BrokerTarget.Of(store, record) ?? throw CfApiException.ServiceInstanceInvalid("not a valid service plan");
        var caller = BrokerCaller.Of(context, user);
        var outcome = await broker.ProvisionAsync(target, body["parameters"] as JsonObject, acceptsIncomplete, caller);
        if (outcome.Asynchronous && !acceptsIncomplete)
        {
            await broker.MitigateOrphanInstanceAsync(target, caller);
            throw CfApiException.AsyncNotAllowed();
        }

        record.DashboardUrl = outcome.Body["dashboard_url"]?.DeepClone();
        if (outcome.Asynchronous)
        {
            record.BrokerOperation = outcome.Operation;
        }
        else
        {
            record.SetOperationState("succeeded");
        }

        var instance = await store.CreateAsync(record, () => lifecycle.CheckInstanceName(spaceGuid, name), guid);
        if (outcome.Asynchronous)
        {
            poller.Wake();
        }

        await CfHttp.WriteAsync(context, outcome.Asynchronous ? 202 : 201, present.Instance(instance), CfPresenters.InstanceUrl(instance));
    }

    /// <summary>
    /// PUT /v2/service_instances/:guid: a new name or tags are CC's own; a new plan or parameters go to the broker
    /// (which must allow plan changes), and an asynchronous update applies the new plan once the broker finishes.
    /// </summary>
    private async Task UpdateAsync(HttpContext context, string guid)
    {
        var user = access.Writer(context);
        var body = await CfHttp.ReadBodyAsync(context.Request);
        CfHttp.CheckFields(body, ("name", "String", false), ("space_guid", "String", false), ("service_plan_guid", "String", false),
            ("parameters", "Hash", false), ("tags", "Array", false));
        var acceptsIncomplete = CfAccess.AcceptsIncomplete(context.Request);
        var instance = store.Get<ServiceInstanceRecord>(guid) ?? throw CfApiException.ServiceInstanceNotFound(guid);
        if (instance.IsUserProvided)
        {
            throw new CfApiException(400, "UserProvidedServiceInstanceHandlerNeeded", 340002, "Please use the User Provided Services API to manage this resource.");
        }

        var spaceGuid = instance.SpaceGuid!;
        var (space, org) = access.SpacePlace(spaceGuid);
        CfRoles.CheckMayChange(user, space, org);
        if (Text(body, "space_guid") is { } newSpace && newSpace != spaceGuid)
        {
            throw new CfApiException(400, "ServiceInstanceSpaceChangeNotAllowed", 60014, "Cannot update space for service instance.");
        }

        var target = BrokerTarget.Of(store, instance) ?? throw CfApiException.ServiceInstanceNotFound(guid);
        var newPlan = target.Plan;
        if (Text(body, "service_plan_guid") is { } planGuid && planGuid != target.Plan.Guid)
        {
            if (target.Service.PlanUpdateable?.GetValue<bool>() != true)
            {
                throw new CfApiException(400, "ServicePlanNotUpdateable", 110004, "The service does not support changing plans.");
            }

            newPlan = store.Get<ServicePlanRecord>(planGuid) is { } found && found.ServiceGuid == target.Service.Guid
                ? found
                : throw CfApiException.InvalidRelation("Plan");
        }

        if (instance.LastOperationState == "in progress")
        {
            throw CfApiException.InstanceOperationInProgress(instance.Name!);
        }

        if (Text(body, "name") is { } name && name != instance.Name)
        {
            lifecycle.CheckInstanceName(spaceGuid, name);
        }

        var parameters = body["parameters"] as JsonObject;
        var asynchronous = false;
        string? operation = null;
        if (!ReferenceEquals(newPlan, target.Plan) || parameters is not null)
        {
            BrokerOutcome outcome;
            try
            {
                outcome = await broker.UpdateAsync(target, newPlan, parameters, acceptsIncomplete, BrokerCaller.Of(context, user));
            }
            catch (CfApiException error)
            {
                await lifecycle.FailAsync(guid, "update", error.Description);
                throw;
            }

            if (outcome.Asynchronous && !acceptsIncomplete)
            {
                throw CfApiException.AsyncNotAllowed();
            }

            asynchronous = outcome.Asynchronous;
            operation = outcome.Operation;
        }

        var updated = await store.UpdateAsync<ServiceInstanceRecord>(guid, record =>
        {
            record.Name = Text(body, "name") ?? record.Name;
            record.Tags = body["tags"]?.DeepClone() ?? record.Tags?.DeepClone();
            record.LastOperation = store.Operation("update", asynchronous ? "in progress" : "succeeded");
            if (asynchronous)
            {
                record.PendingPlanGuid = newPlan.Guid;
                record.BrokerOperation = operation;
            }
            else
            {
                record.ServicePlanGuid = newPlan.Guid;
            }
        }) ?? throw CfApiException.ServiceInstanceNotFound(guid);
        if (asynchronous)
        {
            poller.Wake();
        }

        await CfHttp.WriteAsync(context, asynchronous ? 202 : 201, present.Instance(updated), asynchronous ? CfPresenters.InstanceUrl(updated) : null);
    }
}
