using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Authentication;
using BindingServer.Kubernetes.Resources;
using BindingServer.Storage;

namespace BindingServer.Kubernetes.Authorization;

/// <summary>One binding as the rule resolver walks it: the binding's namespace is empty for a ClusterRoleBinding.</summary>
public sealed record BindingEntry(string Name, string Namespace, RoleRef RoleRef, IReadOnlyList<Subject> Subjects)
{
    public bool IsClusterBinding => Namespace.Length == 0;

    /// <summary>The first subject that applies to the user, as kube's <c>appliesTo</c> finds it; null when none does.</summary>
    public Subject? SubjectFor(UserInfo user)
    {
        foreach (var subject in Subjects)
        {
            if (UserKeyOf(subject, Namespace) is { } userName ? userName == user.Name
                : subject.Kind == "Group" && user.Groups.Contains(subject.Name ?? "", StringComparer.Ordinal))
            {
                return subject;
            }
        }

        return null;
    }

    /// <summary>
    /// The user name a User or ServiceAccount subject stands for (a service account's namespace defaults to the
    /// binding's; without either it matches nobody). Null for groups and unknown kinds.
    /// </summary>
    public static string? UserKeyOf(Subject subject, string bindingNamespace) => subject.Kind switch
    {
        "User" => subject.Name ?? "",
        "ServiceAccount" when (string.IsNullOrEmpty(subject.Namespace) ? bindingNamespace : subject.Namespace) is { Length: > 0 } ns =>
            UserInfo.ServiceAccountName(ns, subject.Name ?? ""),
        "ServiceAccount" => NobodyKey,
        _ => null,
    };

    /// <summary>The key of a service-account subject without any namespace: no user name can equal it.</summary>
    private const string NobodyKey = "\n";

    /// <summary>How an allowing binding is named in a reason, as kube's binding describers write it.</summary>
    public string Describe(Subject subject)
    {
        var who = subject.Kind == "ServiceAccount"
            ? $"{subject.Kind} \"{subject.Name}/{(string.IsNullOrEmpty(subject.Namespace) ? Namespace : subject.Namespace)}\""
            : $"{subject.Kind} \"{subject.Name}\"";
        return IsClusterBinding
            ? $"ClusterRoleBinding \"{Name}\" of {RoleRef.Kind} \"{RoleRef.Name}\" to {who}"
            : $"RoleBinding \"{Name}/{Namespace}\" of {RoleRef.Kind} \"{RoleRef.Name}\" to {who}";
    }
}

