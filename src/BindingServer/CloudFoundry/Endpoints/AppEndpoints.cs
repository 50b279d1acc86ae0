using System.Text.Json.Nodes;
using BindingServer.CloudFoundry.Brokers;
using BindingServer.Documentation;

namespace BindingServer.CloudFoundry;

/// <summary><c>/v2/apps</c>: what a binding binds to.</summary>
public sealed class AppEndpoints(CfStore store, CfPresenters present, CfAccess access, ServiceLifecycle lifecycle)
{
    /// <summary>A request body's string field.</summary>
    private static string? Text(JsonObject body, string key) => body[key]?.GetValue<string>();

    public static void Map(RouteGroupBuilder v2)
    {
        v2.MapGet("/apps", (HttpContext c, CfAccess a, CfPresenters p) => a.ListAsync<AppRecord>(c, ["name", "space_guid"], (_, r) => p.App(r)))
            .WithMetadata(CloudFoundryApiDocs.List("apps"));
        v2.MapPost("/apps", (HttpContext c, AppEndpoints e) => e.CreateAppAsync(c))
            .WithMetadata(CloudFoundryApiDocs.Create("an app", JsonNode.Parse("""{"name":"my-app","space_guid":"<space guid>"}""")!));
        v2.MapGet("/apps/{guid}", (HttpContext c, CfAccess a, CfPresenters p, string guid) => a.GetAsync<AppRecord>(c, guid, CfApiException.AppNotFound, (_, r) => p.App(r)))
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
        if (!access.Exists<SpaceRecord>(spaceGuid))
        {
            // AppsController reports every failed lookup as an app not found, the space guid included.
            throw CfApiException.AppNotFound(spaceGuid);
        }

        var name = Text(body, "name")!;
        var record = AppRecord.New(name, spaceGuid, body);
        var app = await store.CreateAsync(record, () =>
        {
            if (store.List<AppRecord>().Any(a => a.SpaceGuid == spaceGuid && a.Name == name))
            {
                throw CfApiException.AppNameTaken(name);
            }

            // As CC's AppCreate: the app is validated (its name) before access is.
            var (space, org) = access.SpacePlace(spaceGuid);
            CfRoles.CheckMayChange(user, space, org);
        });
        await CfHttp.WriteAsync(context, 201, present.App(app), $"/v2/apps/{app.Guid}");
    }

    private async Task DeleteAppAsync(HttpContext context, string guid)
    {
        var user = access.Writer(context);
        var app = store.Get<AppRecord>(guid) ?? throw CfApiException.AppNotFound(guid);
        var (space, org) = access.SpacePlace(app.SpaceGuid!);
        CfRoles.CheckMayChange(user, space, org);

        await lifecycle.DeleteAppAsync(context, user, guid);
    }
}
