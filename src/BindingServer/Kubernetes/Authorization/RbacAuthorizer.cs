using BindingServer.Kubernetes.Resources;
using BindingServer.Storage;

namespace BindingServer.Kubernetes.Authorization;

/// <summary>An authorizer's answer: allowed or not, the reason it gives, and the errors met on the way.</summary>
public readonly record struct AuthorizationDecision(bool Allowed, string Reason);

/// <summary>
/// The apiserver's authorizer chain: members of <c>system:masters</c> are allowed outright (with no reason), then
/// RBAC decides from the stored bindings. RBAC never denies; without an allowing rule it has no opinion, which the
/// chain's end turns into a denial.
/// </summary>
public sealed class RbacAuthorizer(ObjectStore store)
{
    /// <summary>The policy, the snapshot it was last confirmed for, and the four RBAC resources it was built from.</summary>
    private sealed record CachedPolicy(Snapshot? Snapshot, IReadOnlyDictionary<string, StoredEntry>?[] Sources, RbacPolicy Policy);

    private CachedPolicy _cached = new(null, [null, null, null, null], RbacPolicy.Empty);

    private static readonly string[] Prefixes =
    [
        ClusterRoleStrategy.Definition.KeyPrefix, RoleStrategy.Definition.KeyPrefix,
        ClusterRoleBindingStrategy.Definition.KeyPrefix, RoleBindingStrategy.Definition.KeyPrefix,
    ];

    /// <summary>The RBAC objects of the current snapshot, indexed; built again only after one of them changed.</summary>
    public RbacPolicy Policy
    {
        get
        {
            var snapshot = store.Current;
            var cached = Volatile.Read(ref _cached);
            if (ReferenceEquals(cached.Snapshot, snapshot))
            {
                return cached.Policy;
            }

            // Another kind's write makes a new snapshot but keeps the RBAC resources' dictionaries: the index still holds.
            var sources = Array.ConvertAll(Prefixes, snapshot.Objects);
            var policy = cached.Sources.AsSpan().SequenceEqual(sources, ReferenceComparer.Instance) ? cached.Policy : RbacPolicy.Build(snapshot);
            Volatile.Write(ref _cached, new CachedPolicy(snapshot, sources, policy));
            return policy;
        }
    }

    public AuthorizationDecision Authorize(RequestAttributes attributes)
    {
        if (attributes.User.IsPrivileged)
        {
            return new AuthorizationDecision(true, "");
        }

        string? allowedBy = null;
        List<string>? errors = null;
        VisitRulesFor(Policy, attributes.User, attributes.Namespace, false, (binding, subject, rule, error) =>
        {
            if (rule is not null && RuleMatching.Allows(attributes, rule))
            {
                allowedBy = binding!.Describe(subject!);
                return false;
            }

            if (error is not null)
            {
                (errors ??= []).Add(error);
            }

            return true;
        });
        return allowedBy is not null
            ? new AuthorizationDecision(true, $"RBAC: allowed by {allowedBy}")
            : new AuthorizationDecision(false, errors is null ? "" : $"RBAC: {AggregateMessage(errors)}");
    }

    /// <summary>Every rule granted to the user in the namespace (cluster-wide ones first), and the errors of roles not found.</summary>
    public (IReadOnlyList<PolicyRule> Rules, IReadOnlyList<string> Errors) RulesFor(Authentication.UserInfo user, string ns, bool registryNames = false)
    {
        var rules = new List<PolicyRule>();
        var errors = new List<string>();
        VisitRulesFor(Policy, user, ns, registryNames, (_, _, rule, error) =>
        {
            if (rule is not null)
            {
                rules.Add(rule);
            }

            if (error is not null)
            {
                errors.Add(error);
            }

            return true;
        });
        return (rules, errors);
    }

    /// <summary>Visits a rule (with the binding and subject that grant it) or an error; the visitor returns false to stop.</summary>
    public delegate bool RuleVisitor(BindingEntry? binding, Subject? subject, PolicyRule? rule, string? error);

    /// <summary>kube's <c>VisitRulesFor</c>: ClusterRoleBindings, then RoleBindings of the namespace, only those naming the user.</summary>
    public static void VisitRulesFor(RbacPolicy policy, Authentication.UserInfo user, string ns, bool registryNames, RuleVisitor visit)
    {
        foreach (var (binding, subject) in policy.BindingsFor(user, ns))
        {
            var (rules, error) = policy.RulesOf(binding.RoleRef, binding.Namespace, registryNames);
            if (error is not null)
            {
                if (!visit(null, null, null, error))
                {
                    return;
                }

                continue;
            }

            foreach (var rule in rules)
            {
                if (!visit(binding, subject, rule, null))
                {
                    return;
                }
            }
        }
    }

    /// <summary>How apimachinery's error aggregate prints: one message alone, several as <c>[a, b]</c>, repeats dropped.</summary>
    public static string AggregateMessage(IReadOnlyList<string> errors)
    {
        var distinct = errors.Distinct(StringComparer.Ordinal).ToList();
        return distinct.Count == 1 ? distinct[0] : $"[{string.Join(", ", distinct)}]";
    }

    private sealed class ReferenceComparer : IEqualityComparer<IReadOnlyDictionary<string, StoredEntry>?>
    {
        public static readonly ReferenceComparer Instance = new();

        public bool Equals(IReadOnlyDictionary<string, StoredEntry>? x, IReadOnlyDictionary<string, StoredEntry>? y) => ReferenceEquals(x, y);

        public int GetHashCode(IReadOnlyDictionary<string, StoredEntry>? obj) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj!);
    }
}
