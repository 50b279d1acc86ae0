using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.Resources;
using BindingServer.Kubernetes.Resources.Core;
using BindingServer.Kubernetes.Validation;

namespace BindingServer.OpenShift;

/// <summary>
/// openshift-apiserver's conversions between its bindings and the RBAC ones: the legacy name lists win over
/// subjects, service-account user names become ServiceAccount subjects, roleRef's namespace picks Role or
/// ClusterRole, and User/Group subjects are shown as SystemUser/SystemGroup when their names are not plain.
/// </summary>
public static class RoleBindingConversion
{
    private const string ServiceAccountPrefix = "system:serviceaccount:";
    private const string AutoupdateAnnotation = "rbac.authorization.kubernetes.io/autoupdate";
    private const string ReconcileProtectAnnotation = "openshift.io/reconcile-protect";

    /// <summary>The RBAC subjects and roleRef for an OpenShift binding, or the proxy's plain 500 for what it cannot convert.</summary>
    public static (List<Subject>? Subjects, RoleRef RoleRef) ToRbac(OpenShiftRoleBinding binding, bool clusterScoped)
    {
        var name = binding.Metadata.Name ?? "";
        var ns = binding.Metadata.Namespace ?? "";
        var references = binding.UserNames is not null || binding.GroupNames is not null
            ? BuildSubjects(binding.UserNames ?? [], binding.GroupNames ?? [])
            : binding.Subjects ?? [];

        var subjects = references.Select(reference => reference.Kind switch
        {
            "ServiceAccount" => new Subject { Kind = "ServiceAccount", Name = reference.Name, Namespace = string.IsNullOrEmpty(reference.Namespace) ? null : reference.Namespace },
            "User" or "SystemUser" => new Subject { Kind = "User", ApiGroup = Rbac.Group, Name = reference.Name },
            "Group" or "SystemGroup" => new Subject { Kind = "Group", ApiGroup = Rbac.Group, Name = reference.Name },
            _ => throw StatusErrors.PlainError($"invalid kind for origin subject: \"{reference.Kind}\""),
        }).ToList();

        var refNamespace = binding.RoleRef.Namespace ?? "";
        RoleRef roleRef;
        if (refNamespace.Length == 0)
        {
            roleRef = new RoleRef { ApiGroup = Rbac.Group, Kind = "ClusterRole", Name = binding.RoleRef.Name };
        }
        else if (clusterScoped)
        {
            throw StatusErrors.PlainError($"invalid origin cluster role binding {name}: attempts to reference role in namespace \"{refNamespace}\" instead of cluster scope");
        }
        else if (refNamespace == ns)
        {
            roleRef = new RoleRef { ApiGroup = Rbac.Group, Kind = "Role", Name = binding.RoleRef.Name };
        }
        else
        {
            throw StatusErrors.PlainError($"invalid origin role binding {name}: attempts to reference role in namespace \"{refNamespace}\" instead of current namespace \"{ns}\"");
        }

        return (subjects.Count == 0 ? null : subjects, roleRef);
    }

    /// <summary>BuildSubjects: users (service accounts recognised by name) then groups.</summary>
    private static List<ObjectReference> BuildSubjects(List<string> users, List<string> groups)
    {
        var subjects = new List<ObjectReference>();
        foreach (var user in users)
        {
            if (ParseServiceAccount(user) is { } account)
            {
                subjects.Add(new ObjectReference { Kind = "ServiceAccount", Namespace = account.Namespace, Name = account.Name });
            }
            else
            {
                subjects.Add(new ObjectReference { Kind = IsPlainWriteName(user) ? "User" : "SystemUser", Name = user });
            }
        }

        subjects.AddRange(groups.Select(group => new ObjectReference { Kind = IsPlainWriteName(group) ? "Group" : "SystemGroup", Name = group }));
        return subjects;
    }

