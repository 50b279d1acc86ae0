using System.Text.Json.Nodes;

namespace BindingServer.CloudFoundry;

/// <summary>
/// Org and space roles, kept as user-id lists on the org and space records, and the checks Cloud Controller's
/// access classes make with them: who sees an org, space, app, instance or binding, and who may change them
/// (§2.2 and §10–11 of the reference).
/// </summary>
public static class CfRoles
{
    public static readonly string[] OrganizationRoles = ["users", "managers", "auditors", "billing_managers"];
    public static readonly string[] SpaceRoles = ["developers", "managers", "auditors"];

    /// <summary>
    /// Marks the org and space made at first start: every user counts as a member of the org and a developer of the
    /// space, so a fresh server can be used with any token; orgs and spaces created later grant roles only through
    /// the role routes, as CC does.
    /// </summary>
    public const string OpenToEveryone = "open_to_every_user";

    // The role lists are stored on the org or space record under the role's name, so they are read here by that name.
    public static bool Has(CfRecord record, string role, string userId) =>
        record.Json[role] is JsonArray members && members.Any(m => m?.GetValue<string>() == userId);

    public static void Add(CfRecord record, string role, string userId)
    {
        if (!Has(record, role, userId))
        {
            var members = record.Json[role] as JsonArray ?? new JsonArray();
            members.Add(userId);
            record.Json[role] = members;
        }
    }

    public static void Remove(CfRecord record, string role, string userId)
    {
        if (record.Json[role] is JsonArray members && members.FirstOrDefault(m => m?.GetValue<string>() == userId) is { } member)
        {
            members.Remove(member);
        }
    }

    /// <summary>Marks a record of the start state as open to every user.</summary>
    public static void OpenToAll(CfRecord record) => record.Json[OpenToEveryone] = true;

    private static bool IsOpenToAll(CfRecord record) => record.Json[OpenToEveryone]?.GetValue<bool>() == true;

    public static bool IsDeveloper(CfUser user, SpaceRecord? space) =>
        user.IsAdmin || (space is not null && (IsOpenToAll(space) || Has(space, "developers", user.Id)));

    /// <summary>Whether the user sees what lives in the space: any space role, or manager of its org.</summary>
    public static bool Sees(CfUser user, SpaceRecord? space, OrganizationRecord? org) =>
        user.ReadsEverything || IsDeveloper(user, space)
        || (space is not null && (Has(space, "managers", user.Id) || Has(space, "auditors", user.Id)))
        || (org is not null && Has(org, "managers", user.Id));

    /// <summary>Whether the user is among an org's users (everyone is, of the org made at first start).</summary>
    public static bool IsMember(OrganizationRecord? org, string userId) =>
        org is not null && (IsOpenToAll(org) || Has(org, "users", userId));

    /// <summary>Whether the user sees an org: any role in it.</summary>
    public static bool SeesOrganization(CfUser user, OrganizationRecord org) =>
        user.ReadsEverything || IsOpenToAll(org) || OrganizationRoles.Any(role => Has(org, role, user.Id));

    /// <summary>
    /// Apps and service instances are created, changed and deleted by admins, or by developers of their space while
    /// its org is not suspended; anyone else is not authorized.
    /// </summary>
    public static void CheckMayChange(CfUser user, SpaceRecord? space, OrganizationRecord? org)
    {
        if (user.IsAdmin)
        {
            return;
        }

        if (org?.Status is { } status && status != "active" || !IsDeveloper(user, space))
        {
            throw CfApiException.NotAuthorized();
        }
    }

    /// <summary>Credentials are shown to admins, read-only admins and the space's developers; others get a placeholder.</summary>
    public static bool SeesCredentials(CfUser user, SpaceRecord? space) =>
        user.IsAdmin || user.Scopes.Contains("cloud_controller.admin_read_only") || IsDeveloper(user, space);

    /// <summary>Writes into a suspended org are refused to everyone but admins.</summary>
    public static void CheckNotSuspended(CfUser user, OrganizationRecord? org)
    {
        if (!user.IsAdmin && org?.Status is { } status && status != "active")
        {
            throw CfApiException.OrgSuspended();
        }
    }
}
