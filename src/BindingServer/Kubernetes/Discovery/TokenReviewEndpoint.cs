using System.ComponentModel;
using System.Text.Json.Nodes;
using BindingServer.Documentation;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Authentication;
using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.OpenApi;
using BindingServer.Kubernetes.Patching;

namespace BindingServer.Kubernetes.Discovery;

/// <summary>
/// <c>authentication.k8s.io/v1</c> TokenReview: who a bearer token stands for, by the same authenticators the server
/// uses for its own requests (<c>pkg/registry/authentication/tokenreview</c>).
/// </summary>
public static class TokenReviewEndpoint
{
    private const string Group = "authentication.k8s.io";

    internal static readonly ResourceDefinition Definition = ReviewBodies.Definition<TokenReview>(Group, "TokenReview", "tokenreviews", false);

    private static readonly ApiDoc Doc = new("Authenticate a bearer token: the user it stands for, or why not", [],
        [new(201, "The review with status.authenticated, status.user and status.audiences", null)]);

    public static IEndpointRouteBuilder MapTokenReview(this IEndpointRouteBuilder app)
    {
        app.MapGroup($"/apis/{Group}/v1").WithTags($"{Group}/v1")
            .MapPost("/tokenreviews", (HttpContext c, RequestAuthenticator authenticator, TimeProvider clock) => ReviewAsync(c, authenticator, clock))
            .WithMetadata(Doc);
        return app;
    }

    private static async Task ReviewAsync(HttpContext context, RequestAuthenticator authenticator, TimeProvider clock)
    {
        var (review, options, warnings) = await ReviewBodies.ReadAsync<TokenReview>(context, Definition);
        review.Spec ??= new TokenReviewSpec();
        if (string.IsNullOrEmpty(review.Spec.Token))
        {
            throw StatusErrors.BadRequest("token is required for TokenReview in authentication");
        }

        review.Metadata.ManagedFields = ReviewBodies.ManagedFieldsFor(review, new TokenReview(), options.FieldManager, clock);
        var result = await authenticator.AuthenticateTokenAsync(review.Spec.Token,
            review.Spec.Audiences is { Count: > 0 } audiences ? audiences : null);
        review.Status = new TokenReviewStatus
        {
            Authenticated = result.User is not null ? true : null,
            Error = result.Error,
            User = result.User is { } user
                ? ReviewUserInfo.From(user) : new ReviewUserInfo(),
            Audiences = result.User is not null ? result.Audiences?.ToList() : null,
        };
        await ReviewBodies.WriteAsync(context, review, warnings);
    }
}

[SchemaName("io.k8s.api.authentication.v1.TokenReviewSpec")]
[Description("The token to authenticate and the audiences it must be valid for.")]
public sealed class TokenReviewSpec
{
    public string? Token { get; set; }

    [Atomic]
    public List<string>? Audiences { get; set; }
}

[SchemaName("io.k8s.api.authentication.v1.TokenReviewStatus")]
[Description("Whether the token authenticated, as whom, for which audiences, or the error.")]
public sealed class TokenReviewStatus
{
    public bool? Authenticated { get; set; }

    [EmitEmpty]
    public ReviewUserInfo User { get; set; } = new();

    [Atomic]
    public List<string>? Audiences { get; set; }

    public string? Error { get; set; }
}

[SchemaName("io.k8s.api.authentication.v1.TokenReview")]
public sealed class TokenReview : KubeObject
{
    [Required]
    public TokenReviewSpec? Spec { get; set; } = new();

    public TokenReviewStatus? Status { get; set; } = new();
}
