using System.Text.Json.Nodes;
using BindingServer.CloudFoundry.Brokers;
using BindingServer.Documentation;

namespace BindingServer.CloudFoundry;

/// <summary>
/// <c>/v2/services</c>, <c>/v2/service_plans</c> and <c>/v2/service_plan_visibilities</c>: the catalog brokers bring,
/// seen through plan visibility; plans start private, and admins make them public or visible to single orgs.
/// </summary>
public sealed class ServiceCatalogEndpoints(CfStore store, CfPresenters present, CfAccess access, PlanVisibility visibility)
{
    /// <summary>A request body's string field.</summary>
    private static string? Text(JsonObject body, string key) => body[key]?.GetValue<string>();

    public static CfApiException ServiceNotFound(string guid) => new(404, "ServiceNotFound", 120003, $"The service could not be found: {guid}");

    public static CfApiException PlanNotFound(string guid) => new(404, "ServicePlanNotFound", 110003, $"The service plan could not be found: {guid}");

    private static CfApiException VisibilityNotFound(string guid) =>
        new(404, "ServicePlanVisibilityNotFound", 260003, $"The service plan visibility could not be found: {guid}");

    public static void Map(RouteGroupBuilder v2)
    {
        v2.MapGet("/services", (HttpContext c, ServiceCatalogEndpoints e) => e.ListServicesAsync(c, null))
            .WithMetadata(CloudFoundryApiDocs.List("services"));
        v2.MapGet("/services/{guid}", (HttpContext c, ServiceCatalogEndpoints e, string guid) => e.GetAsync<ServiceRecord>(c, guid, ServiceNotFound))
            .WithMetadata(CloudFoundryApiDocs.Get("a service"));
        v2.MapGet("/services/{guid}/service_plans", (HttpContext c, ServiceCatalogEndpoints e, string guid) => e.ListPlansOfServiceAsync(c, guid))
            .WithMetadata(CloudFoundryApiDocs.List("a service's plans"));
        v2.MapGet("/service_plans", (HttpContext c, ServiceCatalogEndpoints e) => e.ListPlansAsync(c, _ => true))
            .WithMetadata(CloudFoundryApiDocs.List("service plans"));
        v2.MapGet("/service_plans/{guid}", (HttpContext c, ServiceCatalogEndpoints e, string guid) => e.GetAsync<ServicePlanRecord>(c, guid, PlanNotFound))
            .WithMetadata(CloudFoundryApiDocs.Get("a service plan"));
        v2.MapPut("/service_plans/{guid}", (HttpContext c, ServiceCatalogEndpoints e, string guid) => e.UpdatePlanAsync(c, guid))
            .WithMetadata(CloudFoundryApiDocs.UpdatePlan);

        v2.MapGet("/service_plan_visibilities", (HttpContext c, ServiceCatalogEndpoints e) => e.ListVisibilitiesAsync(c))
            .WithMetadata(CloudFoundryApiDocs.List("service plan visibilities"));
        v2.MapPost("/service_plan_visibilities", (HttpContext c, ServiceCatalogEndpoints e) => e.CreateVisibilityAsync(c))
            .WithMetadata(CloudFoundryApiDocs.Create("a service plan visibility", JsonNode.Parse("""{"service_plan_guid":"<plan guid>","organization_guid":"<org guid>"}""")!));
        v2.MapGet("/service_plan_visibilities/{guid}", (HttpContext c, ServiceCatalogEndpoints e, string guid) => e.GetVisibilityAsync(c, guid))
            .WithMetadata(CloudFoundryApiDocs.Get("a service plan visibility"));
        v2.MapDelete("/service_plan_visibilities/{guid}", (HttpContext c, ServiceCatalogEndpoints e, string guid) => e.DeleteVisibilityAsync(c, guid))
            .WithMetadata(CloudFoundryApiDocs.Delete("a service plan visibility"));
    }

    private bool Sees(CfUser user, CfRecord record) =>
        record is ServiceRecord service ? visibility.SeesService(user, service) : visibility.Sees(user, (ServicePlanRecord)record);

    private JsonObject Render(CfRecord record) => record is ServiceRecord service ? present.Service(service) : present.Plan((ServicePlanRecord)record);

    private Task ListServicesAsync(HttpContext context, string? brokerGuid)
    {
        var user = access.Reader(context);
        var query = CfQuery.Parse(context.Request, ["active", "label", "provider", "service_broker_guid", "unique_id"], refuseOrderBy: false);
        var items = store.List<ServiceRecord>().Where(s => brokerGuid is null || s.ServiceBrokerGuid == brokerGuid)
            .Where(s => query.Matches(s.FilterText)).Where(s => visibility.SeesService(user, s)).ToList();
        return CfHttp.WriteAsync(context, 200, query.Envelope(items, context.Request.Path, present.Service));
    }

    private Task ListPlansAsync(HttpContext context, Func<ServicePlanRecord, bool> include)
    {
        var user = access.Reader(context);
        var query = CfQuery.Parse(context.Request, ["active", "service_guid", "service_instance_guid", "service_broker_guid", "unique_id"], refuseOrderBy: false);
        var items = store.List<ServicePlanRecord>().Where(include).Where(p => query.Matches(k => PlanField(p, k))).Where(p => visibility.Sees(user, p)).ToList();
        return CfHttp.WriteAsync(context, 200, query.Envelope(items, context.Request.Path, present.Plan));
    }

