using System.ComponentModel;
using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Discovery;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.OpenApi;

namespace BindingServer.OpenShift;

// The shapes of OpenShift's review bodies (openshift/api authorization/v1), for the OpenAPI documents. The endpoints
// read the bodies field by field, as openshift-apiserver's decoder reports each field's type error; these types only
// describe them. Like the real types they carry no metadata, and their fields without omitempty are required.

[SchemaName("com.github.openshift.api.authorization.v1.SubjectAccessReview")]
[Description("Whether a user or group may perform an action; answered with a SubjectAccessReviewResponse.")]
[TypeMetaOnly]
public sealed class OpenShiftSubjectAccessReview : OpenShiftSubjectReview;

[SchemaName("com.github.openshift.api.authorization.v1.LocalSubjectAccessReview")]
[Description("Whether a user or group may perform an action in the namespace of the path, which the action's namespace is forced to.")]
[TypeMetaOnly]
public sealed class OpenShiftLocalSubjectAccessReview : OpenShiftSubjectReview;

[SchemaName("com.github.openshift.api.authorization.v1.ResourceAccessReview")]
[Description("Which users and groups may perform an action; answered with a ResourceAccessReviewResponse.")]
[TypeMetaOnly]
public sealed class OpenShiftResourceAccessReview : OpenShiftAccessReview;

[SchemaName("com.github.openshift.api.authorization.v1.LocalResourceAccessReview")]
[Description("Which users and groups may perform an action in the namespace of the path, which the action's namespace is forced to.")]
[TypeMetaOnly]
public sealed class OpenShiftLocalResourceAccessReview : OpenShiftAccessReview;

/// <summary>The subject the subject access reviews check, after their action.</summary>
public abstract class OpenShiftSubjectReview : OpenShiftAccessReview
{
    [EmitEmpty]
    [Required]
    [Description("The user to check; when both user and groups are empty, the requester.")]
    public string? User { get; set; }

    [EmitEmpty]
    [Required]
    [Description("The groups the user belongs to.")]
    public List<string>? Groups { get; set; }

    [EmitEmpty]
    [Required]
    [Description("Scopes to evaluate with; empty means the unscoped permissions of the user and groups.")]
    public List<string>? Scopes { get; set; }
}

/// <summary>The inline <c>Action</c> every access review carries.</summary>
public abstract class OpenShiftAccessReview : KubeObject
{
    [EmitEmpty]
    [Required]
    [Description("The namespace of the action; no namespace and all namespaces are the same.")]
    public string? Namespace { get; set; }

    [EmitEmpty]
    [Required]
    [Description("The verb: get, list, watch, create, update, delete and so on.")]
    public string? Verb { get; set; }

    [EmitEmpty]
    [Required]
    [Description("The API group of the resource.")]
    public string? ResourceAPIGroup { get; set; }

    [EmitEmpty]
    [Required]
    [Description("The API version of the resource.")]
    public string? ResourceAPIVersion { get; set; }

    [EmitEmpty]
    [Required]
    [Description("The resource.")]
    public string? Resource { get; set; }

    [EmitEmpty]
    [Required]
    [Description("The name of the object the action is on, for a get or a delete.")]
    public string? ResourceName { get; set; }

    [EmitEmpty]
    [Required]
    [Description("The path of a non-resource URL.")]
    public string? Path { get; set; }

    [EmitEmpty]
    [Required]
    [Description("Whether the action is on a non-resource URL.")]
    public bool IsNonResourceURL { get; set; }

    [Description("The content of a create or update request; only its presence matters here.")]
    public JsonObject? Content { get; set; }
}

[SchemaName("com.github.openshift.api.authorization.v1.SubjectRulesReview")]
[Description("What another user or group may do in a namespace.")]
[TypeMetaOnly]
public sealed class OpenShiftSubjectRulesReview : KubeObject
{
    [Required]
    [Description("The user, groups and scopes to evaluate.")]
    public OpenShiftSubjectRulesReviewSpec Spec { get; set; } = new();

    [Description("Filled in by the server: the rules that apply.")]
    public OpenShiftSubjectRulesReviewStatus? Status { get; set; }
}

[SchemaName("com.github.openshift.api.authorization.v1.SelfSubjectRulesReview")]
[Description("What the requester may do in a namespace.")]
[TypeMetaOnly]
public sealed class OpenShiftSelfSubjectRulesReview : KubeObject
{
    [Required]
    [Description("The scopes to evaluate.")]
    public OpenShiftSelfSubjectRulesReviewSpec Spec { get; set; } = new();

    [Description("Filled in by the server: the rules that apply.")]
    public OpenShiftSubjectRulesReviewStatus? Status { get; set; }
}

[SchemaName("com.github.openshift.api.authorization.v1.SubjectRulesReviewSpec")]
[Description("Whose rules to evaluate; at least one of user and groups.")]
public sealed class OpenShiftSubjectRulesReviewSpec
{
    [EmitEmpty]
    [Required]
    [Description("The user.")]
    public string? User { get; set; }

    [EmitEmpty]
    [Required]
    [Description("The groups the user belongs to.")]
    public List<string>? Groups { get; set; }

    [EmitEmpty]
    [Required]
    [Description("Scopes to evaluate with; empty means the unscoped permissions.")]
    public List<string>? Scopes { get; set; }
}

[SchemaName("com.github.openshift.api.authorization.v1.SelfSubjectRulesReviewSpec")]
[Description("How to evaluate the requester's rules.")]
public sealed class OpenShiftSelfSubjectRulesReviewSpec
{
    [EmitEmpty]
    [Required]
    [Description("Scopes to evaluate with; empty means the unscoped permissions, none means the request's own.")]
    public List<string>? Scopes { get; set; }
}

[SchemaName("com.github.openshift.api.authorization.v1.SubjectRulesReviewStatus")]
[Description("The rules of a rules review.")]
public sealed class OpenShiftSubjectRulesReviewStatus
{
    [EmitEmpty]
    [Required]
    [Description("The rules that apply to the subject in the namespace.")]
    public List<OpenShiftPolicyRule>? Rules { get; set; }

    [Description("Set when some rules could not be resolved, such as a binding to a missing role.")]
    public string? EvaluationError { get; set; }
}

/// <summary>OpenShift's reviews as create-only kinds of <c>authorization.openshift.io/v1</c>, for the OpenAPI documents.</summary>
public static class OpenShiftReviewKinds
{
    private const string Group = OpenShiftRoleBindingStrategy.Group;

    public static IEnumerable<ResourceDefinition> Definitions { get; } =
    [
        ReviewBodies.Definition<OpenShiftSubjectAccessReview>(Group, "SubjectAccessReview", "subjectaccessreviews", false),
        ReviewBodies.Definition<OpenShiftLocalSubjectAccessReview>(Group, "LocalSubjectAccessReview", "localsubjectaccessreviews", true),
        // The real server advertises this singular name (a copy-and-paste slip upstream); clients only ever see it in discovery.
        ReviewBodies.Definition<OpenShiftResourceAccessReview>(Group, "ResourceAccessReview", "resourceaccessreviews", false) with { Singular = "localresourceaccessreview" },
        ReviewBodies.Definition<OpenShiftLocalResourceAccessReview>(Group, "LocalResourceAccessReview", "localresourceaccessreviews", true),
        ReviewBodies.Definition<OpenShiftSubjectRulesReview>(Group, "SubjectRulesReview", "subjectrulesreviews", true),
        ReviewBodies.Definition<OpenShiftSelfSubjectRulesReview>(Group, "SelfSubjectRulesReview", "selfsubjectrulesreviews", true),
    ];
}
