using System.ComponentModel;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.OpenApi;
using BindingServer.Kubernetes.Patching;
using BindingServer.Kubernetes.Tables;
using BindingServer.Kubernetes.Validation;
using FluentValidation;
using BindingServer.Kubernetes.Protobuf;

namespace BindingServer.Kubernetes.Resources;

[SchemaName("io.k8s.api.rbac.v1.RoleBinding")]
[Description("Grants the permissions of a Role, or of a ClusterRole within this namespace, to users, groups or service accounts.")]
public sealed class RoleBinding : KubeObject, IRoleBinding
{
    [Atomic]
    [Description("The users, groups and service accounts the role is granted to.")]
    public List<Subject>? Subjects { get; set; }

    [Atomic]
    [Required]
    [Description("The Role in this namespace, or the ClusterRole, granted. It cannot be changed: delete and re-create the binding instead.")]
    public RoleRef RoleRef { get; set; } = new();
}

public sealed class RoleBindingStrategy : ResourceStrategy<RoleBinding>
{
    private static readonly RoleBindingValidator Validator = new();

    public static ResourceDefinition Definition { get; } = new()
    {
        Group = Rbac.Group,
        Version = "v1",
        Kind = "RoleBinding",
        Plural = "rolebindings",
        Singular = "rolebinding",
        Namespaced = true,
        Strategy = new RoleBindingStrategy(),
        Protobuf = ProtoSchemas.RoleBinding,
    };

    public override NameRule NameRule => NameRules.PathSegment;
    public override bool AllowCreateOnUpdate => true;
    public override DeleteResponse DeleteResponse => DeleteResponse.Status;
    public override TableDefinition Table { get; } = Rbac.BindingTable("roleBinding",
        "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error.");

    protected override void ApplyDefaults(RoleBinding obj) => Rbac.DefaultBinding(obj.RoleRef, obj.Subjects);

    protected override IReadOnlyList<FieldError> Validate(RoleBinding obj) =>
        [.. MetadataValidation.ValidateCreate(obj.Metadata, namespaced: true, NameRule), .. Validator.Check(obj)];

    protected override IReadOnlyList<FieldError> ValidateUpdate(RoleBinding obj, RoleBinding old) =>
        [.. Validator.Check(obj), .. MetadataValidation.ValidateUpdate(obj.Metadata, old.Metadata), .. Rbac.RoleRefUnchanged(obj.RoleRef, old.RoleRef)];

    private sealed class RoleBindingValidator : KubeValidator<RoleBinding>
    {
        public RoleBindingValidator()
        {
            RuleFor(b => b.RoleRef.ApiGroup).Equal(Rbac.Group)
                .Reports(b => FieldError.NotSupported("roleRef.apiGroup", b.RoleRef.ApiGroup ?? "", Rbac.Group));
            RuleFor(b => b.RoleRef.Kind).Must(kind => kind is "Role" or "ClusterRole")
                .Reports(b => FieldError.NotSupported("roleRef.kind", b.RoleRef.Kind ?? "", "Role", "ClusterRole"));
            this.Errors(b => Rbac.RoleRefNameErrors(b.RoleRef));
            this.Errors(b => Rbac.SubjectErrors(b.Subjects, namespaced: true));
        }
    }
}
