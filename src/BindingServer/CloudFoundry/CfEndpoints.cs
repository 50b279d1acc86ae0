using System.Text.Json.Nodes;
using BindingServer.Documentation;
using Microsoft.Extensions.Options;

namespace BindingServer.CloudFoundry;

/// <summary>
/// Cloud Controller v2: organizations, spaces, apps, user-provided and managed service instances, the services and
/// plans of the built-in fake broker, and service bindings, each step in CC's order so the first error matches.
/// </summary>
public sealed class CfEndpoints(CfStore store, CfPresenters present, CfJobs jobs, IOptions<CloudFoundryOptions> options, TimeProvider clock)
{
    private static readonly string[] BindingFilters = ["app_guid", "service_instance_guid", "name"];
    private static readonly string[] UserProvidedFields = ["name", "credentials", "syslog_drain_url", "route_service_url", "tags"];

    private CfUser Reader(HttpContext context)
    {
        var user = CfHttp.Authenticate(context.Request, options.Value, clock);
        return user.CanRead ? user : throw CfApiException.InsufficientScope();
    }

    private CfUser Writer(HttpContext context)
    {
        var user = CfHttp.Authenticate(context.Request, options.Value, clock);
        return user.CanWrite ? user : throw CfApiException.InsufficientScope();
    }

    private CfUser Anyone(HttpContext context) => CfHttp.Authenticate(context.Request, options.Value, clock);

    private static string? Text(JsonObject record, string key) => record[key]?.GetValue<string>();

