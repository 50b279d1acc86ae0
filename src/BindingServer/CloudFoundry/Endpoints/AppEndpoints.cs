using System.Text.Json.Nodes;
using BindingServer.CloudFoundry.Brokers;
using BindingServer.Documentation;

namespace BindingServer.CloudFoundry;

/// <summary><c>/v2/apps</c>: what a binding binds to.</summary>
public sealed class AppEndpoints(CfStore store, CfPresenters present, CfAccess access, ServiceLifecycle lifecycle)
{
    private static string? Text(JsonObject record, string key) => record[key]?.GetValue<string>();

    public static void Map(RouteGroupBuilder v2)
    {
        v2.MapGet("/apps", (HttpContext c, CfAccess a, CfPresenters p) => a.ListAsync(c, CfStore.Apps, ["name", "space_guid"], (_, r) => p.App(r)))
            .WithMetadata(CloudFoundryApiDocs.List("apps"));
        v2.MapPost("/apps", (HttpContext c, AppEndpoints e) => e.CreateAppAsync(c))
            .WithMetadata(CloudFoundryApiDocs.Create("an app", JsonNode.Parse("""{"name":"my-app","space_guid":"<space guid>"}""")!));
        v2.MapGet("/apps/{guid}", (HttpContext c, CfAccess a, CfPresenters p, string guid) => a.GetAsync(c, CfStore.Apps, guid, CfApiException.AppNotFound, (_, r) => p.App(r)))
            .WithMetadata(CloudFoundryApiDocs.Get("an app"));
        v2.MapDelete("/apps/{guid}", (HttpContext c, AppEndpoints e, string guid) => e.DeleteAppAsync(c, guid))
            .WithMetadata(CloudFoundryApiDocs.Delete("an app"));
    }

    private async Task CreateAppAsync(HttpContext context)
    {
        var user = access.Writer(context);
        var body = await CfHttp.ReadBodyAsync(context.Request);
        CfHttp.CheckFields(body, ("name", "String", true), ("space_guid", "String", true), ("instances", "Integer", false),
            ("memory", "Integer", false), ("environment_json", "Hash", false), ("buildpack", "String", false), ("command", "String", false));
        var spaceGuid = Text(body, "space_guid")!;
        if (!access.Exists(CfStore.Spaces, spaceGuid))
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
            var (space, org) = access.SpacePlace(spaceGuid);
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
        var user = access.Writer(context);
        var app = store.Get(CfStore.Apps, guid) ?? throw CfApiException.AppNotFound(guid);
        var (space, org) = access.SpacePlace(Text(app, "space_guid")!);
        CfRoles.CheckMayChange(user, space, org);

        await lifecycle.DeleteAppAsync(context, user, guid);
    }
}
