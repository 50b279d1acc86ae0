using System.ComponentModel;
using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.OpenApi;
using BindingServer.Kubernetes.Patching;
using BindingServer.Kubernetes.Validation;

namespace BindingServer.Kubernetes.Discovery;

[SchemaName("io.k8s.api.authorization.v1.ResourceAttributes")]
[Description("A resource request to authorize.")]
public sealed class ResourceAttributes
{
    public string? Namespace { get; set; }
    public string? Verb { get; set; }
    public string? Group { get; set; }
    public string? Version { get; set; }
    public string? Resource { get; set; }
    public string? Subresource { get; set; }
    public string? Name { get; set; }
    public FieldSelectorAttributes? FieldSelector { get; set; }
    public LabelSelectorAttributes? LabelSelector { get; set; }
}

[SchemaName("io.k8s.api.authorization.v1.FieldSelectorAttributes")]
[Description("A field selector the request is limited by: raw, or as requirements.")]
public sealed class FieldSelectorAttributes
{
    public string? RawSelector { get; set; }

    [Atomic]
    public List<FieldSelectorRequirement>? Requirements { get; set; }
}

[SchemaName("io.k8s.api.authorization.v1.LabelSelectorAttributes")]
[Description("A label selector the request is limited by: raw, or as requirements.")]
public sealed class LabelSelectorAttributes
{
    public string? RawSelector { get; set; }

    [Atomic]
    public List<LabelRequirement>? Requirements { get; set; }
}

[SchemaName("io.k8s.apimachinery.pkg.apis.meta.v1.FieldSelectorRequirement")]
[Description("One field selector requirement: a key, an operator and values.")]
public sealed class FieldSelectorRequirement
{
    [EmitEmpty]
    public string? Key { get; set; } = "";

    [EmitEmpty]
    public string? Operator { get; set; } = "";

    [Atomic]
    public List<string>? Values { get; set; }
}

[SchemaName("io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement")]
[Description("One label selector requirement: a key, an operator and values.")]
public sealed class LabelRequirement
{
    [EmitEmpty]
    public string? Key { get; set; } = "";

    [EmitEmpty]
    public string? Operator { get; set; } = "";

    [Atomic]
    public List<string>? Values { get; set; }
}

[SchemaName("io.k8s.api.authorization.v1.NonResourceAttributes")]
[Description("A request for a path that is not a resource.")]
public sealed class NonResourceAttributes : IGoValue
{
    public string? Path { get; set; }
    public string? Verb { get; set; }

    /// <summary>How validation errors print it: Go syntax of the internal type.</summary>
    public string GoSyntax() => $"authorization.NonResourceAttributes{{Path:{GoFormat.Quote(Path ?? "")}, Verb:{GoFormat.Quote(Verb ?? "")}}}";
}

[SchemaName("io.k8s.api.authorization.v1.SelfSubjectAccessReviewSpec")]
[Description("What the requesting user asks about: a resource or a non-resource request.")]
public sealed class SelfSubjectAccessReviewSpec
{
    public ResourceAttributes? ResourceAttributes { get; set; }
    public NonResourceAttributes? NonResourceAttributes { get; set; }
}

[SchemaName("io.k8s.api.authorization.v1.SubjectAccessReviewSpec")]
[Description("A request and the user (name, groups, uid, extra) to authorize it for.")]
public sealed class SubjectAccessReviewSpec
{
    public ResourceAttributes? ResourceAttributes { get; set; }
    public NonResourceAttributes? NonResourceAttributes { get; set; }
    public string? User { get; set; }

    [Atomic]
    public List<string>? Groups { get; set; }

    public JsonObject? Extra { get; set; }

    public string? Uid { get; set; }
}

[SchemaName("io.k8s.api.authorization.v1.SubjectAccessReviewStatus")]
[Description("The authorizer's answer.")]
public sealed class SubjectAccessReviewStatus
{
    public bool Allowed { get; set; }
    public bool? Denied { get; set; }
    public string? Reason { get; set; }
    public string? EvaluationError { get; set; }
}

[SchemaName("io.k8s.api.authorization.v1.SelfSubjectAccessReview")]
public sealed class SelfSubjectAccessReview : KubeObject
{
    public SelfSubjectAccessReviewSpec? Spec { get; set; } = new();
    public SubjectAccessReviewStatus? Status { get; set; } = new();
}

[SchemaName("io.k8s.api.authorization.v1.SubjectAccessReview")]
public sealed class SubjectAccessReview : KubeObject
{
    public SubjectAccessReviewSpec? Spec { get; set; } = new();
    public SubjectAccessReviewStatus? Status { get; set; } = new();
}

[SchemaName("io.k8s.api.authorization.v1.LocalSubjectAccessReview")]
public sealed class LocalSubjectAccessReview : KubeObject
{
    public SubjectAccessReviewSpec? Spec { get; set; } = new();
    public SubjectAccessReviewStatus? Status { get; set; } = new();
}

[SchemaName("io.k8s.api.authorization.v1.SelfSubjectRulesReviewSpec")]
public sealed class SelfSubjectRulesReviewSpec
{
    public string? Namespace { get; set; }
}

[SchemaName("io.k8s.api.authorization.v1.ResourceRule")]
public sealed class ResourceRule
{
    [EmitEmpty]
    [Atomic]
    public List<string>? Verbs { get; set; }

    [Atomic]
    public List<string>? ApiGroups { get; set; }

    [Atomic]
    public List<string>? Resources { get; set; }

    [Atomic]
    public List<string>? ResourceNames { get; set; }
}

[SchemaName("io.k8s.api.authorization.v1.NonResourceRule")]
public sealed class NonResourceRule
{
    [EmitEmpty]
    [Atomic]
    public List<string>? Verbs { get; set; }

    [Atomic]
    public List<string>? NonResourceURLs { get; set; }
}

[SchemaName("io.k8s.api.authorization.v1.SubjectRulesReviewStatus")]
public sealed class SubjectRulesReviewStatus
{
    [EmitEmpty]
    [Atomic]
    public List<ResourceRule>? ResourceRules { get; set; }

    [EmitEmpty]
    [Atomic]
    public List<NonResourceRule>? NonResourceRules { get; set; }

    public bool Incomplete { get; set; }
    public string? EvaluationError { get; set; }
}

[SchemaName("io.k8s.api.authorization.v1.SelfSubjectRulesReview")]
public sealed class SelfSubjectRulesReview : KubeObject
{
    public SelfSubjectRulesReviewSpec? Spec { get; set; } = new();
    public SubjectRulesReviewStatus? Status { get; set; } = new();
}