    public static IEndpointRouteBuilder Map(IEndpointRouteBuilder app)
    {
        var v2 = app.MapGroup("/v2").WithTags("Cloud Foundry v2");
        v2.MapGet("/info", (Delegate)((HttpContext c) => CfHttp.WriteAsync(c, 200, Info())))
            .WithMetadata(CloudFoundryApiDocs.Info);

        v2.MapGet("/organizations", (HttpContext c, CfEndpoints e) => e.ListAsync(c, CfStore.Organizations, ["name"], e.Organization))
            .WithMetadata(CloudFoundryApiDocs.List("organizations"));
        v2.MapPost("/organizations", (HttpContext c, CfEndpoints e) => e.CreateOrganizationAsync(c))
            .WithMetadata(CloudFoundryApiDocs.Create("an organization", JsonNode.Parse("""{"name":"my-org"}""")!));
        v2.MapGet("/organizations/{guid}", (HttpContext c, CfEndpoints e, string guid) =>
            e.GetAsync(c, CfStore.Organizations, guid, CfApiException.OrganizationNotFound, e.Organization))
            .WithMetadata(CloudFoundryApiDocs.Get("an organization"));
        v2.MapPut("/organizations/{guid}", (HttpContext c, CfEndpoints e, string guid) => e.UpdateOrganizationAsync(c, guid))
            .WithMetadata(CloudFoundryApiDocs.UpdateOrganization);
        MapRoles(v2, CfStore.Organizations, "an organization");

        v2.MapGet("/spaces", (HttpContext c, CfEndpoints e) => e.ListAsync(c, CfStore.Spaces, ["name", "organization_guid"], e.Space))
            .WithMetadata(CloudFoundryApiDocs.List("spaces"));
        v2.MapPost("/spaces", (HttpContext c, CfEndpoints e) => e.CreateSpaceAsync(c))
            .WithMetadata(CloudFoundryApiDocs.Create("a space", JsonNode.Parse("""{"name":"my-space","organization_guid":"<org guid>"}""")!));
        v2.MapGet("/spaces/{guid}", (HttpContext c, CfEndpoints e, string guid) => e.GetAsync(c, CfStore.Spaces, guid, CfApiException.SpaceNotFound, e.Space))
            .WithMetadata(CloudFoundryApiDocs.Get("a space"));
        MapRoles(v2, CfStore.Spaces, "a space");

        v2.MapGet("/apps", (HttpContext c, CfEndpoints e) => e.ListAsync(c, CfStore.Apps, ["name", "space_guid"], e.App))
            .WithMetadata(CloudFoundryApiDocs.List("apps"));
        v2.MapPost("/apps", (HttpContext c, CfEndpoints e) => e.CreateAppAsync(c))
            .WithMetadata(CloudFoundryApiDocs.Create("an app", JsonNode.Parse("""{"name":"my-app","space_guid":"<space guid>"}""")!));
        v2.MapGet("/apps/{guid}", (HttpContext c, CfEndpoints e, string guid) => e.GetAsync(c, CfStore.Apps, guid, CfApiException.AppNotFound, e.App))
            .WithMetadata(CloudFoundryApiDocs.Get("an app"));
        v2.MapDelete("/apps/{guid}", (HttpContext c, CfEndpoints e, string guid) => e.DeleteAppAsync(c, guid))
            .WithMetadata(CloudFoundryApiDocs.Delete("an app"));
        v2.MapDelete("/apps/{app}/service_bindings/{guid}", (HttpContext c, CfEndpoints e, string app, string guid) => e.DeleteBindingOfAppAsync(c, app, guid))
            .WithMetadata(CloudFoundryApiDocs.DeleteBindingOfApp);
        v2.MapGet("/apps/{guid}/service_bindings", (HttpContext c, CfEndpoints e, string guid) =>
            e.ListBindingsOfAsync(c, CfStore.Apps, "app_guid", guid, CfApiException.AppNotFound))
            .WithMetadata(CloudFoundryApiDocs.List("an app's service bindings"));

        v2.MapGet("/user_provided_service_instances", (HttpContext c, CfEndpoints e) =>
            e.ListAsync(c, CfStore.ServiceInstances, ["name", "space_guid"], e.Instance, CfPresenters.IsUserProvided))
            .WithMetadata(CloudFoundryApiDocs.List("user-provided service instances"));
        v2.MapPost("/user_provided_service_instances", (HttpContext c, CfEndpoints e) => e.CreateUserProvidedAsync(c))
            .WithMetadata(CloudFoundryApiDocs.Create("a user-provided service instance", JsonNode.Parse("""{"name":"my-db","space_guid":"<space guid>","credentials":{"uri":"mysql://db"}}""")!));
        v2.MapGet("/user_provided_service_instances/{guid}", (HttpContext c, CfEndpoints e, string guid) =>
            e.GetAsync(c, CfStore.ServiceInstances, guid, CfApiException.UserProvidedServiceInstanceNotFound, e.Instance, CfPresenters.IsUserProvided))
            .WithMetadata(CloudFoundryApiDocs.Get("a user-provided service instance"));
        v2.MapPut("/user_provided_service_instances/{guid}", (HttpContext c, CfEndpoints e, string guid) => e.UpdateUserProvidedAsync(c, guid))
            .WithMetadata(CloudFoundryApiDocs.UpdateUserProvided);
        v2.MapDelete("/user_provided_service_instances/{guid}", (HttpContext c, CfEndpoints e, string guid) => e.DeleteInstanceAsync(c, guid, userProvided: true))
            .WithMetadata(CloudFoundryApiDocs.Delete("a user-provided service instance"));
        v2.MapGet("/user_provided_service_instances/{guid}/service_bindings", (HttpContext c, CfEndpoints e, string guid) =>
            e.ListBindingsOfAsync(c, CfStore.ServiceInstances, "service_instance_guid", guid, CfApiException.UserProvidedServiceInstanceNotFound))
            .WithMetadata(CloudFoundryApiDocs.List("an instance's service bindings"));

        v2.MapGet("/service_instances", (HttpContext c, CfEndpoints e) =>
            e.ListAsync(c, CfStore.ServiceInstances, ["name", "space_guid", "service_plan_guid"], e.Instance, i => !CfPresenters.IsUserProvided(i)))
            .WithMetadata(CloudFoundryApiDocs.List("managed service instances"));
        v2.MapPost("/service_instances", (HttpContext c, CfEndpoints e) => e.CreateManagedAsync(c))
            .WithMetadata(CloudFoundryApiDocs.Create("a managed service instance", JsonNode.Parse("""{"name":"my-db","space_guid":"<space guid>","service_plan_guid":"<plan guid>"}""")!));
        v2.MapGet("/service_instances/{guid}", (HttpContext c, CfEndpoints e, string guid) =>
            e.GetAsync(c, CfStore.ServiceInstances, guid, CfApiException.ServiceInstanceNotFound, e.Instance))
            .WithMetadata(CloudFoundryApiDocs.Get("a service instance (either kind)"));
        v2.MapDelete("/service_instances/{guid}", (HttpContext c, CfEndpoints e, string guid) => e.DeleteInstanceAsync(c, guid, userProvided: false))
            .WithMetadata(CloudFoundryApiDocs.Delete("a managed service instance"));
        v2.MapGet("/service_instances/{guid}/service_bindings", (HttpContext c, CfEndpoints e, string guid) =>
            e.ListBindingsOfAsync(c, CfStore.ServiceInstances, "service_instance_guid", guid, CfApiException.ServiceInstanceNotFound))
            .WithMetadata(CloudFoundryApiDocs.List("an instance's service bindings"));

        v2.MapGet("/services", (HttpContext c, CfEndpoints e) => e.ListAsync(c, CfStore.Services, ["label"], e.Service))
            .WithMetadata(CloudFoundryApiDocs.List("services"));
        v2.MapGet("/services/{guid}", (HttpContext c, CfEndpoints e, string guid) =>
            e.GetAsync(c, CfStore.Services, guid, g => new CfApiException(404, "ServiceNotFound", 120003, $"The service could not be found: {g}"), e.Service))
            .WithMetadata(CloudFoundryApiDocs.Get("a service"));
        v2.MapGet("/service_plans", (HttpContext c, CfEndpoints e) => e.ListAsync(c, CfStore.ServicePlans, ["service_guid"], e.Plan))
            .WithMetadata(CloudFoundryApiDocs.List("service plans"));
        v2.MapGet("/service_plans/{guid}", (HttpContext c, CfEndpoints e, string guid) =>
            e.GetAsync(c, CfStore.ServicePlans, guid, g => new CfApiException(404, "ServicePlanNotFound", 110003, $"The service plan could not be found: {g}"), e.Plan))
            .WithMetadata(CloudFoundryApiDocs.Get("a service plan"));

        v2.MapGet("/service_bindings", (HttpContext c, CfEndpoints e) => e.ListBindingsAsync(c))
            .WithMetadata(CloudFoundryApiDocs.List("service bindings"));
        v2.MapPost("/service_bindings", (HttpContext c, CfEndpoints e) => e.CreateBindingAsync(c))
            .WithMetadata(CloudFoundryApiDocs.CreateBinding);
        v2.MapGet("/service_bindings/{guid}", (HttpContext c, CfEndpoints e, string guid) => e.GetBindingAsync(c, guid))
            .WithMetadata(CloudFoundryApiDocs.GetBinding);
        v2.MapDelete("/service_bindings/{guid}", (HttpContext c, CfEndpoints e, string guid) => e.DeleteBindingAsync(c, guid))
            .WithMetadata(CloudFoundryApiDocs.DeleteBinding);
        v2.MapGet("/service_bindings/{guid}/parameters", (HttpContext c, CfEndpoints e, string guid) => e.BindingParametersAsync(c, guid))
            .WithMetadata(CloudFoundryApiDocs.BindingParameters);

        v2.MapGet("/jobs/{guid}", (HttpContext c, CfEndpoints e, string guid) => e.GetJobAsync(c, guid))
            .WithMetadata(CloudFoundryApiDocs.GetJob);
        return app;
    }

