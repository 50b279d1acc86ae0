using System.Text.Json.Nodes;
using BindingServer.Documentation;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Authentication;
using BindingServer.Kubernetes.Authorization;
using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.Selectors;
using BindingServer.Kubernetes.Validation;
using BindingServer.Kubernetes.Protobuf;

namespace BindingServer.Kubernetes.Discovery;

/// <summary>
/// <c>authorization.k8s.io/v1</c>: the access reviews (self, subject, local) answered by the RBAC authorizer, and the
/// self rules review answered from the rules the user's bindings grant, as kube-apiserver's registry does
/// (<c>pkg/registry/authorization/*</c>). <c>kubectl auth can-i</c> and <c>can-i --list</c> use them.
/// </summary>
public static class AccessReviewEndpoints
{
    private const string Group = "authorization.k8s.io";

    private static readonly ResourceDefinition SelfAccess = ReviewBodies.Definition<SelfSubjectAccessReview>(Group, "SelfSubjectAccessReview", "selfsubjectaccessreviews", false) with { Protobuf = ProtoSchemas.SelfSubjectAccessReview };
    private static readonly ResourceDefinition SubjectAccess = ReviewBodies.Definition<SubjectAccessReview>(Group, "SubjectAccessReview", "subjectaccessreviews", false);
    private static readonly ResourceDefinition LocalAccess = ReviewBodies.Definition<LocalSubjectAccessReview>(Group, "LocalSubjectAccessReview", "localsubjectaccessreviews", true);
    private static readonly ResourceDefinition SelfRules = ReviewBodies.Definition<SelfSubjectRulesReview>(Group, "SelfSubjectRulesReview", "selfsubjectrulesreviews", false) with { Protobuf = ProtoSchemas.SelfSubjectRulesReview };

    /// <summary>The reviews as create-only kinds, for the OpenAPI documents.</summary>
    public static IEnumerable<ResourceDefinition> Definitions =>
        [SelfAccess, SubjectAccess, LocalAccess, SelfRules, SelfSubjectReviewEndpoint.Definition, TokenReviewEndpoint.Definition];

    public static IEndpointRouteBuilder MapAccessReviews(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup($"/apis/{Group}/v1").WithTags($"{Group}/v1");
        group.MapPost("/selfsubjectaccessreviews", (HttpContext c, RbacAuthorizer authorizer, TimeProvider clock) => SelfAccessAsync(c, authorizer, clock))
            .WithMetadata(AccessDoc);
        group.MapPost("/subjectaccessreviews", (HttpContext c, RbacAuthorizer authorizer, TimeProvider clock) => SubjectAccessAsync(c, authorizer, clock, null))
            .WithMetadata(AccessDoc);
        group.MapPost("/namespaces/{namespace}/localsubjectaccessreviews",
                (HttpContext c, RbacAuthorizer authorizer, TimeProvider clock, string @namespace) => SubjectAccessAsync(c, authorizer, clock, @namespace))
            .WithMetadata(AccessDoc);
        group.MapPost("/selfsubjectrulesreviews", (HttpContext c, RbacAuthorizer authorizer) => SelfRulesAsync(c, authorizer))
            .WithMetadata(RulesDoc);
        app.MapSelfSubjectReview();
        app.MapTokenReview();
        return app;
    }

    private static readonly ApiDoc AccessDoc = new("Ask the RBAC authorizer whether a user may do something; the review comes back with its status", [],
        [new(201, "The review with status.allowed and the reason the authorizer gave", null)]);

    private static readonly ApiDoc RulesDoc = new("List what the requesting user may do in spec.namespace, from the rules of the bindings naming them", [],
        [new(201, "The review with status.resourceRules and status.nonResourceRules", null)]);

    private static async Task SelfAccessAsync(HttpContext context, RbacAuthorizer authorizer, TimeProvider clock)
    {
        var (review, options, warnings) = await ReviewBodies.ReadAsync<SelfSubjectAccessReview>(context, SelfAccess);
        review.Metadata.Namespace = null;
        review.Spec ??= new();
        review.Status ??= new();
        review.Metadata.ManagedFields = ReviewBodies.ManagedFieldsFor(review, new SelfSubjectAccessReview(), options.FieldManager, clock);

        var errors = AccessSpecErrors(review.Spec.ResourceAttributes, review.Spec.NonResourceAttributes, null);
        if (!ReviewBodies.MetadataEmpty(review.Metadata, ignoreNamespace: false))
        {
            errors.Add(FieldError.Invalid("metadata", new GoObjectMeta(review.Metadata), "must be empty"));
        }

        if (errors.Count > 0)
        {
            throw StatusErrors.Invalid("", Group, "", errors);
        }

        review.Status = Decide(authorizer, context.User(), review.Spec.ResourceAttributes, review.Spec.NonResourceAttributes);
        await ReviewBodies.WriteAsync(context, review, warnings);
    }

