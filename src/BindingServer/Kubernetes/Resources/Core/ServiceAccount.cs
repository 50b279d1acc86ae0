using System.ComponentModel;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.OpenApi;
using BindingServer.Kubernetes.Patching;
using BindingServer.Kubernetes.Tables;
using BindingServer.Kubernetes.Validation;
using BindingServer.Kubernetes.Protobuf;

namespace BindingServer.Kubernetes.Resources.Core;

[SchemaName("io.k8s.api.core.v1.ServiceAccount")]
[Description("An identity for processes that run in pods; it authenticates with the tokens the TokenRequest API issues for it.")]
public sealed class ServiceAccount : KubeObject
{
    [MergeKey("name")]
    [Description("Secrets in the same namespace that pods running as this account may use (legacy; request tokens with TokenRequest instead).")]
    public List<ObjectReference>? Secrets { get; set; }

    [Atomic]
    [Description("Secrets used to pull the images of pods that run as this account.")]
    public List<LocalObjectReference>? ImagePullSecrets { get; set; }

    [Description("Whether pods running as this account get an API token mounted automatically.")]
    public bool? AutomountServiceAccountToken { get; set; }
}

/// <summary>Service accounts (<c>pkg/registry/core/serviceaccount</c>): a DNS subdomain name and the apiserver's printed columns.</summary>
public sealed class ServiceAccountStrategy : ResourceStrategy<ServiceAccount>
{
    /// <summary>The account the service-account controller keeps in every namespace.</summary>
    public const string DefaultName = "default";

    public static ResourceDefinition Definition { get; } = new()
    {
        Group = "",
        Version = "v1",
        Kind = "ServiceAccount",
        Plural = "serviceaccounts",
        Singular = "serviceaccount",
        Namespaced = true,
        ShortNames = ["sa"],
        Strategy = new ServiceAccountStrategy(),
        Protobuf = ProtoSchemas.ServiceAccount,
    };

    public override TableDefinition Table { get; } = new([
        TableDefinition.NameColumn,
        new TableColumn("Secrets", "string", "",
            "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use. Pods are only limited to this list if this service account has a \"kubernetes.io/enforce-mountable-secrets\" annotation set to \"true\". The \"kubernetes.io/enforce-mountable-secrets\" annotation is deprecated since v1.32. Prefer separate namespaces to isolate access to mounted secrets. This field should not be used to find auto-generated service account token secrets for use outside of pods. Instead, tokens can be requested directly using the TokenRequest API, or service account token secrets can be manually created. More info: https://kubernetes.io/docs/concepts/configuration/secret",
            0, (o, _) => (long)(((ServiceAccount)o).Secrets?.Count ?? 0)),
        TableDefinition.AgeColumn,
    ]);

    protected override IReadOnlyList<FieldError> Validate(ServiceAccount obj) =>
        MetadataValidation.ValidateCreate(obj.Metadata, namespaced: true, NameRule);

    protected override IReadOnlyList<FieldError> ValidateUpdate(ServiceAccount obj, ServiceAccount old) =>
        MetadataValidation.ValidateUpdate(obj.Metadata, old.Metadata);

    /// <summary>A fresh <c>default</c> account for a namespace, as the service-account controller creates it.</summary>
    public static ServiceAccount DefaultFor(string ns) => new()
    {
        Kind = "ServiceAccount", ApiVersion = "v1", Metadata = new ObjectMeta { Name = DefaultName, Namespace = ns },
    };
}