    /// <summary>PUT and DELETE /v2/{organizations|spaces}/:guid/:role/:user_guid.</summary>
    private static void MapRoles(IEndpointRouteBuilder v2, string collection, string what)
    {
        v2.MapPut($"/{collection}/{{guid}}/{{role}}/{{user}}",
                (HttpContext c, CfEndpoints e, string guid, string role, string user) => e.ChangeRoleAsync(c, collection, guid, role, user, grant: true))
            .WithMetadata(CloudFoundryApiDocs.GrantRole(what));
        v2.MapDelete($"/{collection}/{{guid}}/{{role}}/{{user}}",
                (HttpContext c, CfEndpoints e, string guid, string role, string user) => e.ChangeRoleAsync(c, collection, guid, role, user, grant: false))
            .WithMetadata(CloudFoundryApiDocs.RevokeRole(what));
    }

    private JsonObject Organization(CfUser user, JsonObject r) => present.Organization(r);
    private JsonObject Space(CfUser user, JsonObject r) => present.Space(r);
    private JsonObject App(CfUser user, JsonObject r) => present.App(r);
    private JsonObject Instance(CfUser user, JsonObject r) => present.Instance(r, CfRoles.SeesCredentials(user, SpacePlace(Text(r, "space_guid")!).Space));
    private JsonObject Service(CfUser user, JsonObject r) => present.Service(r);
    private JsonObject Plan(CfUser user, JsonObject r) => present.Plan(r);

    private bool Exists(string collection, string guid) => store.Get(collection, guid) is not null;

    /// <summary>
    /// Whether the user sees a record (CC's user visibility filters): orgs to their members, spaces, apps and instances
    /// to their space's roles and org managers, everything to admins and global readers; the service catalog to all.
    /// </summary>
    private bool Visible(CfUser user, string collection, JsonObject record)
    {
        if (user.ReadsEverything)
        {
            return true;
        }

        switch (collection)
        {
            case CfStore.Organizations:
                return CfRoles.SeesOrganization(user, record);
            case CfStore.Spaces:
                return CfRoles.Sees(user, record, store.Get(CfStore.Organizations, Text(record, "organization_guid")!));
            case CfStore.Apps or CfStore.ServiceInstances:
                var (space, org) = SpacePlace(Text(record, "space_guid")!);
                return CfRoles.Sees(user, space, org);
            default:
                return true;
        }
    }

    private static JsonObject Info() => new()
    {
        ["name"] = "bindingserver",
        ["build"] = "",
        ["support"] = "",
        ["version"] = 2,
        ["description"] = "BindingServer Cloud Controller v2 emulation",
        ["authorization_endpoint"] = "",
        ["token_endpoint"] = "",
        ["min_cli_version"] = null,
        ["min_recommended_cli_version"] = null,
        ["app_ssh_endpoint"] = "",
        ["app_ssh_host_key_fingerprint"] = null,
        ["app_ssh_oauth_client"] = "",
        ["doppler_logging_endpoint"] = "",
        ["api_version"] = "2.293.0",
        ["osbapi_version"] = "2.15",
    };

    /// <summary>A list holds what the user may see, and nothing says that more exists.</summary>
    private Task ListAsync(HttpContext context, string collection, string[] filters, Func<CfUser, JsonObject, JsonObject> render,
        Func<JsonObject, bool>? include = null)
    {
        var user = Reader(context);
        var query = CfQuery.Parse(context.Request, filters, refuseOrderBy: false);
        var items = store.List(collection).Where(r => include?.Invoke(r) ?? true).Where(r => query.Matches(k => Text(r, k)))
            .Where(r => Visible(user, collection, r)).ToList();
        return CfHttp.WriteAsync(context, 200, query.Envelope(items, context.Request.Path, r => render(user, r)));
    }

    /// <summary>One record: 404 when it does not exist, 403 when it exists but the user may not see it.</summary>
    private Task GetAsync(HttpContext context, string collection, string guid, Func<string, CfApiException> notFound,
        Func<CfUser, JsonObject, JsonObject> render, Func<JsonObject, bool>? include = null)
    {
        var user = Reader(context);
        var record = store.Get(collection, guid);
        if (record is null || include?.Invoke(record) == false)
        {
            throw notFound(guid);
        }

        return Visible(user, collection, record) ? CfHttp.WriteAsync(context, 200, render(user, record)) : throw CfApiException.NotAuthorized();
    }

    /// <summary>POST /v2/organizations: admins only, as with CC's default <c>user_org_creation</c> feature flag (off).</summary>
    private async Task CreateOrganizationAsync(HttpContext context)
    {
        var user = Writer(context);
        var body = await CfHttp.ReadBodyAsync(context.Request);
        CfHttp.CheckFields(body, ("name", "String", true));
        if (!user.IsAdmin)
        {
            throw CfApiException.NotAuthorized();
        }

        var org = await store.CreateAsync(CfStore.Organizations, new JsonObject { ["name"] = Text(body, "name"), ["billing_enabled"] = false, ["status"] = "active" });
        await CfHttp.WriteAsync(context, 201, present.Organization(org), $"/v2/organizations/{Text(org, "guid")}");
    }

