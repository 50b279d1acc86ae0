using System.Text.Json.Nodes;
using BindingServer.Documentation;

namespace BindingServer.CloudFoundry;

/// <summary>
/// <c>/v2/info</c>, organizations and spaces, and the org and space roles that every other access check reads.
/// </summary>
public sealed class OrganizationEndpoints(CfStore store, CfPresenters present, CfAccess access)
{
    /// <summary>A request body's string field.</summary>
    private static string? Text(JsonObject body, string key) => body[key]?.GetValue<string>();

    public static void Map(RouteGroupBuilder v2)
    {
        v2.MapGet("/info", (Delegate)((HttpContext c) => CfHttp.WriteAsync(c, 200, Info())))
            .WithMetadata(CloudFoundryApiDocs.Info);

        v2.MapGet("/organizations", (HttpContext c, CfAccess a, CfPresenters p) => a.ListAsync<OrganizationRecord>(c, ["name"], (_, r) => p.Organization(r)))
            .WithMetadata(CloudFoundryApiDocs.List("organizations"));
        v2.MapPost("/organizations", (HttpContext c, OrganizationEndpoints e) => e.CreateOrganizationAsync(c))
            .WithMetadata(CloudFoundryApiDocs.Create("an organization", JsonNode.Parse("""{"name":"my-org"}""")!));
        v2.MapGet("/organizations/{guid}", (HttpContext c, CfAccess a, CfPresenters p, string guid) =>
            a.GetAsync<OrganizationRecord>(c, guid, CfApiException.OrganizationNotFound, (_, r) => p.Organization(r)))
            .WithMetadata(CloudFoundryApiDocs.Get("an organization"));
        v2.MapPut("/organizations/{guid}", (HttpContext c, OrganizationEndpoints e, string guid) => e.UpdateOrganizationAsync(c, guid))
            .WithMetadata(CloudFoundryApiDocs.UpdateOrganization);
        MapRoles(v2, CfStore.Organizations, "an organization");

        v2.MapGet("/spaces", (HttpContext c, CfAccess a, CfPresenters p) => a.ListAsync<SpaceRecord>(c, ["name", "organization_guid"], (_, r) => p.Space(r)))
            .WithMetadata(CloudFoundryApiDocs.List("spaces"));
        v2.MapPost("/spaces", (HttpContext c, OrganizationEndpoints e) => e.CreateSpaceAsync(c))
            .WithMetadata(CloudFoundryApiDocs.Create("a space", JsonNode.Parse("""{"name":"my-space","organization_guid":"<org guid>"}""")!));
        v2.MapGet("/spaces/{guid}", (HttpContext c, CfAccess a, CfPresenters p, string guid) => a.GetAsync<SpaceRecord>(c, guid, CfApiException.SpaceNotFound, (_, r) => p.Space(r)))
            .WithMetadata(CloudFoundryApiDocs.Get("a space"));
        MapRoles(v2, CfStore.Spaces, "a space");
    }