    /// <summary>SubjectAccessReview, or with a namespace its local form (which must ask about that namespace only).</summary>
    private static async Task SubjectAccessAsync(HttpContext context, RbacAuthorizer authorizer, TimeProvider clock, string? ns)
    {
        KubeObject review;
        SubjectAccessReviewSpec spec;
        List<string> warnings;
        if (ns is null)
        {
            var (sar, options, found) = await ReviewBodies.ReadAsync<SubjectAccessReview>(context, SubjectAccess);
            sar.Metadata.Namespace = null;
            spec = sar.Spec ??= new();
            ReviewBodies.CheckExtra(SubjectAccess, spec.Extra);
            spec.Extra = spec.Extra is null ? null : ReviewBodies.SortedExtra(spec.Extra);
            sar.Status ??= new();
            sar.Metadata.ManagedFields = ReviewBodies.ManagedFieldsFor(sar, new SubjectAccessReview(), options.FieldManager, clock);
            (review, warnings) = (sar, found);
        }
        else
        {
            var (local, options, found) = await ReviewBodies.ReadAsync<LocalSubjectAccessReview>(context, LocalAccess);
            spec = local.Spec ??= new();
            ReviewBodies.CheckExtra(LocalAccess, spec.Extra);
            spec.Extra = spec.Extra is null ? null : ReviewBodies.SortedExtra(spec.Extra);
            ReviewBodies.AssignNamespace(local.Metadata, ns);
            local.Status ??= new();
            local.Metadata.ManagedFields = ReviewBodies.ManagedFieldsFor(local, new LocalSubjectAccessReview(), options.FieldManager, clock);
            (review, warnings) = (local, found);
        }

        var errors = AccessSpecErrors(spec.ResourceAttributes, spec.NonResourceAttributes, spec);
        if (ns is null)
        {
            if (!ReviewBodies.MetadataEmpty(review.Metadata, ignoreNamespace: false))
            {
                errors.Add(FieldError.Invalid("metadata", new GoObjectMeta(review.Metadata), "must be empty"));
            }
        }
        else
        {
            if (!ReviewBodies.MetadataEmpty(review.Metadata, ignoreNamespace: true))
            {
                errors.Add(FieldError.Invalid("metadata", new GoObjectMeta(review.Metadata), "must be empty except for namespace"));
            }

            if (spec.ResourceAttributes is { } attributes && (attributes.Namespace ?? "") != (review.Metadata.Namespace ?? ""))
            {
                errors.Add(FieldError.Invalid("spec.resourceAttributes.namespace", attributes.Namespace ?? "", "must match metadata.namespace"));
            }

            if (spec.NonResourceAttributes is { } nonResource)
            {
                errors.Add(FieldError.Invalid("spec.nonResourceAttributes", nonResource, "disallowed on this kind of request"));
            }
        }

        if (errors.Count > 0)
        {
            throw StatusErrors.Invalid("", Group, "", errors);
        }

        var user = UserInfo.Of(spec.User ?? "", spec.Groups ?? [], spec.Uid ?? "", ReviewBodies.ExtraOf(spec.Extra));
        var status = Decide(authorizer, user, spec.ResourceAttributes, spec.NonResourceAttributes);
        if (review is SubjectAccessReview cluster)
        {
            cluster.Status = status;
        }
        else
        {
            ((LocalSubjectAccessReview)review).Status = status;
        }

        await ReviewBodies.WriteAsync(context, review, warnings);
    }