    /// <summary>PUT /v2/organizations/:guid: admins rename or suspend; an org's managers may only rename an active org.</summary>
    private async Task UpdateOrganizationAsync(HttpContext context, string guid)
    {
        var user = Anyone(context);
        var body = await CfHttp.ReadBodyAsync(context.Request);
        CfHttp.CheckFields(body, ("name", "String", false), ("status", "String", false));
        var org = store.Get(CfStore.Organizations, guid) ?? throw CfApiException.OrganizationNotFound(guid);
        var status = Text(body, "status");
        var mayChange = user.IsAdmin || (CfRoles.Has(org, "managers", user.Id) && Text(org, "status") == "active" && (status is null || status == Text(org, "status")));
        if (!mayChange)
        {
            throw CfApiException.NotAuthorized();
        }

        if (status is not null and not ("active" or "suspended"))
        {
            throw new CfApiException(400, "OrganizationInvalid", 30001, "The organization info is invalid: status must be active or suspended");
        }

        var updated = await store.UpdateAsync(CfStore.Organizations, guid, record =>
        {
            record["name"] = Text(body, "name") ?? Text(record, "name");
            record["status"] = status ?? Text(record, "status");
        }) ?? throw CfApiException.OrganizationNotFound(guid);
        await CfHttp.WriteAsync(context, 201, present.Organization(updated));
    }

    /// <summary>
    /// PUT/DELETE /v2/{organizations|spaces}/:guid/:role/:user_guid. Admins, the org's managers and (for space roles)
    /// the space's managers may change roles; users are known by the id their tokens carry.
    /// </summary>
    private async Task ChangeRoleAsync(HttpContext context, string collection, string guid, string role, string userId, bool grant)
    {
        var isSpace = collection == CfStore.Spaces;
        if (!(isSpace ? CfRoles.SpaceRoles : CfRoles.OrganizationRoles).Contains(role))
        {
            throw CfApiException.RouteNotFound();
        }

        var user = Anyone(context);
        CfApiException Missing() => isSpace ? CfApiException.SpaceNotFound(guid) : CfApiException.OrganizationNotFound(guid);
        var record = store.Get(collection, guid) ?? throw Missing();
        var org = isSpace ? store.Get(CfStore.Organizations, Text(record, "organization_guid")!) : record;
        var manages = user.IsAdmin || (org is not null && CfRoles.Has(org, "managers", user.Id)) || (isSpace && CfRoles.Has(record, "managers", user.Id));
        if (!manages)
        {
            throw CfApiException.NotAuthorized();
        }

        CfRoles.CheckNotSuspended(user, org);

        // A space role is for members of the space's org (CC's Space#validate_developer and siblings), and the
        // error names only the user.
        if (grant && isSpace && !CfRoles.IsMember(org, userId))
        {
            throw CfApiException.InvalidRelation(userId);
        }

        var updated = await store.UpdateAsync(collection, guid, r =>
        {
            if (grant)
            {
                CfRoles.Add(r, role, userId);
            }
            else
            {
                CfRoles.Remove(r, role, userId);
            }
        }) ?? throw Missing();
        if (grant)
        {
            await CfHttp.WriteAsync(context, 201, isSpace ? present.Space(updated) : present.Organization(updated));
        }
        else
        {
            await CfHttp.WriteAsync(context, 204, null);
        }
    }

    /// <summary>POST /v2/spaces: admins and the org's managers.</summary>
    private async Task CreateSpaceAsync(HttpContext context)
    {
        var user = Writer(context);
        var body = await CfHttp.ReadBodyAsync(context.Request);
        CfHttp.CheckFields(body, ("name", "String", true), ("organization_guid", "String", true));
        var orgGuid = Text(body, "organization_guid")!;
        var org = store.Get(CfStore.Organizations, orgGuid) ?? throw CfApiException.InvalidRelation($"Could not find Organization with guid: {orgGuid}");
        if (!user.IsAdmin && !CfRoles.Has(org, "managers", user.Id))
        {
            throw CfApiException.NotAuthorized();
        }

        var space = await store.CreateAsync(CfStore.Spaces, new JsonObject { ["name"] = Text(body, "name"), ["organization_guid"] = orgGuid, ["allow_ssh"] = true });
        await CfHttp.WriteAsync(context, 201, present.Space(space), $"/v2/spaces/{Text(space, "guid")}");
    }

    private async Task CreateAppAsync(HttpContext context)
    {
        var user = Writer(context);
        var body = await CfHttp.ReadBodyAsync(context.Request);
        CfHttp.CheckFields(body, ("name", "String", true), ("space_guid", "String", true), ("instances", "Integer", false),
            ("memory", "Integer", false), ("environment_json", "Hash", false), ("buildpack", "String", false), ("command", "String", false));
        var spaceGuid = Text(body, "space_guid")!;
        if (!Exists(CfStore.Spaces, spaceGuid))
        {
            // AppsController reports every failed lookup as an app not found, the space guid included.
            throw CfApiException.AppNotFound(spaceGuid);
        }

        var name = Text(body, "name")!;
        var record = AppRecord(name, spaceGuid, body);
        var app = await store.CreateAsync(CfStore.Apps, record, () =>
        {
            if (store.List(CfStore.Apps).Any(a => Text(a, "space_guid") == spaceGuid && Text(a, "name") == name))
            {
                throw CfApiException.AppNameTaken(name);
            }

            // As CC's AppCreate: the app is validated (its name) before access is.
            var (space, org) = SpacePlace(spaceGuid);
            CfRoles.CheckMayChange(user, space, org);
        });
        await CfHttp.WriteAsync(context, 201, present.App(app), $"/v2/apps/{Text(app, "guid")}");
    }

