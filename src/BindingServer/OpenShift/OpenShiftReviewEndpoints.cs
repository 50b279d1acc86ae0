using System.Text.Json;
using System.Text.Json.Nodes;
using BindingServer.Documentation;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Authentication;
using BindingServer.Kubernetes.Authorization;
using BindingServer.Kubernetes.Discovery;
using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Resources;
using BindingServer.Kubernetes.Validation;

namespace BindingServer.OpenShift;

/// <summary>
/// The reviews openshift-apiserver serves in <c>authorization.openshift.io/v1</c>
/// (<c>pkg/authorization/apiserver/registry/*</c>), answered from the same RBAC policy as the Kubernetes ones:
/// can a user do it (subject access), who can do it (resource access), and what may a user do in a namespace (rules).
/// </summary>
public static class OpenShiftReviewEndpoints
{
    private const string Group = OpenShiftRoleBindingStrategy.Group;

    public static IEndpointRouteBuilder Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup($"/apis/{Group}/v1").WithTags($"{Group}/v1");
        group.MapPost("/subjectaccessreviews",
                (HttpContext c, RbacAuthorizer authorizer) => SubjectAccessAsync(c, authorizer, "SubjectAccessReview", null))
            .WithMetadata(AccessDoc);
        group.MapPost("/namespaces/{namespace}/localsubjectaccessreviews",
                (HttpContext c, RbacAuthorizer authorizer, string @namespace) => SubjectAccessAsync(c, authorizer, "LocalSubjectAccessReview", @namespace))
            .WithMetadata(AccessDoc);
        group.MapPost("/resourceaccessreviews",
                (HttpContext c, RbacAuthorizer authorizer) => ResourceAccessAsync(c, authorizer, "ResourceAccessReview", null))
            .WithMetadata(WhoDoc);
        group.MapPost("/namespaces/{namespace}/localresourceaccessreviews",
                (HttpContext c, RbacAuthorizer authorizer, string @namespace) => ResourceAccessAsync(c, authorizer, "LocalResourceAccessReview", @namespace))
            .WithMetadata(WhoDoc);
        group.MapPost("/namespaces/{namespace}/selfsubjectrulesreviews",
                (HttpContext c, RbacAuthorizer authorizer, string @namespace) => RulesAsync(c, authorizer, "SelfSubjectRulesReview", @namespace))
            .WithMetadata(RulesDoc);
        group.MapPost("/namespaces/{namespace}/subjectrulesreviews",
                (HttpContext c, RbacAuthorizer authorizer, string @namespace) => RulesAsync(c, authorizer, "SubjectRulesReview", @namespace))
            .WithMetadata(RulesDoc);
        return app;
    }

    private static readonly ApiDoc AccessDoc = new("Whether a user (the requester when no user or groups are given) may perform an action", [],
        [new(201, "A SubjectAccessReviewResponse", null)]);

    private static readonly ApiDoc WhoDoc = new("Which users and groups may perform an action", [],
        [new(201, "A ResourceAccessReviewResponse", null)]);

    private static readonly ApiDoc RulesDoc = new("The rules a user has in the namespace, broken down, compacted and sorted", [],
        [new(201, "The review with status.rules", null)]);

    /// <summary>The inline <c>Action</c> of the access reviews, as read from the body.</summary>
    private sealed record Action(string Namespace, string Verb, string ApiGroup, string Version, string Resource, string ResourceName, string Path,
        bool IsNonResourceUrl, bool HasContent);

    private static async Task SubjectAccessAsync(HttpContext context, RbacAuthorizer authorizer, string kind, string? ns)
    {
        var review = await ReadAsync(context, kind);
        var action = ActionOf(review, kind);
        var user = Text(review, kind, "user");
        var groups = Texts(review, kind, "groups", "[]string");
        Texts(review, kind, "scopes", "v1.OptionalScopes");
        Validate(action);

        action = Localize(action, ns);
        var requester = context.User();
        var personal = user.Length == 0 && groups is not { Count: > 0 };
        Require(authorizer, requester, action.Namespace, personal
            ? ("authorization.k8s.io", "selfsubjectaccessreviews")
            : ("", "localsubjectaccessreviews"));

        var subject = personal
            ? requester
            : UserInfo.Of(user, (groups ?? []).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList());
        var decision = authorizer.Authorize(Attributes(subject, action));
        var answer = new JsonObject
        {
            ["kind"] = "SubjectAccessReviewResponse",
            ["apiVersion"] = $"{Group}/v1",
        };
        if (action.Namespace.Length > 0)
        {
            answer["namespace"] = action.Namespace;
        }

        answer["allowed"] = decision.Allowed;
        if (decision.Reason.Length > 0)
        {
            answer["reason"] = decision.Reason;
        }

        await KubeHttp.WriteNodeAsync(context, 201, answer);
    }

    /// <summary>
    /// Who can: <c>system:masters</c>, then the subjects of every cluster binding, and of every binding in the
    /// namespace, whose role allows the action; users and groups each as a sorted set.
    /// </summary>
    private static async Task ResourceAccessAsync(HttpContext context, RbacAuthorizer authorizer, string kind, string? ns)
    {
        var review = await ReadAsync(context, kind);
        var action = ActionOf(review, kind);
        Validate(action);

        action = Localize(action, ns);
        Require(authorizer, context.User(), action.Namespace, ("", "localresourceaccessreviews"));

        var attributes = Attributes(UserInfo.Anonymous, action);
        var policy = authorizer.Policy;
        var subjects = new List<Subject> { new() { Kind = "Group", ApiGroup = Rbac.Group, Name = UserInfo.Masters } };
        var errors = new List<string>();
        var bindings = policy.ClusterBindings.Concat(action.Namespace.Length > 0 ? policy.BindingsIn(action.Namespace) : []);
        foreach (var binding in bindings)
        {
            var (rules, error) = policy.RulesOf(binding.RoleRef, binding.Namespace);
            if (error is not null)
            {
                errors.Add(error);
            }

            if (rules.Any(rule => RuleMatching.Allows(attributes, rule)))
            {
                subjects.AddRange(binding.Subjects);
            }
        }

        var users = new SortedSet<string>(StringComparer.Ordinal);
        var groups = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var subject in subjects)
        {
            switch (subject.Kind)
            {
                case "Group" when subject.ApiGroup == Rbac.Group:
                    groups.Add(subject.Name ?? "");
                    break;
                case "User" when subject.ApiGroup == Rbac.Group:
                    users.Add(subject.Name ?? "");
                    break;

                // A service account without a namespace is taken to be in the namespace asked about.
                case "ServiceAccount" when string.IsNullOrEmpty(subject.ApiGroup) &&
                                           (string.IsNullOrEmpty(subject.Namespace) ? action.Namespace : subject.Namespace) is { Length: > 0 } saNamespace:
                    users.Add(UserInfo.ServiceAccountName(saNamespace, subject.Name ?? ""));
                    break;
            }
        }

        var answer = new JsonObject
        {
            ["kind"] = "ResourceAccessReviewResponse",
            ["apiVersion"] = $"{Group}/v1",
        };
        if (action.Namespace.Length > 0)
        {
            answer["namespace"] = action.Namespace;
        }

        answer["users"] = new JsonArray(users.Select(u => (JsonNode?)u).ToArray());
        answer["groups"] = new JsonArray(groups.Select(g => (JsonNode?)g).ToArray());
        answer["evalutionError"] = errors.Count == 0 ? "" : RbacAuthorizer.AggregateMessage(errors);
        await KubeHttp.WriteNodeAsync(context, 201, answer);
    }

    /// <summary>
    /// The rules reviews: the rules of the bindings naming the user in the namespace, broken down to one verb, group,
    /// resource and name each, compacted back per resource, sorted, and written as OpenShift rules.
    /// </summary>
    private static async Task RulesAsync(HttpContext context, RbacAuthorizer authorizer, string kind, string ns)
    {
        var review = await ReadAsync(context, kind);
        var spec = review["spec"] switch
        {
            null => null,
            JsonObject given => given,
            var other => throw Mismatch(kind, other, kind, "spec", $"v1.{kind}Spec"),
        };
        UserInfo user;
        JsonObject answerSpec;
        if (kind == "SelfSubjectRulesReview")
        {
            TextsIn(spec, kind, "SelfSubjectRulesReviewSpec", "scopes", "v1.OptionalScopes");
            user = context.User();
            answerSpec = new JsonObject { ["scopes"] = null };
        }
        else
        {
            var name = TextIn(spec, kind, "SubjectRulesReviewSpec", "user");
            var groups = TextsIn(spec, kind, "SubjectRulesReviewSpec", "groups", "[]string");
            TextsIn(spec, kind, "SubjectRulesReviewSpec", "scopes", "v1.OptionalScopes");
            user = UserInfo.Of(name, groups ?? []);
            answerSpec = new JsonObject { ["user"] = "", ["groups"] = null, ["scopes"] = null };
        }

        var (rules, errors) = authorizer.RulesFor(user, ns);
        var status = new JsonObject
        {
            ["rules"] = new JsonArray(PolicyRuleCoverage.Compact([.. rules.SelectMany(PolicyRuleCoverage.Breakdown)])
                .OrderBy(GoString, StringComparer.Ordinal).Select(rule => (JsonNode?)ToOpenShift(rule)).ToArray()),
        };
        if (errors.Count > 0)
        {
            status["evaluationError"] = RbacAuthorizer.AggregateMessage(errors);
        }

        await KubeHttp.WriteNodeAsync(context, 201, new JsonObject
        {
            ["kind"] = kind,
            ["apiVersion"] = $"{Group}/v1",
            ["spec"] = answerSpec,
            ["status"] = status,
        });
    }

    /// <summary>The generated <c>String()</c> of rbac/v1 PolicyRule, which the rules are sorted by.</summary>
    private static string GoString(PolicyRule rule)
    {
        static string List(List<string>? values) => "[" + string.Join(" ", values ?? []) + "]";
        return $"&PolicyRule{{Verbs:{List(rule.Verbs)},APIGroups:{List(rule.ApiGroups)},Resources:{List(rule.Resources)},ResourceNames:{List(rule.ResourceNames)},NonResourceURLs:{List(rule.NonResourceURLs)},}}";
    }

    /// <summary>OpenShift's form of a rule: verbs, resources, names and URLs as sorted sets, attributeRestrictions null.</summary>
    private static JsonObject ToOpenShift(PolicyRule rule)
    {
        static List<string>? Set(List<string>? values) =>
            values is not { Count: > 0 } ? null : values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

        return KubeJson.ToNode(new OpenShiftPolicyRule
        {
            Verbs = Set(rule.Verbs) ?? [],
            ApiGroups = rule.ApiGroups,
            Resources = Set(rule.Resources) ?? [],
            ResourceNames = Set(rule.ResourceNames),
            NonResourceURLs = Set(rule.NonResourceURLs),
        });
    }

    /// <summary>
    /// The local reviews ask about their own namespace: another one in the body is refused as openshift-apiserver
    /// does (a bare field error, which reaches the client as a 500), an empty one is filled in.
    /// </summary>
    private static Action Localize(Action action, string? ns)
    {
        if (ns is null)
        {
            return action;
        }

        if (action.Namespace.Length > 0 && action.Namespace != ns)
        {
            throw StatusErrors.PlainError(FieldError.Invalid("namespace", action.Namespace, $"namespace must be: {ns}").ToString());
        }

        return action with { Namespace = ns };
    }

    /// <summary>
    /// The second check openshift-apiserver makes of the caller: the right to run the local review (in the legacy
    /// group) or, for a review of oneself, a self access review, in the namespace asked about. A refusal carries the
    /// authorizer's reason as its whole message.
    /// </summary>
    private static void Require(RbacAuthorizer authorizer, UserInfo requester, string ns, (string Group, string Resource) right)
    {
        var decision = authorizer.Authorize(new RequestAttributes
        {
            User = requester, Verb = "create", IsResourceRequest = true, Namespace = ns, ApiGroup = right.Group, Resource = right.Resource,
        });
        if (!decision.Allowed)
        {
            var refusal = StatusErrors.Forbidden(new GroupResource(Group, right.Resource), "", "");
            refusal.Status.Message = decision.Reason.Length == 0 ? null : decision.Reason;
            throw refusal;
        }
    }

    /// <summary>The authorizer attributes of an action; <c>resource/subresource</c> is split at the first slash.</summary>
    private static RequestAttributes Attributes(UserInfo user, Action action)
    {
        var slash = action.Resource.IndexOf('/', StringComparison.Ordinal);
        return new RequestAttributes
        {
            User = user, Verb = action.Verb, IsResourceRequest = !action.IsNonResourceUrl, Path = action.Path, Namespace = action.Namespace,
            ApiGroup = action.ApiGroup, ApiVersion = action.Version,
            Resource = slash < 0 ? action.Resource : action.Resource[..slash],
            Subresource = slash < 0 ? "" : action.Resource[(slash + 1)..],
            Name = action.ResourceName,
        };
    }

    /// <summary>openshift-apiserver's access review validation: a verb, and a resource or (only) a path.</summary>
    private static void Validate(Action action)
    {
        var errors = new List<FieldError>();
        if (action.Verb.Length == 0)
        {
            errors.Add(FieldError.Required("verb"));
        }

        if (action.IsNonResourceUrl)
        {
            if (action.Path.Length == 0)
            {
                errors.Add(FieldError.Required("path"));
            }

            foreach (var (field, value) in new[]
                     {
                         ("resource", action.Resource), ("group", action.ApiGroup), ("version", action.Version),
                         ("resourceName", action.ResourceName), ("namespace", action.Namespace),
                     })
            {
                if (value.Length > 0)
                {
                    errors.Add(FieldError.Invalid(field, value, $"{field} may not be specified with non resource URLs"));
                }
            }

            if (action.HasContent)
            {
                errors.Add(FieldError.Invalid("content", "null", "content may not be specified with non resource URLs"));
            }
        }
        else if (action.Resource.Length == 0)
        {
            errors.Add(FieldError.Required("resource"));
        }

        if (errors.Count > 0)
        {
            // The internal object's kind is empty by the time it is validated, so the message starts with the group.
            throw StatusErrors.Invalid("", Group, "", errors);
        }
    }

    private static Action ActionOf(JsonObject review, string kind) => new(
        Text(review, kind, "namespace"), Text(review, kind, "verb"), Text(review, kind, "resourceAPIGroup"), Text(review, kind, "resourceAPIVersion"),
        Text(review, kind, "resource"), Text(review, kind, "resourceName"), Text(review, kind, "path"), Flag(review, kind, "isNonResourceURL"),
        review["content"] is not null);

    private static async Task<JsonObject> ReadAsync(HttpContext context, string kind)
    {
        var body = KubeHttp.BodyAsJson(context.Request, await KubeHttp.ReadBodyAsync(context.Request, context.RequestAborted));
        try
        {
            return JsonNode.Parse(body) as JsonObject ?? throw StatusErrors.BadRequest("the object provided is unrecognized");
        }
        catch (JsonException error)
        {
            throw StatusErrors.BadRequest($"the object provided is unrecognized: {error.Message}");
        }
    }

    // Fields are read as their Go types decode them: null is the zero value, another JSON type is the decoder's 400.
    private static string Text(JsonObject obj, string kind, string field) => TextIn(obj, kind, kind, field, field);

    private static string TextIn(JsonObject? obj, string kind, string goStruct, string field, string? goField = null)
    {
        var node = obj?[field];
        if (node is null)
        {
            return "";
        }

        return KubeJson.Text(node) ?? throw Mismatch(kind, node, goStruct, goField ?? $"spec.{field}", "string");
    }

    private static bool Flag(JsonObject obj, string kind, string field) => obj[field] switch
    {
        null => false,
        JsonValue value when value.GetValueKind() is JsonValueKind.True or JsonValueKind.False => value.GetValue<bool>(),
        var node => throw Mismatch(kind, node, kind, field, "bool"),
    };

    private static List<string>? Texts(JsonObject obj, string kind, string field, string goType) => TextsIn(obj, kind, kind, field, goType, field);

    private static List<string>? TextsIn(JsonObject? obj, string kind, string goStruct, string field, string goType, string? goField = null)
    {
        var node = obj?[field];
        var path = goField ?? $"spec.{field}";
        if (node is null)
        {
            return null;
        }

        if (node is not JsonArray items)
        {
            throw Mismatch(kind, node, goStruct, path, goType);
        }

        return items.Select(item => item is null ? "" : KubeJson.Text(item) ?? throw Mismatch(kind, item, goStruct, path, "string")).ToList();
    }

    private static KubeApiException Mismatch(string kind, JsonNode node, string goStruct, string field, string goType) =>
        StatusErrors.BadRequest(
            $"{kind} in version \"v1\" cannot be handled as a {kind}: json: cannot unmarshal {BodyDecoder.GoJsonType(node)} into Go struct field {goStruct}.{field} of type {goType}");
}
