using BindingServer.Kubernetes.Api;
using System.ComponentModel;
using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.OpenApi;
using BindingServer.Kubernetes.Patching;
using BindingServer.Kubernetes.Tables;
using BindingServer.Kubernetes.Validation;
using FluentValidation;
using BindingServer.Kubernetes.Protobuf;

namespace BindingServer.Kubernetes.Resources;

[SchemaName("io.k8s.api.rbac.v1.ClusterRoleBinding")]
[Description("Grants the permissions of a ClusterRole to users, groups or service accounts across the whole cluster.")]
public sealed class ClusterRoleBinding : KubeObject, IRoleBinding
{
    [Atomic]
    [Description("The users, groups and service accounts the role is granted to.")]
    public List<Subject>? Subjects { get; set; }

    [Atomic]
    [Required]
    [Description("The ClusterRole granted. It cannot be changed: delete and re-create the binding instead.")]
    public RoleRef RoleRef { get; set; } = new();
}

public sealed class ClusterRoleBindingStrategy : ResourceStrategy<ClusterRoleBinding>
{
    private static readonly ClusterRoleBindingValidator Validator = new();

    public static ResourceDefinition Definition { get; } = new()
    {
        Group = Rbac.Group,
        Version = "v1",
        Kind = "ClusterRoleBinding",
        Plural = "clusterrolebindings",
        Singular = "clusterrolebinding",
        Namespaced = false,
        Strategy = new ClusterRoleBindingStrategy(),
        Protobuf = ProtoSchemas.RoleBinding,
    };

    public override NameRule NameRule => NameRules.PathSegment;
    public override bool AllowCreateOnUpdate => true;
    public override DeleteResponse DeleteResponse => DeleteResponse.Status;
    public override TableDefinition Table { get; } = Rbac.BindingTable("clusterRoleBinding",
        "RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error.");

    protected override void ApplyDefaults(ClusterRoleBinding obj) => Rbac.DefaultBinding(obj.RoleRef, obj.Subjects);

    protected override IReadOnlyList<FieldError> Validate(ClusterRoleBinding obj) =>
        [.. MetadataValidation.ValidateCreate(obj.Metadata, namespaced: false, NameRule), .. Validator.Check(obj)];

    protected override IReadOnlyList<FieldError> ValidateUpdate(ClusterRoleBinding obj, ClusterRoleBinding old) =>
        [.. Validator.Check(obj), .. MetadataValidation.ValidateUpdate(obj.Metadata, old.Metadata), .. Rbac.RoleRefUnchanged(obj.RoleRef, old.RoleRef)];

    private sealed class ClusterRoleBindingValidator : KubeValidator<ClusterRoleBinding>
    {
        public ClusterRoleBindingValidator()
        {
            RuleFor(b => b.RoleRef.ApiGroup).Equal(Rbac.Group)
                .Reports(b => FieldError.NotSupported("roleRef.apiGroup", b.RoleRef.ApiGroup ?? "", Rbac.Group));
            RuleFor(b => b.RoleRef.Kind).Equal("ClusterRole")
                .Reports(b => FieldError.NotSupported("roleRef.kind", b.RoleRef.Kind ?? "", "ClusterRole"));
            this.Errors(b => Rbac.RoleRefNameErrors(b.RoleRef));
            this.Errors(b => Rbac.SubjectErrors(b.Subjects, namespaced: false));
        }
    }
}