    /// <summary>A new app as CC stores it: the given fields over its defaults (the app is stopped, with one instance of 1 GB).</summary>
    internal static JsonObject AppRecord(string name, string spaceGuid, JsonObject body) => new()
    {
        ["name"] = name, ["production"] = false, ["space_guid"] = spaceGuid, ["stack_guid"] = null, ["buildpack"] = body["buildpack"]?.DeepClone(),
        ["detected_buildpack"] = null, ["detected_buildpack_guid"] = null, ["environment_json"] = body["environment_json"]?.DeepClone() ?? new JsonObject(),
        ["memory"] = body["memory"]?.DeepClone() ?? 1024, ["instances"] = body["instances"]?.DeepClone() ?? 1, ["disk_quota"] = 1024, ["log_rate_limit"] = -1,
        ["state"] = "STOPPED", ["version"] = System.Guid.NewGuid().ToString(), ["command"] = body["command"]?.DeepClone(), ["console"] = false, ["debug"] = null,
        ["staging_task_id"] = null, ["package_state"] = "PENDING", ["health_check_type"] = "port", ["health_check_timeout"] = null,
        ["health_check_http_endpoint"] = null, ["staging_failed_reason"] = null, ["staging_failed_description"] = null, ["diego"] = true,
        ["docker_image"] = null, ["docker_credentials"] = new JsonObject { ["username"] = null, ["password"] = null }, ["package_updated_at"] = null,
        ["detected_start_command"] = "", ["enable_ssh"] = true, ["ports"] = new JsonArray(8080),
    };

    private async Task DeleteAppAsync(HttpContext context, string guid)
    {
        var user = Writer(context);
        var app = store.Get(CfStore.Apps, guid) ?? throw CfApiException.AppNotFound(guid);
        var (space, org) = SpacePlace(Text(app, "space_guid")!);
        CfRoles.CheckMayChange(user, space, org);

        await DeleteWithBindingsAsync(context, CfStore.Apps, guid, "app_guid", () => CfApiException.AssociationNotEmpty("service_bindings", "processes"));
    }

