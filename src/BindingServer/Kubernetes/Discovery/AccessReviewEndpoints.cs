using System.Text.Json.Nodes;
using BindingServer.Documentation;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Errors;

namespace BindingServer.Kubernetes.Discovery;

/// <summary>
/// <c>authorization.k8s.io/v1</c> reviews, so <c>kubectl auth can-i</c> works. Authorization is off in this server,
/// so every review answers allowed, and the rules review lists everything.
/// </summary>
public static class AccessReviewEndpoints
{
    private const string Group = "authorization.k8s.io";

    public static IEnumerable<DiscoveredResource> Resources { get; } =
    [
        new(Group, "v1", "localsubjectaccessreviews", "localsubjectaccessreview", true, "LocalSubjectAccessReview", ["create"], [], []),
        new(Group, "v1", "selfsubjectaccessreviews", "selfsubjectaccessreview", false, "SelfSubjectAccessReview", ["create"], [], []),
        new(Group, "v1", "selfsubjectrulesreviews", "selfsubjectrulesreview", false, "SelfSubjectRulesReview", ["create"], [], []),
        new(Group, "v1", "subjectaccessreviews", "subjectaccessreview", false, "SubjectAccessReview", ["create"], [], []),
    ];

    public static IEndpointRouteBuilder MapAccessReviews(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup($"/apis/{Group}/v1").WithTags($"{Group}/v1");
        group.MapPost("/selfsubjectaccessreviews", (Delegate)((HttpContext c) => ReviewAsync(c, "SelfSubjectAccessReview", AccessStatus)))
            .WithMetadata(ReviewDoc);
        group.MapPost("/subjectaccessreviews", (Delegate)((HttpContext c) => ReviewAsync(c, "SubjectAccessReview", AccessStatus)))
            .WithMetadata(ReviewDoc);
        group.MapPost("/namespaces/{namespace}/localsubjectaccessreviews", (Delegate)((HttpContext c) => ReviewAsync(c, "LocalSubjectAccessReview", AccessStatus)))
            .WithMetadata(ReviewDoc);
        group.MapPost("/selfsubjectrulesreviews", (Delegate)((HttpContext c) => ReviewAsync(c, "SelfSubjectRulesReview", RulesStatus)))
            .WithMetadata(ReviewDoc);
        return app;
    }

    private static readonly ApiDoc ReviewDoc = new("Ask whether an action is allowed (always yes: authorization is off)", [],
        [new(201, "The review with its status", null)]);

    private static JsonObject AccessStatus() => new() { ["allowed"] = true, ["reason"] = "authorization is not enabled on this server" };

    private static JsonObject RulesStatus() => new()
    {
        ["resourceRules"] = new JsonArray(new JsonObject
        {
            ["verbs"] = new JsonArray("*"),
            ["apiGroups"] = new JsonArray("*"),
            ["resources"] = new JsonArray("*"),
        }),
        ["nonResourceRules"] = new JsonArray(new JsonObject
        {
            ["verbs"] = new JsonArray("*"),
            ["nonResourceURLs"] = new JsonArray("*"),
        }),
        ["incomplete"] = false,
    };

    private static async Task ReviewAsync(HttpContext context, string kind, Func<JsonObject> status)
    {
        var body = KubeHttp.BodyAsJson(context.Request, await KubeHttp.ReadBodyAsync(context.Request, context.RequestAborted));
        JsonObject review;
        try
        {
            review = System.Text.Json.Nodes.JsonNode.Parse(body) as JsonObject ?? throw StatusErrors.BadRequest($"the object provided is unrecognized (must be of type {kind})");
        }
        catch (System.Text.Json.JsonException error)
        {
            throw StatusErrors.BadRequest($"the object provided is unrecognized (must be of type {kind}): {error.Message}");
        }

        var metadata = review["metadata"] as JsonObject ?? new JsonObject();
        metadata["creationTimestamp"] = null;
        var answer = new JsonObject
        {
            ["kind"] = kind,
            ["apiVersion"] = $"{Group}/v1",
            ["metadata"] = metadata.DeepClone(),
            ["spec"] = review["spec"]?.DeepClone() ?? new JsonObject(),
            ["status"] = status(),
        };
        await KubeHttp.WriteNodeAsync(context, 201, answer);
    }
}
