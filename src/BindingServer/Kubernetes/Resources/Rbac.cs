using System.ComponentModel;
using BindingServer.Kubernetes.OpenApi;
using BindingServer.Kubernetes.Tables;
using BindingServer.Kubernetes.Validation;

namespace BindingServer.Kubernetes.Resources;

[SchemaName("io.k8s.api.rbac.v1.Subject")]
[Description("Who a binding grants its role to: a user, a group or a service account.")]
public sealed class Subject
{
    [Required]
    [Description("The kind of subject: User, Group or ServiceAccount.")]
    public string? Kind { get; set; }

    [Description("The API group of the subject: rbac.authorization.k8s.io for users and groups (the default), empty for service accounts.")]
    public string? ApiGroup { get; set; }

    [Required]
    [Description("The subject's name.")]
    public string? Name { get; set; }

    [Description("The namespace of a service account; required for service accounts in cluster role bindings. Not used for users and groups.")]
    public string? Namespace { get; set; }
}

[SchemaName("io.k8s.api.rbac.v1.RoleRef")]
[Description("The role a binding grants.")]
public sealed class RoleRef : IGoValue
{
    [Required]
    [Description("The API group of the role; rbac.authorization.k8s.io.")]
    public string? ApiGroup { get; set; }

    [Required]
    [Description("The kind of role: ClusterRole, or for role bindings also Role.")]
    public string? Kind { get; set; }

    [Required]
    [Description("The role's name. The role does not have to exist yet.")]
    public string? Name { get; set; }

    /// <summary>How the immutability error prints it: Go syntax of the internal type.</summary>
    public string GoSyntax() =>
        $"rbac.RoleRef{{APIGroup:{GoFormat.Quote(ApiGroup ?? "")}, Kind:{GoFormat.Quote(Kind ?? "")}, Name:{GoFormat.Quote(Name ?? "")}}}";

    public bool SameAs(RoleRef other) =>
        (ApiGroup ?? "") == (other.ApiGroup ?? "") && (Kind ?? "") == (other.Kind ?? "") && (Name ?? "") == (other.Name ?? "");
}

/// <summary>The shape both binding kinds share.</summary>
public interface IRoleBinding
{
    List<Subject>? Subjects { get; }
    RoleRef RoleRef { get; }
}

/// <summary>Defaults, validation and printing shared by the RBAC kinds (<c>pkg/apis/rbac</c>).</summary>
public static class Rbac
{
    public const string Group = "rbac.authorization.k8s.io";

    public static void DefaultBinding(RoleRef roleRef, List<Subject>? subjects)
    {
        if (string.IsNullOrEmpty(roleRef.ApiGroup))
        {
            roleRef.ApiGroup = Group;
        }

        foreach (var subject in subjects ?? [])
        {
            if (string.IsNullOrEmpty(subject.ApiGroup) && subject.Kind is "User" or "Group")
            {
                subject.ApiGroup = Group;
            }
        }
    }

    public static IEnumerable<FieldError> RoleRefNameErrors(RoleRef roleRef) =>
        string.IsNullOrEmpty(roleRef.Name)
            ? [FieldError.Required("roleRef.name")]
            : NameRules.PathSegment(roleRef.Name, false).Select(m => FieldError.Invalid("roleRef.name", roleRef.Name, m));

    public static IEnumerable<FieldError> SubjectErrors(List<Subject>? subjects, bool namespaced) =>
        (subjects ?? []).SelectMany((subject, i) => ValidateSubject(subject, namespaced, $"subjects[{i}]"));

    private static IEnumerable<FieldError> ValidateSubject(Subject subject, bool namespaced, string path)
    {
        if (string.IsNullOrEmpty(subject.Name))
        {
            yield return FieldError.Required($"{path}.name");
        }

        switch (subject.Kind)
        {
            case "ServiceAccount":
                if (!string.IsNullOrEmpty(subject.Name))
                {
                    foreach (var message in NameRules.Dns1123SubdomainName(subject.Name, false))
                    {
                        yield return FieldError.Invalid($"{path}.name", subject.Name, message);
                    }
                }

                if (!string.IsNullOrEmpty(subject.ApiGroup))
                {
                    yield return FieldError.NotSupported($"{path}.apiGroup", subject.ApiGroup, "");
                }

                if (!namespaced && string.IsNullOrEmpty(subject.Namespace))
                {
                    yield return FieldError.Required($"{path}.namespace");
                }

                break;
            case "User":
            case "Group":
                if (subject.ApiGroup != Group)
                {
                    yield return FieldError.NotSupported($"{path}.apiGroup", subject.ApiGroup ?? "", Group);
                }

                break;
            default:
                yield return FieldError.NotSupported($"{path}.kind", subject.Kind ?? "", "ServiceAccount", "User", "Group");
                break;
        }
    }

    public static IEnumerable<FieldError> RoleRefUnchanged(RoleRef updated, RoleRef old)
    {
        if (!updated.SameAs(old))
        {
            yield return FieldError.Invalid("roleRef", updated, "cannot change roleRef");
        }
    }

    public static TableDefinition BindingTable(string kindWord, string roleDescription) => new([
        TableDefinition.NameColumn,
        new TableColumn("Role", "string", "", roleDescription, 0,
            (o, _) => $"{((IRoleBinding)o).RoleRef.Kind}/{((IRoleBinding)o).RoleRef.Name}"),
        TableDefinition.AgeColumn,
        new TableColumn("Users", "string", "", $"Users in the {kindWord}", 1, (o, _) => Names(o, "User")),
        new TableColumn("Groups", "string", "", $"Groups in the {kindWord}", 1, (o, _) => Names(o, "Group")),
        new TableColumn("ServiceAccounts", "string", "", $"ServiceAccounts in the {kindWord}", 1, (o, _) =>
            string.Join(", ", SubjectsOf(o).Where(s => s.Kind == "ServiceAccount").Select(s => $"{s.Namespace}/{s.Name}"))),
    ]);

    private static List<Subject> SubjectsOf(object binding) => ((IRoleBinding)binding).Subjects ?? [];

    private static string Names(object binding, string kind) =>
        string.Join(", ", SubjectsOf(binding).Where(s => s.Kind == kind).Select(s => s.Name));
}
