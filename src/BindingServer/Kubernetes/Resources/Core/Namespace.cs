using System.ComponentModel;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.OpenApi;
using BindingServer.Kubernetes.Patching;
using BindingServer.Kubernetes.Tables;
using BindingServer.Kubernetes.Validation;
using BindingServer.Kubernetes.Protobuf;

namespace BindingServer.Kubernetes.Resources.Core;

[SchemaName("io.k8s.api.core.v1.Namespace")]
[Description("A scope for names; namespaced objects live in one.")]
public sealed class Namespace : KubeObject
{
    [Description("The namespace's finalizers.")]
    public NamespaceSpec? Spec { get; set; }

    [Description("Whether the namespace is Active or Terminating.")]
    public NamespaceStatus? Status { get; set; }
}

[SchemaName("io.k8s.api.core.v1.NamespaceSpec")]
[Description("The desired state of a namespace.")]
public sealed class NamespaceSpec
{
    [Atomic]
    [Description("Cleanups that must finish before the namespace is removed; \"kubernetes\" stands for deleting its contents.")]
    public List<string>? Finalizers { get; set; }
}

[SchemaName("io.k8s.api.core.v1.NamespaceStatus")]
[Description("The observed state of a namespace.")]
public sealed class NamespaceStatus
{
    [Description("Active, or Terminating while the namespace's contents are deleted.")]
    public string? Phase { get; set; }

    [Description("Conditions of the namespace's deletion.")]
    public System.Text.Json.Nodes.JsonArray? Conditions { get; set; }
}

/// <summary>Namespaces (<c>pkg/registry/core/namespace</c>): defaults, the finalizer-driven deletion and the immortal ones.</summary>
public sealed class NamespaceStrategy : ResourceStrategy<Namespace>
{
    public const string MetadataNameLabel = "kubernetes.io/metadata.name";
    public const string ContentFinalizer = "kubernetes";

    /// <summary>The namespaces a cluster starts with; the first three can never be deleted.</summary>
    public static readonly string[] Initial = ["default", "kube-node-lease", "kube-public", "kube-system"];

    private static readonly HashSet<string> Immortal = ["default", "kube-system", "kube-public"];

    public static ResourceDefinition Definition { get; } = new()
    {
        Group = "",
        Version = "v1",
        Kind = "Namespace",
        Plural = "namespaces",
        Singular = "namespace",
        Namespaced = false,
        ShortNames = ["ns"],
        Verbs = ["create", "delete", "get", "list", "patch", "update", "watch"],
        HasStatus = true,
        Strategy = new NamespaceStrategy(),
        Protobuf = ProtoSchemas.Namespace,
    };

    public override NameRule NameRule => NameRules.Dns1123LabelName;

    public override string UnsupportedFieldSelector(string field) => $"field label not supported: {field}";

    public override IReadOnlyDictionary<string, Func<KubeObject, string>> SelectableFields { get; } =
        new Dictionary<string, Func<KubeObject, string>> { ["status.phase"] = o => ((Namespace)o).Status?.Phase ?? "" };

    public override TableDefinition Table { get; } = new([
        TableDefinition.NameColumn,
        new TableColumn("Status", "string", "", "The status of the namespace", 0, (o, _) => ((Namespace)o).Status?.Phase ?? ""),
        TableDefinition.AgeColumn,
    ]);

    protected override void ApplyDefaults(Namespace ns)
    {
        if (!string.IsNullOrEmpty(ns.Metadata.Name))
        {
            ns.Metadata.Labels ??= [];
            ns.Metadata.Labels[MetadataNameLabel] = ns.Metadata.Name;
        }
    }

    protected override void PrepareForCreate(Namespace ns)
    {
        ns.Status = new NamespaceStatus { Phase = "Active" };
        ns.Spec ??= new NamespaceSpec();
        if (!(ns.Spec.Finalizers ?? []).Contains(ContentFinalizer))
        {
            ns.Spec.Finalizers = [.. ns.Spec.Finalizers ?? [], ContentFinalizer];
        }
    }

    /// <summary>Only <c>namespaces/finalize</c> and <c>namespaces/status</c> change these.</summary>
    protected override void PrepareForUpdate(Namespace ns, Namespace old)
    {
        ns.Spec = old.Spec;
        ns.Status = old.Status;
    }

    protected override IReadOnlyList<FieldError> Validate(Namespace ns) =>
        MetadataValidation.ValidateCreate(ns.Metadata, namespaced: false, NameRule);

    protected override IReadOnlyList<FieldError> ValidateUpdate(Namespace ns, Namespace old) =>
        MetadataValidation.ValidateUpdate(ns.Metadata, old.Metadata);

    protected override DeletePlan PlanDelete(Namespace ns, DeleteOptions options, DateTimeOffset now)
    {
        if (Immortal.Contains(ns.Metadata.Name ?? ""))
        {
            throw StatusErrors.Forbidden(Definition.GroupResource, ns.Metadata.Name!, "this namespace may not be deleted");
        }

        if (ns.Metadata.DeletionTimestamp is not null)
        {
            throw StatusErrors.Conflict(Definition.GroupResource, ns.Metadata.Name!,
                "The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.");
        }

        if ((ns.Spec?.Finalizers?.Count ?? 0) == 0)
        {
            return DeletePlan.Now;
        }

        ns.Status = new NamespaceStatus { Phase = "Terminating" };
        return new DeletePlan.Graceful(now, 0);
    }

    protected override bool ReadyToRemove(Namespace ns) =>
        (ns.Metadata.Finalizers?.Count ?? 0) == 0 && (ns.Spec?.Finalizers?.Count ?? 0) == 0;
}