    private async Task CreateUserProvidedAsync(HttpContext context)
    {
        var user = Writer(context);
        var body = await CfHttp.ReadBodyAsync(context.Request);
        CfHttp.CheckFields(body, ("name", "String", true), ("space_guid", "String", true), ("credentials", "Hash", false),
            ("syslog_drain_url", "String", false), ("route_service_url", "String", false), ("tags", "Array", false));
        var spaceGuid = Text(body, "space_guid")!;
        if (!Exists(CfStore.Spaces, spaceGuid))
        {
            throw CfApiException.InvalidRelation($"Could not find Space with guid: {spaceGuid}");
        }

        var (space, org) = SpacePlace(spaceGuid);
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
        }, () => CheckInstanceName(spaceGuid, name));
        await CfHttp.WriteAsync(context, 201, present.Instance(instance), CfPresenters.InstanceUrl(instance));
    }

    private void CheckInstanceName(string spaceGuid, string name)
    {
        if (name.Length > 255)
        {
            throw new CfApiException(400, "ServiceInstanceNameTooLong", 60009, "You have requested an invalid service instance name. Names are limited to 255 characters.");
        }

        if (store.List(CfStore.ServiceInstances).Any(i => Text(i, "space_guid") == spaceGuid && Text(i, "name") == name))
        {
            throw CfApiException.ServiceInstanceNameTaken(name);
        }
    }

    private async Task CreateManagedAsync(HttpContext context)
    {
        var user = Writer(context);
        var body = await CfHttp.ReadBodyAsync(context.Request);
        CfHttp.CheckFields(body, ("name", "String", true), ("space_guid", "String", true), ("service_plan_guid", "String", true),
            ("parameters", "Hash", false), ("tags", "Array", false));
        var spaceGuid = Text(body, "space_guid")!;
        if (!Exists(CfStore.ServicePlans, Text(body, "service_plan_guid")!))
        {
            throw CfApiException.ServiceInstanceInvalid("not a valid service plan");
        }

        if (!Exists(CfStore.Spaces, spaceGuid))
        {
            throw CfApiException.ServiceInstanceInvalid("not a valid space");
        }

        var (space, org) = SpacePlace(spaceGuid);
        CfRoles.CheckMayChange(user, space, org);

        var name = Text(body, "name")!;
        var now = store.Now;

        // The fake broker provisions its asynchronous plans asynchronously when the client allows it, as OSB brokers may.
        var plan = store.Get(CfStore.ServicePlans, Text(body, "service_plan_guid")!)!;
        var provisionAsync = AcceptsIncomplete(context.Request) == true && plan["async_bind"]?.GetValue<bool>() == true;
        var instance = await store.CreateAsync(CfStore.ServiceInstances, new JsonObject
        {
            ["type"] = "managed_service_instance",
            ["name"] = name,
            ["space_guid"] = spaceGuid,
            ["service_plan_guid"] = Text(body, "service_plan_guid"),
            ["credentials"] = new JsonObject(),
            ["tags"] = body["tags"]?.DeepClone() ?? new JsonArray(),
            ["parameters"] = body["parameters"]?.DeepClone(),
            ["last_operation"] = new JsonObject
            {
                ["type"] = "create", ["state"] = provisionAsync ? "in progress" : "succeeded", ["description"] = "", ["updated_at"] = now, ["created_at"] = now,
            },
        }, () => CheckInstanceName(spaceGuid, name));
        await CfHttp.WriteAsync(context, provisionAsync ? 202 : 201, present.Instance(instance), CfPresenters.InstanceUrl(instance));
    }

    private async Task DeleteInstanceAsync(HttpContext context, string guid, bool userProvided)
    {
        var user = Writer(context);
        var instance = store.Get(CfStore.ServiceInstances, guid);
        if (instance is null || CfPresenters.IsUserProvided(instance) != userProvided)
        {
            throw userProvided ? CfApiException.UserProvidedServiceInstanceNotFound(guid) : CfApiException.ServiceInstanceNotFound(guid);
        }

        var (space, org) = SpacePlace(Text(instance, "space_guid")!);
        CfRoles.CheckMayChange(user, space, org);

        await DeleteWithBindingsAsync(context, CfStore.ServiceInstances, guid, "service_instance_guid",
            () => CfApiException.AssociationNotEmpty("service_bindings", "service instances"));
    }

    /// <summary>Deletes an app or instance, and with <c>recursive=true</c> its bindings, all in one transaction.</summary>
    private async Task DeleteWithBindingsAsync(HttpContext context, string collection, string guid, string bindingKey, Func<CfApiException> notEmpty)
    {
        var recursive = context.Request.Query["recursive"] == "true";
        await store.CommitAsync(() =>
        {
            var bindings = store.List(CfStore.ServiceBindings).Where(b => Text(b, bindingKey) == guid).ToList();
            if (bindings.Count > 0 && !recursive)
            {
                throw notEmpty();
            }

            return bindings.Select(b => (CfStore.ServiceBindings, Text(b, "guid")!, (JsonObject?)null)).Append((collection, guid, null));
        });
        await CfHttp.WriteAsync(context, 204, null);
    }

    /// <summary>
    /// PUT /v2/user_provided_service_instances/:guid: updates the instance and, in the same transaction, copies its
    /// credentials into every binding and a changed syslog drain URL too, as CC's credential propagation does.
    /// </summary>
    private async Task UpdateUserProvidedAsync(HttpContext context, string guid)
    {
        var user = Writer(context);
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
            var (space, org) = SpacePlace(spaceGuid);
            CfRoles.CheckMayChange(user, space, org);
            if (Text(body, "space_guid") is { } newSpace && newSpace != spaceGuid)
            {
                throw CfApiException.ServiceInstanceInvalid("cannot change space for service instance");
            }

            if (Text(body, "name") is { } name && name != Text(instance, "name"))
            {
                CheckInstanceName(spaceGuid, name);
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

    private Task ListBindingsAsync(HttpContext context)
    {
        var user = Reader(context);
        var query = CfQuery.Parse(context.Request, BindingFilters);
        return WriteBindingsAsync(context, user, query, _ => true);
    }

    /// <summary>The bindings of an app or instance, which must exist (404) and be visible to the user (403).</summary>
    private Task ListBindingsOfAsync(HttpContext context, string collection, string key, string guid, Func<string, CfApiException> notFound)
    {
        var user = Reader(context);
        var parent = store.Get(collection, guid) ?? throw notFound(guid);
        if (!Visible(user, collection, parent))
        {
            throw CfApiException.NotAuthorized();
        }

        var query = CfQuery.Parse(context.Request, BindingFilters);
        return WriteBindingsAsync(context, user, query, b => Text(b, key) == guid);
    }

    /// <summary>Lists hold only the bindings whose app the user can see; nothing says others exist.</summary>
    private Task WriteBindingsAsync(HttpContext context, CfUser user, CfQuery query, Func<JsonObject, bool> include)
    {
        // Many bindings share an app: look each app's place up once per request.
        var places = new Dictionary<string, (JsonObject? Space, JsonObject? Org)>(StringComparer.Ordinal);
        (JsonObject? Space, JsonObject? Org) PlaceOf(JsonObject binding)
        {
            var appGuid = Text(binding, "app_guid")!;
            if (!places.TryGetValue(appGuid, out var place))
            {
                place = AppPlace(appGuid);
                places[appGuid] = place;
            }

            return place;
        }

        var items = store.List(CfStore.ServiceBindings).Where(include).Where(b => query.Matches(k => Text(b, k)))
            .Where(b => PlaceOf(b) is var (space, org) && CfRoles.Sees(user, space, org)).ToList();
        return CfHttp.WriteAsync(context, 200, query.Envelope(items, context.Request.Path,
            b => present.Binding(b, query.Depth, CfRoles.SeesCredentials(user, PlaceOf(b).Space))));
    }

    private JsonObject PresentBinding(CfUser user, JsonObject binding, int depth) =>
        present.Binding(binding, depth, CfRoles.SeesCredentials(user, AppPlace(Text(binding, "app_guid")!).Space));

    /// <summary>The space and org of an app: what every role check on a binding is made against.</summary>
    private (JsonObject? Space, JsonObject? Org) AppPlace(string appGuid) =>
        store.Get(CfStore.Apps, appGuid) is { } app ? SpacePlace(Text(app, "space_guid")!) : (null, null);

    /// <summary>A space and its org.</summary>
    private (JsonObject? Space, JsonObject? Org) SpacePlace(string spaceGuid)
    {
        var space = store.Get(CfStore.Spaces, spaceGuid);
        var org = space is null ? null : store.Get(CfStore.Organizations, Text(space, "organization_guid")!);
        return (space, org);
    }

    /// <summary>An existing binding the user cannot see is refused with 403, not hidden behind a 404, as CC does.</summary>
    private JsonObject VisibleBinding(CfUser user, string guid)
    {
        var binding = store.Get(CfStore.ServiceBindings, guid) ?? throw CfApiException.BindingNotFound(guid);
        var (space, org) = AppPlace(Text(binding, "app_guid")!);
        return CfRoles.Sees(user, space, org) ? binding : throw CfApiException.NotAuthorized();
    }

    /// <summary>Binding and unbinding need admin or the developer role in the app's space, and an org that is not suspended.</summary>
    private void CheckMayBind(CfUser user, string appGuid)
    {
        var (space, org) = AppPlace(appGuid);
        if (!CfRoles.IsDeveloper(user, space))
        {
            throw CfApiException.NotAuthorized();
        }

        CfRoles.CheckNotSuspended(user, org);
    }

    private Task GetBindingAsync(HttpContext context, string guid)
    {
        var user = Reader(context);
        var binding = VisibleBinding(user, guid);
        var depth = CfQuery.Parse(context.Request, BindingFilters, refuseOrderBy: false).Depth;
        return CfHttp.WriteAsync(context, 200, PresentBinding(user, binding, depth));
    }

    private static bool? AcceptsIncomplete(HttpRequest request)
    {
        if (!request.Query.ContainsKey("accepts_incomplete"))
        {
            return null;
        }

        return request.Query["accepts_incomplete"].ToString() switch
        {
            "true" => true,
            "false" => false,
            _ => throw CfApiException.InvalidRequest(),
        };
    }

    /// <summary>POST /v2/service_bindings in CC's order: auth, body, accepts_incomplete, app, instance, bindability, space, locks, duplicates, names, broker.</summary>
    private async Task CreateBindingAsync(HttpContext context)
    {
        var user = Anyone(context);
        var body = await CfHttp.ReadBodyAsync(context.Request);
        CfHttp.CheckFields(body, ("parameters", "Hash", false), ("name", "String", false), ("app_guid", "String", true), ("service_instance_guid", "String", true));
        var acceptsIncomplete = AcceptsIncomplete(context.Request) == true;
        var appGuid = Text(body, "app_guid")!;
        var instanceGuid = Text(body, "service_instance_guid")!;
        var app = store.Get(CfStore.Apps, appGuid) ?? throw CfApiException.AppNotFound(appGuid);
        var instance = store.Get(CfStore.ServiceInstances, instanceGuid) ?? throw CfApiException.ServiceInstanceNotFound(instanceGuid);
        CheckMayBind(user, appGuid);
        var userProvided = CfPresenters.IsUserProvided(instance);
        var plan = userProvided ? null : store.Get(CfStore.ServicePlans, Text(instance, "service_plan_guid")!);
        var service = plan is null ? null : store.Get(CfStore.Services, Text(plan, "service_guid")!);
        var bindable = userProvided || (plan?["bindable"]?.GetValue<bool?>() ?? service?["bindable"]?.GetValue<bool>() ?? false);
        if (!bindable)
        {
            throw CfApiException.Unbindable();
        }

        var volumeService = service?["requires"] is JsonArray requires && requires.Any(r => r?.GetValue<string>() == "volume_mount");
        if (volumeService && !options.Value.VolumeServicesEnabled)
        {
            throw CfApiException.VolumeMountServiceDisabled();
        }

        if (Text(instance, "space_guid") != Text(app, "space_guid"))
        {
            throw CfApiException.BindingTaken("VCAP::CloudController::ServiceBindingCreate::SpaceMismatch");
        }

        if (instance["last_operation"]?["state"]?.GetValue<string>() is "initial" or "in progress")
        {
            throw CfApiException.InstanceOperationInProgress(Text(instance, "name")!);
        }

        var name = Text(body, "name");
        var nameErrors = new List<string>();
        if (name is { Length: > 255 })
        {
            nameErrors.Add("The binding name is invalid. App binding names must be less than 256 characters.");
        }

        if (!string.IsNullOrEmpty(name) && name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '_' or '-')))
        {
            nameErrors.Add("The binding name is invalid. Valid characters are alphanumeric, underscore, and dash.");
        }

        var parameters = body["parameters"] as JsonObject;
        var asynchronous = plan?["async_bind"]?.GetValue<bool>() == true;

        var now = store.Now;
        var record = new JsonObject
        {
            ["app_guid"] = appGuid,
            ["service_instance_guid"] = instanceGuid,
            ["name"] = name,
            ["parameters"] = parameters?.DeepClone(),
            ["volume_mounts"] = new JsonArray(),
        };
        if (userProvided)
        {
            record["credentials"] = instance["credentials"]?.DeepClone() ?? new JsonObject();
            record["syslog_drain_url"] = Text(instance, "syslog_drain_url") ?? "";
        }
        else if (asynchronous)
        {
            record["credentials"] = null;
            record["syslog_drain_url"] = null;
            record["last_operation"] = new JsonObject { ["type"] = "create", ["state"] = "in progress", ["description"] = "", ["updated_at"] = now, ["created_at"] = now };
        }
        else
        {
            record["credentials"] = FakeBroker.Credentials(instanceGuid);
            record["syslog_drain_url"] = null;
            if (volumeService)
            {
                record["volume_mounts"] = FakeBroker.VolumeMounts(instanceGuid);
            }
        }

        var binding = await store.CreateAsync(CfStore.ServiceBindings, record, () =>
        {
            if (store.List(CfStore.ServiceBindings).Any(b => Text(b, "app_guid") == appGuid && Text(b, "service_instance_guid") == instanceGuid))
            {
                throw CfApiException.BindingTaken("The app is already bound to the service.");
            }

            if (nameErrors.Count > 0)
            {
                throw CfApiException.BindingTaken(string.Join(" ", nameErrors));
            }

            // Then the broker is asked; nothing is stored when it fails or answers asynchronously when it may not.
            if (plan?["broker_failure"]?.GetValue<string>() is { } failure)
            {
                throw CfApiException.BrokerBindFailure(failure);
            }

            if (asynchronous && service?["bindings_retrievable"]?.GetValue<bool>() != true)
            {
                throw CfApiException.BindingInvalid("Could not create asynchronous binding when bindings_retrievable is false.");
            }

            if (asynchronous && !acceptsIncomplete)
            {
                throw CfApiException.AsyncNotAllowed();
            }
        });

        if (userProvided && parameters is { Count: > 0 })
        {
            CfHttp.AddWarning(context.Response, "Configuration parameters are ignored for bindings to user-provided service instances.");
        }

        var guid = Text(binding, "guid")!;
        await CfHttp.WriteAsync(context, asynchronous ? 202 : 201, present.Binding(binding, 0), $"/v2/service_bindings/{guid}");
    }

    private Task DeleteBindingAsync(HttpContext context, string guid)
    {
        var user = Anyone(context);
        var binding = store.Get(CfStore.ServiceBindings, guid) ?? throw CfApiException.BindingNotFound(guid);
        CheckMayBind(user, Text(binding, "app_guid")!);
        var acceptsIncomplete = AcceptsIncomplete(context.Request) == true;
        if (context.Request.Query["async"] == "true" && !acceptsIncomplete)
        {
            return QueueUnbindAsync(context, guid);
        }

        return UnbindAsync(context, binding, acceptsIncomplete);
    }

    /// <summary><c>async=true</c>: CC answers 202 with a job (no Location) and unbinds in the background.</summary>
    private async Task QueueUnbindAsync(HttpContext context, string guid)
    {
        var job = await jobs.QueueUnbindAsync(guid);
        await CfHttp.WriteAsync(context, 202, CfJobs.Present(job));
    }

    private Task GetJobAsync(HttpContext context, string guid)
    {
        Reader(context);
        return CfHttp.WriteAsync(context, 200, CfJobs.Present(store.Get(CfStore.Jobs, guid)));
    }

    /// <summary>
    /// The deprecated DELETE /v2/apps/:app_guid/service_bindings/:guid: the app's update rights are checked, then the
    /// binding (found by guid alone, as CC does) is removed synchronously, with a deprecation warning.
    /// </summary>
    private Task DeleteBindingOfAppAsync(HttpContext context, string appGuid, string guid)
    {
        var user = Anyone(context);
        if (!Exists(CfStore.Apps, appGuid))
        {
            throw CfApiException.AppNotFound(appGuid);
        }

        CheckMayBind(user, appGuid);
        var binding = store.Get(CfStore.ServiceBindings, guid) ?? throw CfApiException.BindingNotFound(guid);
        CfHttp.AddWarning(context.Response, "Endpoint deprecated");
        return UnbindAsync(context, binding, acceptsIncomplete: false);
    }

    private async Task UnbindAsync(HttpContext context, JsonObject binding, bool acceptsIncomplete)
    {
        var guid = Text(binding, "guid")!;
        if (CfJobs.UnbindRefusal(store, binding) is { } refusal)
        {
            throw refusal;
        }

        var instance = store.Get(CfStore.ServiceInstances, Text(binding, "service_instance_guid")!);
        var plan = instance is null || CfPresenters.IsUserProvided(instance) ? null : store.Get(CfStore.ServicePlans, Text(instance, "service_plan_guid")!);
        if (plan?["async_bind"]?.GetValue<bool>() == true)
        {
            if (acceptsIncomplete)
            {
                // The fake broker answers the unbind with 202: the binding stays, marked, until the broker finishes.
                var now = store.Now;
                var marked = await store.UpdateAsync(CfStore.ServiceBindings, guid, record => record["last_operation"] = new JsonObject
                {
                    ["type"] = "delete", ["state"] = "in progress", ["description"] = "", ["updated_at"] = now, ["created_at"] = now,
                });
                await CfHttp.WriteAsync(context, 202, present.Binding(marked!, 0), $"/v2/service_bindings/{guid}");
                return;
            }

            CfHttp.AddWarning(context.Response,
                "The service broker responded asynchronously to the unbind request, but the accepts_incomplete query parameter was false or not given. The service binding may not have been successfully deleted on the service broker.");
        }

        await store.DeleteAsync(CfStore.ServiceBindings, guid);
        await CfHttp.WriteAsync(context, 204, null);
    }

    private Task BindingParametersAsync(HttpContext context, string guid)
    {
        var binding = VisibleBinding(Reader(context), guid);
        var instance = store.Get(CfStore.ServiceInstances, Text(binding, "service_instance_guid")!);
        var plan = instance is null || CfPresenters.IsUserProvided(instance) ? null : store.Get(CfStore.ServicePlans, Text(instance, "service_plan_guid")!);
        var service = plan is null ? null : store.Get(CfStore.Services, Text(plan, "service_guid")!);
        if (service?["bindings_retrievable"]?.GetValue<bool>() != true)
        {
            throw CfApiException.ParametersNotSupported();
        }

        if (binding["last_operation"]?["state"]?.GetValue<string>() is "initial" or "in progress")
        {
            var app = store.Get(CfStore.Apps, Text(binding, "app_guid")!);
            throw CfApiException.BindingOperationInProgress(app is null ? "" : Text(app, "name")!, Text(instance!, "name")!);
        }

        return CfHttp.WriteAsync(context, 200, binding["parameters"]?.DeepClone() ?? new JsonObject());
    }
}
