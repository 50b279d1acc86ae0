using System.ComponentModel;
using System.Text.Json.Nodes;
using BindingServer.Documentation;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Authentication;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.OpenApi;
using BindingServer.Kubernetes.Patching;
using BindingServer.Kubernetes.Protobuf;

namespace BindingServer.Kubernetes.Discovery;

/// <summary>
/// <c>authentication.k8s.io/v1</c> SelfSubjectReview: who the request acts as, after impersonation
/// (<c>pkg/registry/authentication/selfsubjectreview</c>). <c>kubectl auth whoami</c> uses it.
/// </summary>
public static class SelfSubjectReviewEndpoint
{
    private const string Group = "authentication.k8s.io";

    internal static readonly ResourceDefinition Definition = ReviewBodies.Definition<SelfSubjectReview>(Group, "SelfSubjectReview", "selfsubjectreviews", false) with { Protobuf = ProtoSchemas.SelfSubjectReview };

    private static readonly ApiDoc Doc = new("Who the request acts as: user name, uid, groups and extra, after impersonation", [],
        [new(201, "The review with status.userInfo", null)]);

    public static IEndpointRouteBuilder MapSelfSubjectReview(this IEndpointRouteBuilder app)
    {
        app.MapGroup($"/apis/{Group}/v1").WithTags($"{Group}/v1")
            .MapPost("/selfsubjectreviews", (HttpContext c, TimeProvider clock) => ReviewAsync(c, clock))
            .WithMetadata(Doc);
        return app;
    }

    /// <summary>The body is read (and must decode) but nothing in it is used: the answer is a new object stamped now.</summary>
    private static async Task ReviewAsync(HttpContext context, TimeProvider clock)
    {
        var (_, _, warnings) = await ReviewBodies.ReadAsync<SelfSubjectReview>(context, Definition);
        var user = context.User();
        var answer = new SelfSubjectReview
        {
            Kind = Definition.Kind,
            ApiVersion = Definition.ApiVersion,
            Metadata = new ObjectMeta { CreationTimestamp = KubeTimeConverter.Truncate(clock.GetUtcNow()) },
            Status = new SelfSubjectReviewStatus
            {
                UserInfo = ReviewUserInfo.From(user),
            },
        };
        await ReviewBodies.WriteAsync(context, answer, warnings);
    }
}

[SchemaName("io.k8s.api.authentication.v1.UserInfo")]
[Description("A user as the authenticator sees it.")]
public sealed class ReviewUserInfo
{
    public string? Username { get; set; }
    public string? Uid { get; set; }

    [Atomic]
    public List<string>? Groups { get; set; }

    public JsonObject? Extra { get; set; }

    /// <summary>An identity as the reviews write it: empty fields left out, extra keys sorted.</summary>
    public static ReviewUserInfo From(UserInfo user) => new()
    {
        Username = user.Name,
        Uid = user.Uid.Length == 0 ? null : user.Uid,
        Groups = user.Groups.Count == 0 ? null : [.. user.Groups],
        Extra = ReviewBodies.SortedExtra(user.Extra.Select(e =>
            new KeyValuePair<string, JsonNode?>(e.Key, new JsonArray(e.Value.Select(v => (JsonNode?)v).ToArray())))),
    };
}

[SchemaName("io.k8s.api.authentication.v1.SelfSubjectReviewStatus")]
[Description("The requesting user's attributes.")]
public sealed class SelfSubjectReviewStatus
{
    [EmitEmpty]
    public ReviewUserInfo UserInfo { get; set; } = new();
}

[SchemaName("io.k8s.api.authentication.v1.SelfSubjectReview")]
public sealed class SelfSubjectReview : KubeObject
{
    public SelfSubjectReviewStatus? Status { get; set; } = new();
}