    private string? PlanField(ServicePlanRecord plan, string key) => key switch
    {
        "service_broker_guid" => store.Get<ServiceRecord>(plan.ServiceGuid!) is { } service ? service.ServiceBrokerGuid : null,
        "service_instance_guid" => store.List<ServiceInstanceRecord>().FirstOrDefault(i => i.ServicePlanGuid == plan.Guid) is { } instance
            ? instance.Guid
            : null,
        _ => plan.FilterText(key),
    };

    private Task ListPlansOfServiceAsync(HttpContext context, string guid)
    {
        var user = access.Reader(context);
        var service = store.Get<ServiceRecord>(guid) ?? throw ServiceNotFound(guid);
        return visibility.SeesService(user, service) ? ListPlansAsync(context, p => p.ServiceGuid == guid) : throw CfApiException.NotAuthorized();
    }

    private Task GetAsync<T>(HttpContext context, string guid, Func<string, CfApiException> notFound) where T : CfRecord, ICfRecord<T>
    {
        var user = access.Reader(context);
        var record = store.Get<T>(guid) ?? throw notFound(guid);
        return Sees(user, record) ? CfHttp.WriteAsync(context, 200, Render(record)) : throw CfApiException.NotAuthorized();
    }

    /// <summary>PUT /v2/service_plans/:guid: admins only, and only <c>public</c> is read; CC answers 201 without a Location.</summary>
    private async Task UpdatePlanAsync(HttpContext context, string guid)
    {
        var user = access.Anyone(context);
        var body = await CfHttp.ReadBodyAsync(context.Request);
        CfHttp.CheckFields(body, ("public", "Bool", false));
        _ = store.Get<ServicePlanRecord>(guid) ?? throw PlanNotFound(guid);
        if (!user.IsAdmin)
        {
            throw CfApiException.NotAuthorized();
        }

        var updated = await store.UpdateAsync<ServicePlanRecord>(guid, plan =>
        {
            if (body["public"] is JsonValue isPublic)
            {
                plan.Public = isPublic.GetValue<bool>();
            }
        }) ?? throw PlanNotFound(guid);
        await CfHttp.WriteAsync(context, 201, present.Plan(updated));
    }

    private CfUser Admin(HttpContext context)
    {
        var user = access.Anyone(context);
        return user.IsAdmin ? user : throw CfApiException.NotAuthorized();
    }

    private Task ListVisibilitiesAsync(HttpContext context)
    {
        var user = access.Reader(context);
        if (!user.ReadsEverything)
        {
            throw CfApiException.NotAuthorized();
        }

        var query = CfQuery.Parse(context.Request, ["organization_guid", "service_plan_guid"], refuseOrderBy: false);
        var items = store.List<ServicePlanVisibilityRecord>().Where(v => query.Matches(v.FilterValue)).ToList();
        return CfHttp.WriteAsync(context, 200, query.Envelope(items, context.Request.Path, present.Visibility));
    }

    private Task GetVisibilityAsync(HttpContext context, string guid)
    {
        var user = access.Reader(context);
        var record = store.Get<ServicePlanVisibilityRecord>(guid) ?? throw VisibilityNotFound(guid);
        return user.ReadsEverything ? CfHttp.WriteAsync(context, 200, present.Visibility(record)) : throw CfApiException.NotAuthorized();
    }

    private async Task CreateVisibilityAsync(HttpContext context)
    {
        Admin(context);
        var body = await CfHttp.ReadBodyAsync(context.Request);
        CfHttp.CheckFields(body, ("service_plan_guid", "String", true), ("organization_guid", "String", true));
        var planGuid = Text(body, "service_plan_guid")!;
        var orgGuid = Text(body, "organization_guid")!;
        var plan = store.Get<ServicePlanRecord>(planGuid) ?? throw CfApiException.InvalidRelation($"Could not find ServicePlan with guid: {planGuid}");
        if (!access.Exists<OrganizationRecord>(orgGuid))
        {
            throw CfApiException.InvalidRelation($"Could not find Organization with guid: {orgGuid}");
        }

        if (plan.Public == true)
        {
            throw new CfApiException(400, "ServicePlanVisibilityInvalid", 260001, "Service Plan Visibility is invalid: service_plan is publicly available");
        }

        var created = await store.CreateAsync(ServicePlanVisibilityRecord.New(planGuid, orgGuid), () =>
        {
            if (store.List<ServicePlanVisibilityRecord>().Any(v => v.ServicePlanGuid == planGuid && v.OrganizationGuid == orgGuid))
            {
                throw new CfApiException(400, "ServicePlanVisibilityAlreadyExists", 260002,
                    "This combination of ServicePlan and Organization is already taken: organization_id and service_plan_id unique");
            }
        });
        await CfHttp.WriteAsync(context, 201, present.Visibility(created), $"/v2/service_plan_visibilities/{created.Guid}");
    }

    private async Task DeleteVisibilityAsync(HttpContext context, string guid)
    {
        Admin(context);
        _ = store.Get<ServicePlanVisibilityRecord>(guid) ?? throw VisibilityNotFound(guid);
        await store.DeleteAsync<ServicePlanVisibilityRecord>(guid);
        await CfHttp.WriteAsync(context, 204, null);
    }
}