    /// <summary>PUT and DELETE /v2/{organizations|spaces}/:guid/:role/:user_guid.</summary>
    private static void MapRoles(RouteGroupBuilder v2, string collection, string what)
    {
        v2.MapPut($"/{collection}/{{guid}}/{{role}}/{{user}}",
                (HttpContext c, OrganizationEndpoints e, string guid, string role, string user) => e.ChangeRoleAsync(c, collection, guid, role, user, grant: true))
            .WithMetadata(CloudFoundryApiDocs.GrantRole(what));
        v2.MapDelete($"/{collection}/{{guid}}/{{role}}/{{user}}",
                (HttpContext c, OrganizationEndpoints e, string guid, string role, string user) => e.ChangeRoleAsync(c, collection, guid, role, user, grant: false))
            .WithMetadata(CloudFoundryApiDocs.RevokeRole(what));
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

    /// <summary>POST /v2/organizations: admins only, as with CC's default <c>user_org_creation</c> feature flag (off).</summary>
    private async Task CreateOrganizationAsync(HttpContext context)
    {
        var user = access.Writer(context);
        var body = await CfHttp.ReadBodyAsync(context.Request);
        CfHttp.CheckFields(body, ("name", "String", true));
        if (!user.IsAdmin)
        {
            throw CfApiException.NotAuthorized();
        }

        var org = await store.CreateAsync(OrganizationRecord.New(Text(body, "name")));
        await CfHttp.WriteAsync(context, 201, present.Organization(org), $"/v2/organizations/{org.Guid}");
    }

    /// <summary>PUT /v2/organizations/:guid: admins rename or suspend; an org's managers may only rename an active org.</summary>
    private async Task UpdateOrganizationAsync(HttpContext context, string guid)
    {
        var user = access.Anyone(context);
        var body = await CfHttp.ReadBodyAsync(context.Request);
        CfHttp.CheckFields(body, ("name", "String", false), ("status", "String", false));
        var org = store.Get<OrganizationRecord>(guid) ?? throw CfApiException.OrganizationNotFound(guid);
        var status = Text(body, "status");
        var mayChange = user.IsAdmin || (CfRoles.Has(org, "managers", user.Id) && org.Status == "active" && (status is null || status == org.Status));
        if (!mayChange)
        {
            throw CfApiException.NotAuthorized();
        }

        if (status is not null and not ("active" or "suspended"))
        {
            throw new CfApiException(400, "OrganizationInvalid", 30001, "The organization info is invalid: status must be active or suspended");
        }

        var updated = await store.UpdateAsync<OrganizationRecord>(guid, record =>
        {
            record.Name = Text(body, "name") ?? record.Name;
            record.Status = status ?? record.Status;
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

        var user = access.Anyone(context);
        CfApiException Missing() => isSpace ? CfApiException.SpaceNotFound(guid) : CfApiException.OrganizationNotFound(guid);
        CfRecord? found = isSpace ? store.Get<SpaceRecord>(guid) : store.Get<OrganizationRecord>(guid);
        var record = found ?? throw Missing();
        var org = record is SpaceRecord space ? store.Get<OrganizationRecord>(space.OrganizationGuid!) : (OrganizationRecord)record;
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

        void Change(CfRecord r)
        {
            if (grant)
            {
                CfRoles.Add(r, role, userId);
            }
            else
            {
                CfRoles.Remove(r, role, userId);
            }
        }

        var updated = isSpace
            ? await store.UpdateAsync<SpaceRecord>(guid, Change) is { } updatedSpace ? present.Space(updatedSpace) : null
            : await store.UpdateAsync<OrganizationRecord>(guid, Change) is { } updatedOrg ? present.Organization(updatedOrg) : null;
        if (updated is null)
        {
            throw Missing();
        }

        if (grant)
        {
            await CfHttp.WriteAsync(context, 201, updated);
        }
        else
        {
            await CfHttp.WriteAsync(context, 204, null);
        }
    }

    /// <summary>POST /v2/spaces: admins and the org's managers.</summary>
    private async Task CreateSpaceAsync(HttpContext context)
    {
        var user = access.Writer(context);
        var body = await CfHttp.ReadBodyAsync(context.Request);
        CfHttp.CheckFields(body, ("name", "String", true), ("organization_guid", "String", true));
        var orgGuid = Text(body, "organization_guid")!;
        var org = store.Get<OrganizationRecord>(orgGuid) ?? throw CfApiException.InvalidRelation($"Could not find Organization with guid: {orgGuid}");
        if (!user.IsAdmin && !CfRoles.Has(org, "managers", user.Id))
        {
            throw CfApiException.NotAuthorized();
        }

        var space = await store.CreateAsync(SpaceRecord.New(Text(body, "name"), orgGuid));
        await CfHttp.WriteAsync(context, 201, present.Space(space), $"/v2/spaces/{space.Guid}");
    }
}