    private static (string Namespace, string Name)? ParseServiceAccount(string user)
    {
        if (!user.StartsWith(ServiceAccountPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var parts = user[ServiceAccountPrefix.Length..].Split(':');
        if (parts.Length != 2 || NameRules.IsDns1123Label(parts[0]).Count > 0 || NameRules.IsDns1123Subdomain(parts[1]).Count > 0)
        {
            return null;
        }

        return (parts[0], parts[1]);
    }

    private static bool IsPlainWriteName(string name) =>
        name is not ("." or ".." or "~") && name.IndexOfAny(['/', '%', ':']) < 0;

    private static bool IsPlainReadUser(string name) =>
        name is not ("." or ".." or "~") && name.IndexOfAny(['/', '%']) < 0 &&
        (!name.Contains(':', StringComparison.Ordinal) || name.StartsWith("b64:", StringComparison.Ordinal));

    private static bool IsPlainReadGroup(string name) =>
        name is not ("." or ".." or "~") && name.IndexOfAny(['/', '%', ':']) < 0;

    /// <summary>The OpenShift rendering of an RBAC binding.</summary>
    public static OpenShiftRoleBinding FromRbac(KubeObject rbac, IRoleBinding binding, bool clusterScoped)
    {
        var ns = rbac.Metadata.Namespace ?? "";
        var subjects = (binding.Subjects ?? []).Select(subject => subject.Kind switch
        {
            "ServiceAccount" => new ObjectReference { Kind = "ServiceAccount", Namespace = subject.Namespace, Name = subject.Name },
            "User" => new ObjectReference { Kind = IsPlainReadUser(subject.Name ?? "") ? "User" : "SystemUser", Name = subject.Name },
            "Group" => new ObjectReference { Kind = IsPlainReadGroup(subject.Name ?? "") ? "Group" : "SystemGroup", Name = subject.Name },
            _ => throw StatusErrors.PlainError($"invalid kind for rbac subject: \"{subject.Kind}\""),
        }).ToList();

        var users = new List<string>();
        var groups = new List<string>();
        foreach (var subject in subjects)
        {
            switch (subject.Kind)
            {
                case "ServiceAccount":
                    var accountNamespace = string.IsNullOrEmpty(subject.Namespace) ? (clusterScoped ? null : ns) : subject.Namespace;
                    if (accountNamespace is not null)
                    {
                        users.Add($"{ServiceAccountPrefix}{accountNamespace}:{subject.Name}");
                    }

                    break;
                case "User" or "SystemUser":
                    users.Add(subject.Name ?? "");
                    break;
                default:
                    groups.Add(subject.Name ?? "");
                    break;
            }
        }

        var metadata = FromRbacMetadata(Kubernetes.Json.KubeJson.Clone(rbac.Metadata));
        return new OpenShiftRoleBinding
        {
            Kind = clusterScoped ? "ClusterRoleBinding" : "RoleBinding",
            ApiVersion = $"{OpenShiftRoleBindingStrategy.Group}/v1",
            Metadata = metadata,
            UserNames = users.Count == 0 ? null : users,
            GroupNames = groups.Count == 0 ? null : groups,
            Subjects = subjects,
            RoleRef = new ObjectReference { Namespace = binding.RoleRef.Kind == "Role" ? ns : null, Name = binding.RoleRef.Name },
        };
    }

    /// <summary>The metadata shown through the OpenShift API, with RBAC's autoupdate annotation turned into reconcile-protect.</summary>
    public static ObjectMeta FromRbacMetadata(ObjectMeta metadata)
    {
        metadata.Annotations = MapAnnotations(metadata.Annotations, AutoupdateAnnotation, ReconcileProtectAnnotation);
        return metadata;
    }

    /// <summary>The metadata stored for an OpenShift write, with the reconcile-protect annotation turned into RBAC's autoupdate.</summary>
    public static ObjectMeta ToRbacMetadata(ObjectMeta metadata)
    {
        var copy = Kubernetes.Json.KubeJson.Clone(metadata);
        copy.Annotations = MapAnnotations(copy.Annotations, ReconcileProtectAnnotation, AutoupdateAnnotation);
        return copy;
    }

    /// <summary>Moves a "true"/"false" annotation to its counterpart with the value inverted; other values stay put.</summary>
    private static Dictionary<string, string>? MapAnnotations(Dictionary<string, string>? annotations, string from, string to)
    {
        if (annotations is null || !annotations.TryGetValue(from, out var value) || value is not ("true" or "false"))
        {
            return annotations;
        }

        annotations.Remove(from);
        annotations[to] = value == "true" ? "false" : "true";
        return annotations;
    }
}
