using System.Text.Json.Nodes;

namespace BindingServer.CloudFoundry.Brokers;

/// <summary>
/// Who sees a service plan, and where it may be provisioned (CC's <c>ServicePlan.user_visible</c> and
/// <c>organization_visible</c>): admins and global readers see every plan; others see active plans that are public or
/// made visible to an org they belong to. A service is seen when one of its plans is.
/// </summary>
public sealed class PlanVisibility(CfStore store)
{
    private static bool IsActive(ServicePlanRecord plan) => plan.Active != false;

    private static bool IsPublic(ServicePlanRecord plan) => plan.Public == true;

    private bool VisibleToOrg(ServicePlanRecord plan, string orgGuid) =>
        store.List<ServicePlanVisibilityRecord>().Any(v => v.ServicePlanGuid == plan.Guid && v.OrganizationGuid == orgGuid);

    public bool Sees(CfUser user, ServicePlanRecord plan)
    {
        if (user.ReadsEverything)
        {
            return true;
        }

        if (!IsActive(plan))
        {
            return false;
        }

        return IsPublic(plan) || store.List<ServicePlanVisibilityRecord>().Any(v =>
            v.ServicePlanGuid == plan.Guid && store.Get<OrganizationRecord>(v.OrganizationGuid!) is { } org &&
            CfRoles.IsMember(org, user.Id));
    }

    public bool SeesService(CfUser user, ServiceRecord service) =>
        user.ReadsEverything || store.List<ServicePlanRecord>().Any(p => p.ServiceGuid == service.Guid && Sees(user, p));

    /// <summary>A plan can be provisioned in an org when it is active and public or visible to that org; admins are held to this too.</summary>
    public void CheckAvailableIn(ServicePlanRecord plan, string orgGuid)
    {
        if (!IsActive(plan) || !(IsPublic(plan) || VisibleToOrg(plan, orgGuid)))
        {
            throw new CfApiException(403, "ServiceInstanceOrganizationNotAuthorized", 60010,
                "A service instance for the selected plan cannot be created in this organization. The plan is visible because another organization you belong to has access to it.");
        }
    }
}
