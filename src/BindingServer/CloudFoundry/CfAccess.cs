using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace BindingServer.CloudFoundry;

/// <summary>
/// What every v2 endpoint asks first: who the caller is (from the bearer token, with the scope the route needs) and what
/// the caller may see; plus the generic list and get that most collections answer with.
/// </summary>
public sealed class CfAccess(CfStore store, IOptions<CloudFoundryOptions> options, TimeProvider clock)
{
    public CloudFoundryOptions Options => options.Value;

    public CfUser Reader(HttpContext context)
    {
        var user = Anyone(context);
        return user.CanRead ? user : throw CfApiException.InsufficientScope();
    }

    public CfUser Writer(HttpContext context)
    {
        var user = Anyone(context);
        return user.CanWrite ? user : throw CfApiException.InsufficientScope();
    }

    public CfUser Anyone(HttpContext context) => CfHttp.Authenticate(context.Request, options.Value, clock);

    public static string? Text(JsonObject record, string key) => record[key]?.GetValue<string>();

    public bool Exists(string collection, string guid) => store.Get(collection, guid) is not null;

    /// <summary>
    /// Whether the user sees a record (CC's user visibility filters): orgs to their members, spaces, apps and instances
    /// to their space's roles and org managers, everything to admins and global readers; the service catalog to all.
    /// </summary>
    public bool Visible(CfUser user, string collection, JsonObject record)
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

    /// <summary>The space and org of an app: what every role check on a binding is made against.</summary>
    public (JsonObject? Space, JsonObject? Org) AppPlace(string appGuid) =>
        store.Get(CfStore.Apps, appGuid) is { } app ? SpacePlace(Text(app, "space_guid")!) : (null, null);

    /// <summary>A space and its org.</summary>
    public (JsonObject? Space, JsonObject? Org) SpacePlace(string spaceGuid)
    {
        var space = store.Get(CfStore.Spaces, spaceGuid);
        var org = space is null ? null : store.Get(CfStore.Organizations, Text(space, "organization_guid")!);
        return (space, org);
    }

    /// <summary>Credentials of an instance are shown to admins, read-only admins and its space's developers.</summary>
    public bool SeesCredentials(CfUser user, JsonObject instance) => CfRoles.SeesCredentials(user, SpacePlace(Text(instance, "space_guid")!).Space);

    /// <summary>A list holds what the user may see, and nothing says that more exists.</summary>
    public Task ListAsync(HttpContext context, string collection, string[] filters, Func<CfUser, JsonObject, JsonObject> render,
        Func<CfUser, JsonObject, bool>? include = null)
    {
        var user = Reader(context);
        var query = CfQuery.Parse(context.Request, filters, refuseOrderBy: false);
        var items = store.List(collection).Where(r => include?.Invoke(user, r) ?? true).Where(r => query.Matches(k => Text(r, k)))
            .Where(r => Visible(user, collection, r)).ToList();
        return CfHttp.WriteAsync(context, 200, query.Envelope(items, context.Request.Path, r => render(user, r)));
    }

    /// <summary>One record: 404 when it does not exist, 403 when it exists but the user may not see it.</summary>
    public Task GetAsync(HttpContext context, string collection, string guid, Func<string, CfApiException> notFound,
        Func<CfUser, JsonObject, JsonObject> render, Func<CfUser, JsonObject, bool>? include = null)
    {
        var user = Reader(context);
        var record = store.Get(collection, guid);
        if (record is null || include?.Invoke(user, record) == false)
        {
            throw notFound(guid);
        }

        return Visible(user, collection, record) ? CfHttp.WriteAsync(context, 200, render(user, record)) : throw CfApiException.NotAuthorized();
    }

    /// <summary><c>accepts_incomplete</c>: absent, or exactly <c>true</c> or <c>false</c> (anything else is CC's 10004).</summary>
    public static bool AcceptsIncomplete(HttpRequest request)
    {
        if (!request.Query.ContainsKey("accepts_incomplete"))
        {
            return false;
        }

        return request.Query["accepts_incomplete"].ToString() switch
        {
            "true" => true,
            "false" => false,
            _ => throw CfApiException.InvalidRequest(),
        };
    }
}
