using System.Text.Json.Nodes;
using BindingServer.Documentation;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Discovery;
using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Json;

namespace BindingServer.OpenShift;

/// <summary>
/// The review resources openshift-apiserver advertises in <c>authorization.openshift.io/v1</c>. Authorization is off in
/// this server, so access reviews allow everything and rules reviews grant everything.
/// </summary>
public static class OpenShiftReviewEndpoints
{
    private const string Group = OpenShiftRoleBindingStrategy.Group;

    public static IEnumerable<DiscoveredResource> Discovery { get; } =
    [
        new(Group, "v1", "localresourceaccessreviews", "localresourceaccessreview", true, "LocalResourceAccessReview", ["create"], [], []),
        new(Group, "v1", "localsubjectaccessreviews", "localsubjectaccessreview", true, "LocalSubjectAccessReview", ["create"], [], []),

        // The real server advertises this singular name (a copy-and-paste slip upstream); clients only ever see it here.
        new(Group, "v1", "resourceaccessreviews", "localresourceaccessreview", false, "ResourceAccessReview", ["create"], [], []),
        new(Group, "v1", "selfsubjectrulesreviews", "selfsubjectrulesreview", true, "SelfSubjectRulesReview", ["create"], [], []),
        new(Group, "v1", "subjectaccessreviews", "subjectaccessreview", false, "SubjectAccessReview", ["create"], [], []),
        new(Group, "v1", "subjectrulesreviews", "subjectrulesreview", true, "SubjectRulesReview", ["create"], [], []),
    ];

    public static IEndpointRouteBuilder Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup($"/apis/{Group}/v1").WithTags($"{Group}/v1");
        group.MapPost("/subjectaccessreviews", (Delegate)((HttpContext c) => AnswerAsync(c, null, AccessResponse)))
            .WithMetadata(ReviewDoc);
        group.MapPost("/namespaces/{namespace}/localsubjectaccessreviews", (HttpContext c, string @namespace) => AnswerAsync(c, @namespace, AccessResponse))
            .WithMetadata(ReviewDoc);
        group.MapPost("/resourceaccessreviews", (Delegate)((HttpContext c) => AnswerAsync(c, null, ResourceResponse)))
            .WithMetadata(ReviewDoc);
        group.MapPost("/namespaces/{namespace}/localresourceaccessreviews", (HttpContext c, string @namespace) => AnswerAsync(c, @namespace, ResourceResponse))
            .WithMetadata(ReviewDoc);
        group.MapPost("/namespaces/{namespace}/selfsubjectrulesreviews", (HttpContext c, string @namespace) => AnswerAsync(c, @namespace, RulesResponse))
            .WithMetadata(ReviewDoc);
        group.MapPost("/namespaces/{namespace}/subjectrulesreviews", (HttpContext c, string @namespace) => AnswerAsync(c, @namespace, RulesResponse))
            .WithMetadata(ReviewDoc);
        return app;
    }

    private static readonly ApiDoc ReviewDoc = new("An OpenShift access or rules review (everything is allowed: authorization is off)", [],
        [new(201, "The review's answer", null)]);

    private static JsonObject AccessResponse(JsonObject review, string? ns) => new()
    {
        ["kind"] = "SubjectAccessReviewResponse",
        ["apiVersion"] = $"{Group}/v1",
        ["namespace"] = ns ?? KubeJson.Text(review["namespace"]) ?? "",
        ["allowed"] = true,
        ["reason"] = "authorization is not enabled on this server",
    };

    private static JsonObject ResourceResponse(JsonObject review, string? ns) => new()
    {
        ["kind"] = "ResourceAccessReviewResponse",
        ["apiVersion"] = $"{Group}/v1",
        ["namespace"] = ns ?? KubeJson.Text(review["namespace"]) ?? "",
        ["users"] = new JsonArray(),
        ["groups"] = new JsonArray("system:authenticated", "system:unauthenticated"),
        ["evalutionError"] = "",
    };

    private static JsonObject RulesResponse(JsonObject review, string? ns) => new()
    {
        ["kind"] = review["kind"]?.GetValue<string>() is { Length: > 0 } kind ? kind : "SelfSubjectRulesReview",
        ["apiVersion"] = $"{Group}/v1",
        ["spec"] = review["spec"]?.DeepClone() ?? new JsonObject { ["scopes"] = null },
        ["status"] = new JsonObject
        {
            ["rules"] = new JsonArray(new JsonObject
            {
                ["verbs"] = new JsonArray("*"),
                ["attributeRestrictions"] = null,
                ["apiGroups"] = new JsonArray("*"),
                ["resources"] = new JsonArray("*"),
            }),
        },
    };

    private static async Task AnswerAsync(HttpContext context, string? ns, Func<JsonObject, string?, JsonObject> answer)
    {
        var body = KubeHttp.BodyAsJson(context.Request, await KubeHttp.ReadBodyAsync(context.Request, context.RequestAborted));
        JsonObject review;
        try
        {
            review = JsonNode.Parse(body) as JsonObject ?? throw StatusErrors.BadRequest("the object provided is unrecognized");
        }
        catch (System.Text.Json.JsonException error)
        {
            throw StatusErrors.BadRequest($"the object provided is unrecognized: {error.Message}");
        }

        // The one field read back must decode as the string it is in the Go type.
        if (review["namespace"] is { } given && KubeJson.Text(given) is null)
        {
            var kind = KubeJson.Text(review["kind"]) ?? "SubjectAccessReview";
            throw StatusErrors.BadRequest(
                $"{kind} in version \"v1\" cannot be handled as a {kind}: json: cannot unmarshal {BodyDecoder.GoJsonType(given)} into Go struct field {kind}.namespace of type string");
        }

        await KubeHttp.WriteNodeAsync(context, 201, answer(review, ns));
    }
}