    /// <summary>
    /// The spec checks every access review shares (<c>ValidateSubjectAccessReviewSpec</c> and its self variant); the
    /// user-or-groups rule only when <paramref name="subject"/> is given.
    /// </summary>
    private static List<FieldError> AccessSpecErrors(ResourceAttributes? resource, NonResourceAttributes? nonResource, SubjectAccessReviewSpec? subject)
    {
        var errors = new List<FieldError>();
        if (resource is not null && nonResource is not null)
        {
            errors.Add(FieldError.Invalid("spec.nonResourceAttributes", nonResource, "cannot be specified in combination with resourceAttributes"));
        }

        if (resource is null && nonResource is null)
        {
            // The bad value is a nil pointer, which the apiserver prints as the quoted word.
            errors.Add(FieldError.Invalid("spec.resourceAttributes", "null", "exactly one of nonResourceAttributes or resourceAttributes must be specified"));
        }

        if (subject is not null && string.IsNullOrEmpty(subject.User) && subject.Groups is not { Count: > 0 })
        {
            errors.Add(FieldError.Invalid("spec.user", subject.User ?? "", "at least one of user or group must be specified"));
        }

        if (resource is not null)
        {
            errors.AddRange(SelectorErrors(resource));
        }

        return errors;
    }

    private static IEnumerable<FieldError> SelectorErrors(ResourceAttributes attributes)
    {
        if (attributes.FieldSelector is { } fields)
        {
            const string path = "spec.resourceAttributes.fieldSelector";
            foreach (var error in SelectorShapeErrors(path, fields.RawSelector, fields.Requirements?.Count ?? 0))
            {
                yield return error;
            }

            for (var i = 0; i < (fields.Requirements?.Count ?? 0); i++)
            {
                var requirement = fields.Requirements![i];
                var at = $"{path}.requirements[{i}]";
                if (string.IsNullOrEmpty(requirement.Key))
                {
                    yield return FieldError.Required($"{at}.key", "must be specified");
                }

                foreach (var error in OperatorErrors(at, requirement.Operator, requirement.Values?.Count ?? 0))
                {
                    yield return error;
                }
            }
        }

        if (attributes.LabelSelector is { } labels)
        {
            const string path = "spec.resourceAttributes.labelSelector";
            foreach (var error in SelectorShapeErrors(path, labels.RawSelector, labels.Requirements?.Count ?? 0))
            {
                yield return error;
            }

            for (var i = 0; i < (labels.Requirements?.Count ?? 0); i++)
            {
                var requirement = labels.Requirements![i];
                var at = $"{path}.requirements[{i}]";
                foreach (var error in OperatorErrors(at, requirement.Operator, requirement.Values?.Count ?? 0))
                {
                    yield return error;
                }

                foreach (var message in NameRules.IsQualifiedName(requirement.Key ?? ""))
                {
                    yield return FieldError.Invalid($"{at}.key", requirement.Key ?? "", message);
                }

                for (var v = 0; v < (requirement.Values?.Count ?? 0); v++)
                {
                    foreach (var message in NameRules.IsLabelValue(requirement.Values![v]))
                    {
                        yield return FieldError.Invalid($"{at}.values[{v}]", requirement.Values[v], message);
                    }
                }
            }
        }
    }

    private static IEnumerable<FieldError> SelectorShapeErrors(string path, string? raw, int requirements)
    {
        if (!string.IsNullOrEmpty(raw) && requirements > 0)
        {
            yield return FieldError.Invalid($"{path}.rawSelector", raw, "may not specified at the same time as requirements");
        }

        if (string.IsNullOrEmpty(raw) && requirements == 0)
        {
            yield return FieldError.Required($"{path}.requirements", $"when {path} is specified, requirements or rawSelector is required");
        }
    }

