using System.Text.Json.Nodes;
using BindingServer.Documentation;

namespace BindingServer.Kubernetes.Authentication;

/// <summary>
/// The service-account issuer's OpenID discovery documents (<c>pkg/serviceaccount/openidmetadata.go</c>), so a verifier
/// outside the server (a cloud's workload identity, Vault) can check the tokens with the public key.
/// </summary>
public static class IssuerDiscoveryEndpoints
{
    public static IEndpointRouteBuilder MapIssuerDiscovery(this IEndpointRouteBuilder app)
    {
        app.MapGet("/.well-known/openid-configuration", (HttpContext context) => WriteAsync(context, "application/json", new JsonObject
            {
                ["issuer"] = ServiceAccountTokens.Issuer,
                ["jwks_uri"] = $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}/openid/v1/jwks",
                ["response_types_supported"] = new JsonArray("id_token"),
                ["subject_types_supported"] = new JsonArray("public"),
                ["id_token_signing_alg_values_supported"] = new JsonArray("ES256"),
            }))
            .WithTags("Service account issuer").WithMetadata(ApiDoc.Simple("The issuer's OpenID configuration"));
        app.MapGet("/openid/v1/jwks", (HttpContext context, ServiceAccountTokens tokens) => WriteAsync(context, "application/jwk-set+json", tokens.Jwks()))
            .WithTags("Service account issuer").WithMetadata(ApiDoc.Simple("The public keys that verify service-account tokens"));
        return app;
    }

    /// <summary>Both documents are cacheable for an hour, as the apiserver serves them.</summary>
    private static Task WriteAsync(HttpContext context, string contentType, JsonObject document)
    {
        context.Response.ContentType = contentType;
        context.Response.Headers.CacheControl = "public, max-age=3600";
        return context.Response.WriteAsync(document.ToJsonString());
    }
}
