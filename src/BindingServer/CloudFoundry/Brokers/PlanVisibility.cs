using System.Text.Json.Nodes;

namespace BindingServer.CloudFoundry.Brokers;

/// <summary>
/// Who sees a service plan, and where it may be provisioned (CC's <c>ServicePlan.user_visible</c> and
/// <c>organization_visible</c>): admins and global readers see every plan; others see active plans that are public or
/// made visible to an org they belong to. A service is seen when one of its plans is.
/// </summary>
public sealed class PlanVisibility(CfStore store)
{
    private static string? Text(JsonObject record, string key) => record[key]?.GetValue<string>();

    private static bool IsActive(JsonObject plan) => plan["active"]?.GetValue<bool>() != false;

    private static bool IsPublic(JsonObject plan) => plan["public"]?.GetValue<bool>() == true;

    private bool VisibleToOrg(JsonObject plan, string orgGuid) =>
        store.List(CfStore.ServicePlanVisibilities).Any(v => Text(v, "service_plan_guid") == Text(plan, "guid") && Text(v, "organization_guid") == orgGuid);

    public bool Sees(CfUser user, JsonObject plan)
    {
        if (user.ReadsEverything)
        {
            return true;
        }

        if (!IsActive(plan))
        {
            return false;
        }

        return IsPublic(plan) || store.List(CfStore.ServicePlanVisibilities).Any(v =>
            Text(v, "service_plan_guid") == Text(plan, "guid") && store.Get(CfStore.Organizations, Text(v, "organization_guid")!) is { } org &&
            CfRoles.IsMember(org, user.Id));
    }

    public bool SeesService(CfUser user, JsonObject service) =>
        user.ReadsEverything || store.List(CfStore.ServicePlans).Any(p => Text(p, "service_guid") == Text(service, "guid") && Sees(user, p));

    /// <summary>A plan can be provisioned in an org when it is active and public or visible to that org; admins are held to this too.</summary>
    public void CheckAvailableIn(JsonObject plan, string orgGuid)
    {
        if (!IsActive(plan) || !(IsPublic(plan) || VisibleToOrg(plan, orgGuid)))
        {
            throw new CfApiException(403, "ServiceInstanceOrganizationNotAuthorized", 60010,
                "A service instance for the selected plan cannot be created in this organization. The plan is visible because another organization you belong to has access to it.");
        }
    }
}
