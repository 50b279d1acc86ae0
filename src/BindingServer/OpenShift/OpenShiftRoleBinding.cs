using System.ComponentModel;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.OpenApi;
using BindingServer.Kubernetes.Resources.Core;
using BindingServer.Kubernetes.Tables;

namespace BindingServer.OpenShift;

/// <summary>
/// <c>authorization.openshift.io/v1</c> RoleBinding and ClusterRoleBinding: a second view of the RBAC bindings, with
/// the legacy <c>userNames</c>/<c>groupNames</c> lists and subjects and roleRef as object references.
/// </summary>
[SchemaName("com.github.openshift.api.authorization.v1.RoleBinding")]
[Description("OpenShift's view of an RBAC role binding: the same object, with the legacy user and group name lists.")]
public sealed class OpenShiftRoleBinding : KubeObject
{
    [EmitEmpty]
    [Description("The users the role is granted to, service accounts as system:serviceaccount:<namespace>:<name>. When userNames or groupNames is sent, subjects is rebuilt from them.")]
    public List<string>? UserNames { get; set; }

    [EmitEmpty]
    [Description("The groups the role is granted to. When userNames or groupNames is sent, subjects is rebuilt from them.")]
    public List<string>? GroupNames { get; set; }

    [EmitEmpty]
    [Kubernetes.OpenApi.Required]
    [Description("The subjects: User, SystemUser, Group, SystemGroup or ServiceAccount references.")]
    public List<ObjectReference>? Subjects { get; set; }

    [EmitEmpty]
    [Kubernetes.OpenApi.Required]
    [Description("The role granted: a ClusterRole when namespace is empty, a Role in the binding's namespace otherwise.")]
    public ObjectReference RoleRef { get; set; } = new();
}

/// <summary>Decoding only: these views are never stored, they convert to and from the RBAC kinds.</summary>
public sealed class OpenShiftRoleBindingStrategy : ResourceStrategy<OpenShiftRoleBinding>
{
    public const string Group = "authorization.openshift.io";

    /// <summary>What OpenShift serves on each of its authorization views (no watch, no deletecollection).</summary>
    internal static readonly string[] Verbs = ["create", "delete", "get", "list", "patch", "update"];

    public static ResourceDefinition RoleBindings { get; } = new()
    {
        Group = Group,
        Version = "v1",
        Kind = "RoleBinding",
        Plural = "rolebindings",
        Singular = "rolebinding",
        Namespaced = true,
        Verbs = Verbs,
        Strategy = new OpenShiftRoleBindingStrategy(),
    };

    public static ResourceDefinition ClusterRoleBindings { get; } = new()
    {
        Group = Group,
        Version = "v1",
        Kind = "ClusterRoleBinding",
        Plural = "clusterrolebindings",
        Singular = "clusterrolebinding",
        Namespaced = false,
        Verbs = Verbs,
        Strategy = new OpenShiftRoleBindingStrategy(),
    };

    private const string UserNamesDoc =
        "UserNames holds all the usernames directly bound to the role. This field should only be specified when supporting legacy clients and servers. See Subjects for further details.";

    private const string GroupNamesDoc =
        "GroupNames holds all the groups directly bound to the role. This field should only be specified when supporting legacy clients and servers. See Subjects for further details.";

    /// <summary>OpenShift's own printer: always wide, no AGE, and a second "Users" column for other subjects.</summary>
    public override TableDefinition Table { get; } = new([
        TableDefinition.NameColumn,
        new TableColumn("Role", "string", "name", "Role name", 0, (o, _) => $"{((OpenShiftRoleBinding)o).RoleRef.Namespace}/{((OpenShiftRoleBinding)o).RoleRef.Name}"),
        new TableColumn("Users", "string", "", UserNamesDoc, 0, (o, _) => Truncated(Subjects(o, "User", "SystemUser").Select(s => s.Name ?? ""))),
        new TableColumn("Groups", "string", "", GroupNamesDoc, 0, (o, _) => Truncated(Subjects(o, "Group", "SystemGroup").Select(s => s.Name ?? ""))),
        new TableColumn("Service Accounts", "string", "", "Service Account names", 0, (o, _) => string.Join(", ",
            Subjects(o, "ServiceAccount").Select(s => string.IsNullOrEmpty(s.Namespace) || s.Namespace == o.Metadata.Namespace ? s.Name : $"{s.Namespace}/{s.Name}"))),
        new TableColumn("Users", "string", "", "Users names", 0, (o, _) => string.Join(", ",
            (((OpenShiftRoleBinding)o).Subjects ?? []).Where(s => s.Kind is not ("User" or "SystemUser" or "Group" or "SystemGroup" or "ServiceAccount"))
                .Select(s => $"{s.Kind}/{s.Namespace}/{s.Name}"))),
    ]);

    private static IEnumerable<ObjectReference> Subjects(KubeObject binding, params string[] kinds) =>
        (((OpenShiftRoleBinding)binding).Subjects ?? []).Where(s => kinds.Contains(s.Kind));

    private static string Truncated(IEnumerable<string> names)
    {
        var all = names.ToList();
        return all.Count <= 5 ? string.Join(", ", all) : $"{string.Join(", ", all.Take(5))} ({all.Count - 5} more)";
    }
}
