using Microsoft.Extensions.Options;

namespace BindingServer.Kubernetes.Authentication;

/// <summary>
/// The apiserver's authenticator chain for one request: a client certificate that chains to the server's CA, then a
/// bearer token looked up in the static tokens and checked as a service-account token. Credentials nobody accepts are a failure (the 401), never a fallback to the default
/// identity; a request without any is the default identity (the admin, or anonymous by option).
/// </summary>
public sealed class RequestAuthenticator(
    IOptions<AuthenticationOptions> options, StaticTokens staticTokens, ServiceAccountTokens serviceAccountTokens, Hosting.ServerCertificates certificates)
{
    /// <summary>The user the credentials stand for (with the audiences they were accepted for), or null with the reason they were refused.</summary>
    public sealed record Result(UserInfo? User, string? Error, IReadOnlyList<string>? Audiences = null);

    private static readonly Result AdminResult = new(UserInfo.DefaultAdmin, null);
    private static readonly Result AnonymousResult = new(UserInfo.Anonymous, null);

    public async Task<Result> AuthenticateAsync(HttpRequest request)
    {
        // The x509 authenticator comes first; a certificate it refuses still lets a bearer token try.
        if (request.HttpContext.Connection.ClientCertificate is { } client)
        {
            if (certificates.TryAuthenticate(client, out var name, out var groups))
            {
                return new Result(UserInfo.Of(name, groups.Contains(UserInfo.Authenticated) ? groups : [.. groups, UserInfo.Authenticated]), null);
            }

            if (BearerToken(request) is null)
            {
                return new Result(null, "x509: certificate signed by unknown authority");
            }
        }

        if (BearerToken(request) is not { } token)
        {
            return options.Value.Anonymous ? AnonymousResult : AdminResult;
        }

        return await AuthenticateTokenAsync(token);
    }

    /// <summary>A bearer token alone, as TokenReview asks: who it stands for, for which of the audiences, or why not.</summary>
    public async Task<Result> AuthenticateTokenAsync(string token, IReadOnlyList<string>? audiences = null)
    {
        // Static tokens carry no audience: they count for the apiserver's own.
        audiences ??= ServiceAccountTokens.ApiAudiences;
        var apiAudiences = audiences.Intersect(ServiceAccountTokens.ApiAudiences, StringComparer.Ordinal).ToList();
        if (apiAudiences.Count > 0 && staticTokens.Find(token) is { } user)
        {
            return new Result(user, null, apiAudiences);
        }

        if (await serviceAccountTokens.AuthenticateAsync(token, audiences) is { } outcome)
        {
            return new Result(outcome.User, outcome.Error, outcome.Audiences);
        }

        return new Result(null, "invalid bearer token");
    }

    /// <summary>The token of an <c>Authorization: Bearer</c> header; other schemes are no credentials to the apiserver.</summary>
    private static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var token = header[7..].Trim();
        return token.Length == 0 ? null : token;
    }
}