    /// <summary>Operator checks that let operators the server does not know through (newer clients may send them).</summary>
    private static IEnumerable<FieldError> OperatorErrors(string at, string? op, int values)
    {
        switch (op)
        {
            case "In" or "NotIn" when values == 0:
                yield return FieldError.Required($"{at}.values", "must be specified when `operator` is 'In' or 'NotIn'");
                break;
            case "Exists" or "DoesNotExist" when values > 0:
                yield return FieldError.Forbidden($"{at}.values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
                break;
        }
    }

    /// <summary>The authorizer's answer as the review's status; selectors it had to ignore are noted in evaluationError.</summary>
    private static SubjectAccessReviewStatus Decide(RbacAuthorizer authorizer, UserInfo user, ResourceAttributes? resource, NonResourceAttributes? nonResource)
    {
        var attributes = resource is not null
            ? new RequestAttributes
            {
                User = user, Verb = resource.Verb ?? "", IsResourceRequest = true, Namespace = resource.Namespace ?? "", ApiGroup = resource.Group ?? "",
                ApiVersion = string.IsNullOrEmpty(resource.Version) ? "*" : resource.Version, Resource = resource.Resource ?? "",
                Subresource = resource.Subresource ?? "", Name = resource.Name ?? "",
            }
            : new RequestAttributes { User = user, Verb = nonResource!.Verb ?? "", Path = nonResource.Path ?? "" };
        var decision = authorizer.Authorize(attributes);
        var evaluation = resource is null ? "" : SelectorEvaluationErrors(resource);
        return new SubjectAccessReviewStatus
        {
            Allowed = decision.Allowed,
            Reason = decision.Reason.Length == 0 ? null : decision.Reason,
            EvaluationError = evaluation.Length == 0 ? null : evaluation,
        };
    }

    /// <summary>
    /// What <c>BuildEvaluationError</c> adds for selectors that passed validation but cannot be used: unparsable raw
    /// selectors, and requirements with operators the authorizer's selector types do not take.
    /// </summary>
    private static string SelectorEvaluationErrors(ResourceAttributes attributes)
    {
        var notes = new List<string>();
        if (attributes.FieldSelector is { } fields)
        {
            var (parsed, failed) = (0, false);
            if (fields.Requirements is { Count: > 0 } requirements)
            {
                foreach (var requirement in requirements)
                {
                    // The authorizer's field requirements take one value, and only equality (In) or inequality (NotIn).
                    var usable = requirement.Operator is "In" or "NotIn" && requirement.Values?.Count == 1;
                    (parsed, failed) = usable ? (parsed + 1, failed) : (parsed, true);
                }
            }
            else if (!string.IsNullOrEmpty(fields.RawSelector))
            {
                failed = !Parses(() => FieldSelector.Parse(fields.RawSelector));
            }

            if (failed)
            {
                notes.Add($"spec.resourceAttributes.fieldSelector {(parsed > 0 ? "partially ignored" : "ignored")} due to parse error");
            }
        }

        if (attributes.LabelSelector is { } labels)
        {
            var (parsed, failed) = (0, false);
            if (labels.Requirements is { Count: > 0 } requirements)
            {
                foreach (var requirement in requirements)
                {
                    var usable = requirement.Operator is "In" or "NotIn" or "Exists" or "DoesNotExist";
                    (parsed, failed) = usable ? (parsed + 1, failed) : (parsed, true);
                }
            }
            else if (!string.IsNullOrEmpty(labels.RawSelector))
            {
                failed = !Parses(() => LabelSelector.Parse(labels.RawSelector));
            }

            if (failed)
            {
                notes.Add($"spec.resourceAttributes.labelSelector {(parsed > 0 ? "partially ignored" : "ignored")} due to parse error");
            }
        }

        return string.Join("; ", notes);
    }

    private static bool Parses(Action parse)
    {
        try
        {
            parse();
            return true;
        }
        catch (KubeApiException)
        {
            return false;
        }
    }

    /// <summary>
    /// The self rules review: every rule of every binding naming the user in spec.namespace (cluster bindings first),
    /// unmerged, split into resource and non-resource rules; roles that cannot be found become evaluationError.
    /// </summary>
    private static async Task SelfRulesAsync(HttpContext context, RbacAuthorizer authorizer)
    {
        var (review, _, warnings) = await ReviewBodies.ReadAsync<SelfSubjectRulesReview>(context, SelfRules);
        var ns = review.Spec?.Namespace ?? "";
        if (ns.Length == 0)
        {
            throw StatusErrors.BadRequest("no namespace on request");
        }

        var (rules, errors) = authorizer.RulesFor(context.User(), ns);
        var answer = new SelfSubjectRulesReview
        {
            Kind = SelfRules.Kind,
            ApiVersion = SelfRules.ApiVersion,
            Status = new SubjectRulesReviewStatus
            {
                ResourceRules = rules.Where(r => r.Resources is { Count: > 0 }).Select(r => new ResourceRule
                {
                    Verbs = r.Verbs, ApiGroups = r.ApiGroups, Resources = r.Resources, ResourceNames = r.ResourceNames,
                }).ToList(),
                NonResourceRules = rules.Where(r => r.NonResourceURLs is { Count: > 0 }).Select(r => new NonResourceRule
                {
                    Verbs = r.Verbs, NonResourceURLs = r.NonResourceURLs,
                }).ToList(),
                Incomplete = false,
                EvaluationError = errors.Count == 0 ? null : RbacAuthorizer.AggregateMessage(errors),
            },
        };
        await ReviewBodies.WriteAsync(context, answer, warnings);
    }
}
