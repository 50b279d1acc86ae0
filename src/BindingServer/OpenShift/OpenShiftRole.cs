using System.ComponentModel;
using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.OpenApi;
using BindingServer.Kubernetes.Patching;
using BindingServer.Kubernetes.Resources;
using BindingServer.Kubernetes.Tables;

namespace BindingServer.OpenShift;

[SchemaName("com.github.openshift.api.authorization.v1.PolicyRule")]
[Description("One set of permissions, in OpenShift's form: verbs, resources and resource names are sets.")]
public sealed class OpenShiftPolicyRule
{
    [EmitEmpty]
    [Kubernetes.OpenApi.Required]
    [Description("The verbs allowed; a sorted set.")]
    public List<string>? Verbs { get; set; }

    [EmitEmpty]
    [Description("Ignored; always null.")]
    public JsonObject? AttributeRestrictions { get; set; }

    [Atomic]
    [Description("The API groups of the resources; \"\" is the core group. Defaults to [\"\"] when resources are given.")]
    public List<string>? ApiGroups { get; set; }

    [EmitEmpty]
    [Kubernetes.OpenApi.Required]
    [Description("The resources; a sorted set.")]
    public List<string> Resources { get; set; } = [];

    [Description("Restricts the rule to these names; a sorted set.")]
    public List<string>? ResourceNames { get; set; }

    [Description("Non-resource URL paths; a sorted set.")]
    public List<string>? NonResourceURLs { get; set; }
}

[SchemaName("com.github.openshift.api.authorization.v1.Role")]
[Description("OpenShift's view of an RBAC Role.")]
public sealed class OpenShiftRole : KubeObject
{
    [EmitEmpty]
    [Kubernetes.OpenApi.Required]
    [Description("The permissions of the role.")]
    public List<OpenShiftPolicyRule>? Rules { get; set; }
}

[SchemaName("com.github.openshift.api.authorization.v1.ClusterRole")]
[Description("OpenShift's view of an RBAC ClusterRole.")]
public sealed class OpenShiftClusterRole : KubeObject
{
    [EmitEmpty]
    [Kubernetes.OpenApi.Required]
    [Description("The permissions of the role.")]
    public List<OpenShiftPolicyRule>? Rules { get; set; }

    [Description("Builds the rules from other cluster roles, as in RBAC.")]
    public AggregationRule? AggregationRule { get; set; }
}

public sealed class OpenShiftRoleStrategy<T> : ResourceStrategy<T> where T : KubeObject
{
    /// <summary>OpenShift prints roles with a name column only.</summary>
    public override TableDefinition Table { get; } = new([TableDefinition.NameColumn]);
}

public static class OpenShiftRoleStrategy
{
    public static ResourceDefinition Roles { get; } = new()
    {
        Group = OpenShiftRoleBindingStrategy.Group,
        Version = "v1",
        Kind = "Role",
        Plural = "roles",
        Singular = "role",
        Namespaced = true,
        Verbs = OpenShiftRoleBindingStrategy.Verbs,
        Strategy = new OpenShiftRoleStrategy<OpenShiftRole>(),
    };

    public static ResourceDefinition ClusterRoles { get; } = new()
    {
        Group = OpenShiftRoleBindingStrategy.Group,
        Version = "v1",
        Kind = "ClusterRole",
        Plural = "clusterroles",
        Singular = "clusterrole",
        Namespaced = false,
        Verbs = OpenShiftRoleBindingStrategy.Verbs,
        Strategy = new OpenShiftRoleStrategy<OpenShiftClusterRole>(),
    };
}

/// <summary>
/// The rule mapping of openshift-apiserver's role proxies: sets sorted and de-duplicated both ways, api groups
/// defaulted, and a rule mixing resources with non-resource URLs split in two.
/// </summary>
public static class RoleConversion
{
    private static List<string>? Set(List<string>? values) =>
        values is null ? null : values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    public static KubeObject ToRbac(KubeObject openShift)
    {
        var rules = (openShift is OpenShiftClusterRole cluster ? cluster.Rules : ((OpenShiftRole)openShift).Rules)?.SelectMany(SplitRule).ToList();
        var metadata = RoleBindingConversion.ToRbacMetadata(openShift.Metadata);
        return openShift is OpenShiftClusterRole clusterRole
            ? new ClusterRole { Metadata = metadata, Rules = rules, AggregationRule = clusterRole.AggregationRule }
            : new Role { Metadata = metadata, Rules = rules };
    }

    private static IEnumerable<PolicyRule> SplitRule(OpenShiftPolicyRule rule)
    {
        var hasResources = rule.Resources.Count > 0 || rule.ResourceNames is { Count: > 0 } || rule.ApiGroups is { Count: > 0 };
        var apiGroups = rule.ApiGroups;
        if (rule.Resources.Count > 0 && apiGroups is not { Count: > 0 })
        {
            var allowAll = rule.Verbs is ["*"] && rule.Resources is ["*"];
            apiGroups = [allowAll ? "*" : ""];
        }

        if (hasResources || rule.NonResourceURLs is not { Count: > 0 })
        {
            yield return new PolicyRule
            {
                Verbs = Set(rule.Verbs),
                ApiGroups = apiGroups,
                Resources = rule.Resources.Count == 0 ? null : Set(rule.Resources),
                ResourceNames = Set(rule.ResourceNames),
            };
        }

        if (rule.NonResourceURLs is { Count: > 0 })
        {
            yield return new PolicyRule { Verbs = Set(rule.Verbs), NonResourceURLs = Set(rule.NonResourceURLs) };
        }
    }

    public static KubeObject FromRbac(KubeObject rbac)
    {
        var metadata = KubeJson.Clone(rbac.Metadata);
        var rules = (rbac is ClusterRole cluster ? cluster.Rules : ((Role)rbac).Rules)?.Select(rule => new OpenShiftPolicyRule
        {
            Verbs = Set(rule.Verbs) ?? [],
            ApiGroups = rule.ApiGroups,
            Resources = Set(rule.Resources) ?? [],
            ResourceNames = Set(rule.ResourceNames),
            NonResourceURLs = Set(rule.NonResourceURLs),
        }).ToList() ?? [];
        var view = RoleBindingConversion.FromRbacMetadata(metadata);
        return rbac is ClusterRole clusterRole
            ? new OpenShiftClusterRole { Metadata = view, Rules = rules, AggregationRule = clusterRole.AggregationRule }
            : new OpenShiftRole { Metadata = view, Rules = rules };
    }
}
