using System.Text.Json.Nodes;

namespace BindingServer.CloudFoundry;

/// <summary>
/// Org and space roles, kept as user-id lists on the org and space records, and the checks Cloud Controller
/// makes with them before a binding is created, shown or removed (§2.2 of the reference).
/// </summary>
public static class CfRoles
{
    public static readonly string[] OrganizationRoles = ["users", "managers", "auditors", "billing_managers"];
    public static readonly string[] SpaceRoles = ["developers", "managers", "auditors"];

    /// <summary>
    /// Marks the space made at first start: every user counts as its developer, so a fresh server can be used
    /// with any token; spaces created later grant roles only through the role routes, as CC does.
    /// </summary>
    public const string OpenToEveryone = "open_to_every_user";

    public static bool Has(JsonObject record, string role, string userId) =>
        record[role] is JsonArray members && members.Any(m => m?.GetValue<string>() == userId);

    public static void Add(JsonObject record, string role, string userId)
    {
        if (!Has(record, role, userId))
        {
            var members = record[role] as JsonArray ?? new JsonArray();
            members.Add(userId);
            record[role] = members;
        }
    }

    public static void Remove(JsonObject record, string role, string userId)
    {
        if (record[role] is JsonArray members && members.FirstOrDefault(m => m?.GetValue<string>() == userId) is { } member)
        {
            members.Remove(member);
        }
    }

    public static bool IsDeveloper(CfUser user, JsonObject? space) =>
        user.IsAdmin || (space is not null && (space[OpenToEveryone]?.GetValue<bool>() == true || Has(space, "developers", user.Id)));

    /// <summary>Whether the user sees what lives in the space: any space role, or manager of its org.</summary>
    public static bool Sees(CfUser user, JsonObject? space, JsonObject? org) =>
        user.ReadsEverything || IsDeveloper(user, space)
        || (space is not null && (Has(space, "managers", user.Id) || Has(space, "auditors", user.Id)))
        || (org is not null && Has(org, "managers", user.Id));

    /// <summary>Credentials are shown to admins, read-only admins and the space's developers; others get a placeholder.</summary>
    public static bool SeesCredentials(CfUser user, JsonObject? space) =>
        user.IsAdmin || user.Scopes.Contains("cloud_controller.admin_read_only") || IsDeveloper(user, space);

    /// <summary>Writes into a suspended org are refused to everyone but admins.</summary>
    public static void CheckNotSuspended(CfUser user, JsonObject? org)
    {
        if (!user.IsAdmin && org?["status"]?.GetValue<string>() is { } status && status != "active")
        {
            throw CfApiException.OrgSuspended();
        }
    }
}
