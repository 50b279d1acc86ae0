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

    public bool Exists<T>(string guid) where T : CfRecord, ICfRecord<T> => store.Get<T>(guid) is not null;

    /// <summary>
    /// Whether the user sees a record (CC's user visibility filters): orgs to their members, spaces, apps and instances
    /// to their space's roles and org managers, everything to admins and global readers; the service catalog to all.
    /// </summary>
    public bool Visible(CfUser user, CfRecord record)
    {
        if (user.ReadsEverything)
        {
            return true;
        }

        switch (record)
        {
            case OrganizationRecord organization:
                return CfRoles.SeesOrganization(user, organization);
            case SpaceRecord spaceRecord:
                return CfRoles.Sees(user, spaceRecord, store.Get<OrganizationRecord>(spaceRecord.OrganizationGuid!));
            case AppRecord app:
                var (appSpace, appOrg) = SpacePlace(app.SpaceGuid!);
                return CfRoles.Sees(user, appSpace, appOrg);
            case ServiceInstanceRecord instance:
                var (space, org) = SpacePlace(instance.SpaceGuid!);
                return CfRoles.Sees(user, space, org);
            default:
                return true;
        }
    }

    /// <summary>The space and org of an app: what every role check on a binding is made against.</summary>
    public (SpaceRecord? Space, OrganizationRecord? Org) AppPlace(string appGuid) =>
        store.Get<AppRecord>(appGuid) is { } app ? SpacePlace(app.SpaceGuid!) : (null, null);

    /// <summary>A space and its org.</summary>
    public (SpaceRecord? Space, OrganizationRecord? Org) SpacePlace(string spaceGuid)
    {
        var space = store.Get<SpaceRecord>(spaceGuid);
        var org = space is null ? null : store.Get<OrganizationRecord>(space.OrganizationGuid!);
        return (space, org);
    }

    /// <summary>Credentials of an instance are shown to admins, read-only admins and its space's developers.</summary>
    public bool SeesCredentials(CfUser user, ServiceInstanceRecord instance) => CfRoles.SeesCredentials(user, SpacePlace(instance.SpaceGuid!).Space);

    /// <summary>A list holds what the user may see, and nothing says that more exists.</summary>
    public Task ListAsync<T>(HttpContext context, string[] filters, Func<CfUser, T, JsonObject> render, Func<CfUser, T, bool>? include = null)
        where T : CfRecord, ICfRecord<T>
    {
        var user = Reader(context);
        var query = CfQuery.Parse(context.Request, filters, refuseOrderBy: false);
        var items = store.List<T>().Where(r => include?.Invoke(user, r) ?? true).Where(r => query.Matches(r.FilterValue))
            .Where(r => Visible(user, r)).ToList();
        return CfHttp.WriteAsync(context, 200, query.Envelope(items, context.Request.Path, r => render(user, r)));
    }

    /// <summary>One record: 404 when it does not exist, 403 when it exists but the user may not see it.</summary>
    public Task GetAsync<T>(HttpContext context, string guid, Func<string, CfApiException> notFound, Func<CfUser, T, JsonObject> render,
        Func<CfUser, T, bool>? include = null) where T : CfRecord, ICfRecord<T>
    {
        var user = Reader(context);
        var record = store.Get<T>(guid);
        if (record is null || include?.Invoke(user, record) == false)
        {
            throw notFound(guid);
        }

        return Visible(user, record) ? CfHttp.WriteAsync(context, 200, render(user, record)) : throw CfApiException.NotAuthorized();
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
