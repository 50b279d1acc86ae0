using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Authentication;
using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.Resources;

namespace BindingServer.Kubernetes.Authorization;

/// <summary>
/// RBAC's escalation prevention on writes of roles and bindings (the apiserver's policy-based storages): a user may
/// grant only what they hold, unless they may <c>escalate</c> (roles) or <c>bind</c> the referenced role (bindings).
/// Members of <c>system:masters</c> and changes to garbage-collection fields only are exempt.
/// </summary>
public sealed class RbacEscalationCheck(RbacAuthorizer authorizer) : IWriteAdmission
{
    public void Admit(ResourceDefinition definition, KubeObject obj, KubeObject? old, UserInfo user)
    {
        if (definition.Group != Rbac.Group || definition.Subresource is not null || user.IsPrivileged)
        {
            return;
        }

        if (old is not null && OnlyGarbageCollectionFieldsChange(definition, obj, old))
        {
            return;
        }

        var ns = definition.Namespaced ? obj.Metadata.Namespace ?? "" : "";
        switch (obj)
        {
            case Role role:
                AdmitRole(definition, role.Metadata.Name ?? "", ns, role.Rules, user, old);
                break;
            case ClusterRole clusterRole:
                AdmitRole(definition, clusterRole.Metadata.Name ?? "", ns, clusterRole.Rules, user, old);
                var hadRule = (old as ClusterRole)?.AggregationRule;
                var changed = old is null
                    ? clusterRole.AggregationRule is not null
                    : (hadRule is null) != (clusterRole.AggregationRule is null) ||
                      KubeJson.ToNode(hadRule ?? new AggregationRule()).ToJsonString() != KubeJson.ToNode(clusterRole.AggregationRule ?? new AggregationRule()).ToJsonString();
                if (changed && !Holds(user, "", PolicyRuleCoverage.FullAuthority).Covered)
                {
                    throw StatusErrors.Forbidden(definition.GroupResource, clusterRole.Metadata.Name ?? "",
                        "must have cluster-admin privileges to use the aggregationRule");
                }

                break;
            case IRoleBinding binding:
                AdmitBinding(definition, obj.Metadata.Name ?? "", ns, binding.RoleRef, user);
                break;
        }
    }

    private void AdmitRole(ResourceDefinition definition, string name, string ns, List<PolicyRule>? rules, UserInfo user, KubeObject? old)
    {
        var escalate = new RequestAttributes
        {
            User = user, Verb = "escalate", IsResourceRequest = true, ApiGroup = Rbac.Group, ApiVersion = "*",
            Resource = definition.Plural, Namespace = ns, Name = old is null ? "" : name,
        };
        if (authorizer.Authorize(escalate).Allowed)
        {
            return;
        }

        var (covered, message) = Holds(user, ns, rules ?? []);
        if (!covered)
        {
            throw StatusErrors.Forbidden(definition.GroupResource, name, message);
        }
    }

    private void AdmitBinding(ResourceDefinition definition, string name, string ns, RoleRef roleRef, UserInfo user)
    {
        var bind = new RequestAttributes
        {
            User = user, Verb = "bind", IsResourceRequest = true, ApiGroup = roleRef.ApiGroup ?? "", Namespace = ns, Name = roleRef.Name ?? "",
            Resource = roleRef.Kind switch { "ClusterRole" => "clusterroles", "Role" => "roles", _ => "" },
        };
        if (bind.Resource.Length > 0 && authorizer.Authorize(bind).Allowed)
        {
            return;
        }

        var (rules, missing) = authorizer.Policy.RulesOf(roleRef, ns, registryNames: true);
        if (missing is not null)
        {
            throw roleRef.Kind is "Role" or "ClusterRole"
                ? StatusErrors.NotFound(new GroupResource(Rbac.Group, bind.Resource), roleRef.Name ?? "")
                : StatusErrors.PlainError(missing);
        }

        var (covered, message) = Holds(user, ns, rules);
        if (!covered)
        {
            throw StatusErrors.Forbidden(definition.GroupResource, name, message);
        }
    }

    /// <summary>kube's <c>ConfirmNoEscalation</c>: whether the user's own rules in the namespace cover these, and the refusal text if not.</summary>
    private (bool Covered, string Message) Holds(UserInfo user, string ns, IReadOnlyList<PolicyRule> rules)
    {
        var (own, errors) = authorizer.RulesFor(user, ns, registryNames: true);
        var missing = PolicyRuleCoverage.Uncovered(own, rules);
        return missing.Count == 0 ? (true, "") : (false, PolicyRuleCoverage.EscalationMessage(user.Name, user.Groups, missing, errors));
    }

    /// <summary>Whether the update touches only owner references and finalizers (and what the server keeps itself), which the garbage collector must be able to do.</summary>
    private static bool OnlyGarbageCollectionFieldsChange(ResourceDefinition definition, KubeObject obj, KubeObject old)
    {
        var copy = KubeJson.Clone(obj);
        copy.Metadata.OwnerReferences = old.Metadata.OwnerReferences;
        copy.Metadata.Finalizers = old.Metadata.Finalizers;
        copy.Metadata.SelfLink = old.Metadata.SelfLink;
        copy.Metadata.ManagedFields = old.Metadata.ManagedFields;
        return ObjectCodec.Encode(copy).AsSpan().SequenceEqual(ObjectCodec.Encode(old)) && definition.ObjectType == old.GetType();
    }
}
