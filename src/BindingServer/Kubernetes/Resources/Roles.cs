using System.ComponentModel;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.OpenApi;
using BindingServer.Kubernetes.Patching;
using BindingServer.Kubernetes.Validation;
using BindingServer.Kubernetes.Protobuf;

namespace BindingServer.Kubernetes.Resources;

[SchemaName("io.k8s.api.rbac.v1.PolicyRule")]
[Description("One set of permissions: verbs on resources (or on non-resource URLs).")]
public sealed class PolicyRule
{
    [Atomic]
    [Required]
    [Description("The verbs allowed, such as get, list, watch, create; \"*\" allows all.")]
    public List<string>? Verbs { get; set; }

    [Atomic]
    [Description("The API groups of the resources; \"\" is the core group, \"*\" all groups.")]
    public List<string>? ApiGroups { get; set; }

    [Atomic]
    [Description("The resources the rule applies to; \"*\" all of them.")]
    public List<string>? Resources { get; set; }

    [Atomic]
    [Description("Restricts the rule to these object names.")]
    public List<string>? ResourceNames { get; set; }

    [Atomic]
    [Description("URL paths that are not resources, such as /healthz; only in cluster roles.")]
    public List<string>? NonResourceURLs { get; set; }
}

[SchemaName("io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector")]
[Description("Selects objects by their labels; all requirements must hold.")]
public sealed class LabelSelectorSpec
{
    [Description("Labels that must have exactly these values.")]
    public Dictionary<string, string>? MatchLabels { get; set; }

    [Atomic]
    [Description("Set-based requirements on labels.")]
    public List<LabelSelectorRequirement>? MatchExpressions { get; set; }
}

[SchemaName("io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement")]
[Description("One set-based label requirement.")]
public sealed class LabelSelectorRequirement
{
    [Required]
    [Description("The label key.")]
    public string? Key { get; set; }

    [Required]
    [Description("In, NotIn, Exists or DoesNotExist.")]
    public string? Operator { get; set; }

    [Atomic]
    [Description("The values for In and NotIn.")]
    public List<string>? Values { get; set; }
}

[SchemaName("io.k8s.api.rbac.v1.AggregationRule")]
[Description("Builds a cluster role's rules from the rules of other cluster roles.")]
public sealed class AggregationRule
{
    [Atomic]
    [Description("Cluster roles whose labels match any of these selectors contribute their rules.")]
    public List<LabelSelectorSpec>? ClusterRoleSelectors { get; set; }
}

[SchemaName("io.k8s.api.rbac.v1.ClusterRole")]
[Description("A cluster-wide set of permissions, granted with a ClusterRoleBinding or, within one namespace, a RoleBinding.")]
public sealed class ClusterRole : KubeObject
{
    [Atomic]
    [EmitEmpty]
    [Description("The permissions of the role.")]
    public List<PolicyRule>? Rules { get; set; }

    [Description("When set, the server builds rules from other cluster roles.")]
    public AggregationRule? AggregationRule { get; set; }
}

[SchemaName("io.k8s.api.rbac.v1.Role")]
[Description("A set of permissions within one namespace, granted with a RoleBinding.")]
public sealed class Role : KubeObject
{
    [Atomic]
    [EmitEmpty]
    [Description("The permissions of the role.")]
    public List<PolicyRule>? Rules { get; set; }
}

public static class RoleRules
{
    public static IEnumerable<FieldError> Validate(List<PolicyRule>? rules, bool namespaced)
    {
        for (var i = 0; i < (rules?.Count ?? 0); i++)
        {
            var rule = rules![i];
            var path = $"rules[{i}]";
            if (rule.Verbs is not { Count: > 0 })
            {
                yield return FieldError.Required($"{path}.verbs", "verbs must contain at least one value");
            }

            if (rule.NonResourceURLs is { Count: > 0 })
            {
                if (namespaced)
                {
                    yield return FieldError.Invalid($"{path}.nonResourceURLs", rule.NonResourceURLs, "namespaced rules cannot apply to non-resource URLs");
                }

                if (rule.ApiGroups is { Count: > 0 } || rule.Resources is { Count: > 0 } || rule.ResourceNames is { Count: > 0 })
                {
                    yield return FieldError.Invalid($"{path}.nonResourceURLs", rule.NonResourceURLs, "rules cannot apply to both regular resources and non-resource URLs");
                }

                continue;
            }

            if (rule.ApiGroups is not { Count: > 0 })
            {
                yield return FieldError.Required($"{path}.apiGroups", "resource rules must supply at least one api group");
            }

            if (rule.Resources is not { Count: > 0 })
            {
                yield return FieldError.Required($"{path}.resources", "resource rules must supply at least one resource");
            }
        }
    }
}

public sealed class ClusterRoleStrategy : ResourceStrategy<ClusterRole>
{
    public static ResourceDefinition Definition { get; } = new()
    {
        Group = Rbac.Group,
        Version = "v1",
        Kind = "ClusterRole",
        Plural = "clusterroles",
        Singular = "clusterrole",
        Namespaced = false,
        Strategy = new ClusterRoleStrategy(),
        Protobuf = ProtoSchemas.ClusterRole,
    };

    public override NameRule NameRule => NameRules.PathSegment;
    public override bool AllowCreateOnUpdate => true;
    public override DeleteResponse DeleteResponse => DeleteResponse.Status;

    protected override IReadOnlyList<FieldError> Validate(ClusterRole obj) =>
        [.. MetadataValidation.ValidateCreate(obj.Metadata, namespaced: false, NameRule), .. Rules(obj)];

    protected override IReadOnlyList<FieldError> ValidateUpdate(ClusterRole obj, ClusterRole old) =>
        [.. Rules(obj), .. MetadataValidation.ValidateUpdate(obj.Metadata, old.Metadata)];

    private static IEnumerable<FieldError> Rules(ClusterRole obj)
    {
        foreach (var error in RoleRules.Validate(obj.Rules, namespaced: false))
        {
            yield return error;
        }

        if (obj.AggregationRule is { } aggregation && aggregation.ClusterRoleSelectors is not { Count: > 0 })
        {
            yield return FieldError.Required("aggregationRule.clusterRoleSelectors",
                "at least one clusterRoleSelector required if aggregationRule is non-nil");
        }
    }
}

public sealed class RoleStrategy : ResourceStrategy<Role>
{
    public static ResourceDefinition Definition { get; } = new()
    {
        Group = Rbac.Group,
        Version = "v1",
        Kind = "Role",
        Plural = "roles",
        Singular = "role",
        Namespaced = true,
        Strategy = new RoleStrategy(),
        Protobuf = ProtoSchemas.Role,
    };

    public override NameRule NameRule => NameRules.PathSegment;
    public override bool AllowCreateOnUpdate => true;
    public override DeleteResponse DeleteResponse => DeleteResponse.Status;

    protected override IReadOnlyList<FieldError> Validate(Role obj) =>
        [.. MetadataValidation.ValidateCreate(obj.Metadata, namespaced: true, NameRule), .. RoleRules.Validate(obj.Rules, namespaced: true)];

    protected override IReadOnlyList<FieldError> ValidateUpdate(Role obj, Role old) =>
        [.. RoleRules.Validate(obj.Rules, namespaced: true), .. MetadataValidation.ValidateUpdate(obj.Metadata, old.Metadata)];
}