/// <summary>
/// The RBAC objects at one revision, indexed for the authorizer: bindings by the users and groups they name, and the
/// rules of every role decoded once. Rebuilt only when one of the four RBAC resources changes.
/// </summary>
public sealed class RbacPolicy
{
    private readonly List<BindingEntry> _clusterBindings = [];
    private readonly BindingIndex _clusterIndex = new();
    private readonly Dictionary<string, (List<BindingEntry> Bindings, BindingIndex Index)> _namespaceBindings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ClusterRole> _clusterRoles = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Namespace, string Name), Role> _roles = [];

    public static readonly RbacPolicy Empty = new();

    private RbacPolicy()
    {
    }

    public static RbacPolicy Build(Snapshot snapshot)
    {
        var policy = new RbacPolicy();
        foreach (var entry in Entries(snapshot, ClusterRoleStrategy.Definition))
        {
            var role = (ClusterRole)ObjectCodec.Decode(ClusterRoleStrategy.Definition, entry.Body);
            policy._clusterRoles[role.Metadata.Name!] = role;
        }

        foreach (var entry in Entries(snapshot, RoleStrategy.Definition))
        {
            var role = (Role)ObjectCodec.Decode(RoleStrategy.Definition, entry.Body);
            policy._roles[(role.Metadata.Namespace!, role.Metadata.Name!)] = role;
        }

        foreach (var entry in Entries(snapshot, ClusterRoleBindingStrategy.Definition))
        {
            var binding = (ClusterRoleBinding)ObjectCodec.Decode(ClusterRoleBindingStrategy.Definition, entry.Body);
            var item = new BindingEntry(binding.Metadata.Name!, "", binding.RoleRef, binding.Subjects ?? []);
            policy._clusterIndex.Add(item, policy._clusterBindings.Count);
            policy._clusterBindings.Add(item);
        }

        foreach (var entry in Entries(snapshot, RoleBindingStrategy.Definition))
        {
            var binding = (RoleBinding)ObjectCodec.Decode(RoleBindingStrategy.Definition, entry.Body);
            var ns = binding.Metadata.Namespace!;
            if (!policy._namespaceBindings.TryGetValue(ns, out var scope))
            {
                scope = ([], new BindingIndex());
                policy._namespaceBindings[ns] = scope;
            }

            var item = new BindingEntry(binding.Metadata.Name!, ns, binding.RoleRef, binding.Subjects ?? []);
            scope.Index.Add(item, scope.Bindings.Count);
            scope.Bindings.Add(item);
        }

        return policy;
    }

    private static IEnumerable<StoredEntry> Entries(Snapshot snapshot, ResourceDefinition definition) =>
        snapshot.Objects(definition.KeyPrefix)?.Values ?? [];

    public IEnumerable<ClusterRole> ClusterRoles => _clusterRoles.Values;

    public IEnumerable<BindingEntry> ClusterBindings => _clusterBindings;

    public IEnumerable<BindingEntry> BindingsIn(string ns) =>
        _namespaceBindings.TryGetValue(ns, out var scope) ? scope.Bindings : [];

    /// <summary>The ClusterRoleBindings, then the RoleBindings of <paramref name="ns"/>, that name the user, in store order.</summary>
    /// <remarks>
    /// Remembered per identity and namespace for the life of this policy (the objects it was built from), since the same
    /// few identities ask again and again; the memory is bounded by forgetting nothing past a fixed number of identities.
    /// </remarks>
    public IReadOnlyList<(BindingEntry Binding, Subject Subject)> BindingsFor(UserInfo user, string ns)
    {
        var key = (ns, IdentityKey(user));
        if (_matches.TryGetValue(key, out var known))
        {
            return known;
        }

        var found = new List<(BindingEntry, Subject)>();
        Matching(_clusterBindings, _clusterIndex, user, found);
        if (ns.Length > 0 && _namespaceBindings.TryGetValue(ns, out var scope))
        {
            Matching(scope.Bindings, scope.Index, user, found);
        }

        var matches = found.ToArray();
        if (_matches.Count < MaxRememberedIdentities)
        {
            _matches.TryAdd(key, matches);
        }

        return matches;
    }

    private const int MaxRememberedIdentities = 10_000;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Namespace, string Identity), (BindingEntry, Subject)[]> _matches = new();

    private static string IdentityKey(UserInfo user) => user.Groups.Count == 0 ? user.Name : $"{user.Name}\n{string.Join('\n', user.Groups)}";

    private static void Matching(List<BindingEntry> bindings, BindingIndex index, UserInfo user, List<(BindingEntry, Subject)> found)
    {
        foreach (var position in index.Candidates(user))
        {
            var binding = bindings[position];
            if (binding.SubjectFor(user) is { } subject)
            {
                found.Add((binding, subject));
            }
        }
    }

    /// <summary>
    /// The rules a binding's roleRef grants, or the error for a missing role: the authorizer's listers name the resource
    /// in the singular (<c>role.rbac...</c>), the registry the escalation check reads in the plural (<c>roles.rbac...</c>).
    /// </summary>
    public (IReadOnlyList<PolicyRule> Rules, string? Error) RulesOf(RoleRef roleRef, string bindingNamespace, bool registryNames = false) => roleRef.Kind switch
    {
        "ClusterRole" => _clusterRoles.TryGetValue(roleRef.Name ?? "", out var clusterRole)
            ? (clusterRole.Rules ?? [], null)
            : ([], $"{(registryNames ? "clusterroles" : "clusterrole")}.{Rbac.Group} \"{roleRef.Name}\" not found"),
        "Role" => _roles.TryGetValue((bindingNamespace, roleRef.Name ?? ""), out var role)
            ? (role.Rules ?? [], null)
            : ([], $"{(registryNames ? "roles" : "role")}.{Rbac.Group} \"{roleRef.Name}\" not found"),
        _ => ([], $"unsupported role reference kind: \"{roleRef.Kind}\""),
    };

    public ClusterRole? ClusterRole(string name) => _clusterRoles.GetValueOrDefault(name);

    public Role? Role(string ns, string name) => _roles.GetValueOrDefault((ns, name));

    /// <summary>Positions of bindings that may name a user: by user name (service accounts included) and by group.</summary>
    private sealed class BindingIndex
    {
        private readonly Dictionary<string, List<int>> _byUser = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<int>> _byGroup = new(StringComparer.Ordinal);

        public void Add(BindingEntry binding, int position)
        {
            foreach (var subject in binding.Subjects)
            {
                if (BindingEntry.UserKeyOf(subject, binding.Namespace) is { } userName)
                {
                    Append(_byUser, userName, position);
                }
                else if (subject.Kind == "Group")
                {
                    Append(_byGroup, subject.Name ?? "", position);
                }
            }
        }

        private static void Append(Dictionary<string, List<int>> index, string key, int position)
        {
            if (!index.TryGetValue(key, out var positions))
            {
                index[key] = positions = [];
            }

            if (positions.Count == 0 || positions[^1] != position)
            {
                positions.Add(position);
            }
        }

        /// <summary>Positions of the bindings naming the user or one of their groups, in order, each once.</summary>
        public List<int> Candidates(UserInfo user)
        {
            var found = new List<int>();
            if (_byUser.TryGetValue(user.Name, out var byName))
            {
                found.AddRange(byName);
            }

            foreach (var group in user.Groups)
            {
                if (_byGroup.TryGetValue(group, out var byGroup))
                {
                    found.AddRange(byGroup);
                }
            }

            found.Sort();
            var distinct = 0;
            for (var i = 0; i < found.Count; i++)
            {
                if (i == 0 || found[i] != found[i - 1])
                {
                    found[distinct++] = found[i];
                }
            }

            found.RemoveRange(distinct, found.Count - distinct);
            return found;
        }
    }
}
