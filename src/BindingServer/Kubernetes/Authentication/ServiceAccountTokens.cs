using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Resources.Core;
using BindingServer.Storage;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace BindingServer.Kubernetes.Authentication;

/// <summary>
/// The service-account token issuer and authenticator (kube's <c>pkg/serviceaccount</c>): JWTs signed with a key the
/// server creates once and keeps in its data folder (a fresh one for in-memory stores), carrying the claims a cluster
/// writes, and accepted only while the ServiceAccount (and a bound pod) still exists with the uid in the token.
/// </summary>
public sealed class ServiceAccountTokens(IOptions<StoreOptions> storeOptions, ObjectStore store, TimeProvider clock)
{
    /// <summary>The issuer and API audience of a kind or kubeadm cluster.</summary>
    public const string Issuer = "https://kubernetes.default.svc.cluster.local";

    /// <summary>The apiserver's own audiences: a token must name one of them to authenticate against it.</summary>
    public static readonly IReadOnlyList<string> ApiAudiences = [Issuer];

    /// <summary>How far clocks may disagree, as kube's validator allows (<c>jwt.DefaultLeeway</c>).</summary>
    private static readonly TimeSpan Leeway = TimeSpan.FromMinutes(1);

    private static readonly JsonWebTokenHandler Handler = new();

    // Made on first use: start-up must not pay for a key a session may never need.
    private readonly Lazy<(ECDsaSecurityKey Key, JsonObject Jwk)> _key = new(() => LoadOrCreateKey(storeOptions.Value));

    private static (ECDsaSecurityKey, JsonObject) LoadOrCreateKey(StoreOptions options)
    {
        var ecdsa = ECDsa.Create();
        var path = options.InMemory ? null : Path.Combine(options.DataPath, "service-account-signing-key.pem");
        if (path is not null && File.Exists(path))
        {
            ecdsa.ImportFromPem(File.ReadAllText(path));
        }
        else
        {
            ecdsa.GenerateKey(ECCurve.NamedCurves.nistP256);
            if (path is not null)
            {
                Directory.CreateDirectory(options.DataPath);
                File.WriteAllText(path, ecdsa.ExportECPrivateKeyPem());
            }
        }

        // The key id is what kube derives: the base64url SHA-256 of the public key's DER form.
        var keyId = Base64UrlEncoder.Encode(SHA256.HashData(ecdsa.ExportSubjectPublicKeyInfo()));
        var parameters = ecdsa.ExportParameters(includePrivateParameters: false);
        var jwk = new JsonObject
        {
            ["use"] = "sig",
            ["kty"] = "EC",
            ["kid"] = keyId,
            ["crv"] = "P-256",
            ["alg"] = "ES256",
            ["x"] = Base64UrlEncoder.Encode(parameters.Q.X),
            ["y"] = Base64UrlEncoder.Encode(parameters.Q.Y),
        };
        return (new ECDsaSecurityKey(ecdsa) { KeyId = keyId }, jwk);
    }

    /// <summary>The public key set served at <c>/openid/v1/jwks</c>.</summary>
    public JsonObject Jwks() => new() { ["keys"] = new JsonArray(_key.Value.Jwk.DeepClone()) };

    /// <summary>What a token is bound to: a pod (with the node it runs on when scheduled), or a node alone.</summary>
    public sealed record BoundObject(string? PodName, string? PodUid, string? NodeName, string? NodeUid);

    /// <summary>Signs a token for the account, with the claims and their order as kube writes them.</summary>
    public string Issue(ServiceAccount account, IReadOnlyList<string> audiences, long expirationSeconds, BoundObject? bound, DateTimeOffset now)
    {
        var kubernetes = new JsonObject { ["namespace"] = account.Metadata.Namespace };
        if (bound?.NodeName is { } node)
        {
            kubernetes["node"] = new JsonObject { ["name"] = node, ["uid"] = bound.NodeUid ?? "" };
        }

        if (bound?.PodName is { } pod)
        {
            kubernetes["pod"] = new JsonObject { ["name"] = pod, ["uid"] = bound.PodUid };
        }

        kubernetes["serviceaccount"] = new JsonObject { ["name"] = account.Metadata.Name, ["uid"] = account.Metadata.Uid };
        var seconds = now.ToUnixTimeSeconds();
        var claims = new JsonObject
        {
            ["aud"] = new JsonArray(audiences.Select(a => (JsonNode?)a).ToArray()),
            ["exp"] = seconds + expirationSeconds,
            ["iat"] = seconds,
            ["iss"] = Issuer,
            ["jti"] = Guid.NewGuid().ToString(),
            ["kubernetes.io"] = kubernetes,
            ["nbf"] = seconds,
            ["sub"] = UserInfo.ServiceAccountName(account.Metadata.Namespace!, account.Metadata.Name!),
        };
        return Handler.CreateToken(claims.ToJsonString(), new SigningCredentials(_key.Value.Key, SecurityAlgorithms.EcdsaSha256));
    }

    /// <summary>What authenticating a token found: the user it stands for, or why it does not count.</summary>
    public sealed record Outcome(UserInfo? User, IReadOnlyList<string> Audiences, string? Error);

    /// <summary>
    /// Authenticates a bearer token as the service-account authenticator does. A token that is not one of ours (not a
    /// JWT, another issuer) is null: other authenticators may know it.
    /// </summary>
    /// <param name="token">The bearer token.</param>
    /// <param name="audiences">The audiences it must name one of; the apiserver's own when null (TokenReview may ask for others).</param>
    public async Task<Outcome?> AuthenticateAsync(string token, IReadOnlyList<string>? audiences = null)
    {
        audiences ??= ApiAudiences;
        if (!Handler.CanReadToken(token))
        {
            return null;
        }

        JsonWebToken jwt;
        try
        {
            jwt = Handler.ReadJsonWebToken(token);
        }
        catch (ArgumentException)
        {
            return null;
        }

        if (jwt.Issuer != Issuer)
        {
            return null;
        }

        var result = await Handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = Issuer,
            IssuerSigningKey = _key.Value.Key,
            ValidateAudience = false,

            // Times are checked below against the server's clock, with kube's leeway and messages.
            ValidateLifetime = false,
        });
        if (!result.IsValid)
        {
            return new Outcome(null, [], "square/go-jose: error in cryptographic primitive");
        }

        var now = clock.GetUtcNow();
        if (Time(jwt, "exp") is { } expiry && now > expiry + Leeway)
        {
            return new Outcome(null, [], "service account token has expired");
        }

        if (Time(jwt, "nbf") is { } notBefore && now < notBefore - Leeway)
        {
            return new Outcome(null, [], "service account token is not valid yet");
        }

        if (Time(jwt, "iat") is { } issued && now < issued - Leeway)
        {
            return new Outcome(null, [], "service account token is issued in the future");
        }

        var tokenAudiences = jwt.Audiences.ToList();
        var accepted = tokenAudiences.Intersect(audiences, StringComparer.Ordinal).ToList();
        if (accepted.Count == 0)
        {
            return new Outcome(null, [], "token audiences " + GoStrings(tokenAudiences) + " is invalid for the target audiences " + GoStrings(audiences));
        }

        return Resolve(JsonNode.Parse(Base64UrlEncoder.Decode(jwt.EncodedPayload))!["kubernetes.io"], jwt.Id, accepted);
    }

    /// <summary>The account (and bound pod) the private claims name, checked against the store.</summary>
    private Outcome Resolve(JsonNode? claims, string jti, IReadOnlyList<string> audiences)
    {
        var ns = claims?["namespace"]?.GetValue<string>() ?? "";
        var name = claims?["serviceaccount"]?["name"]?.GetValue<string>() ?? "";
        var uid = claims?["serviceaccount"]?["uid"]?.GetValue<string>() ?? "";
        var accounts = ServiceAccountStrategy.Definition;
        var snapshot = store.Current;
        if (snapshot.Get(accounts.KeyPrefix, accounts.Key(ns, name)) is not { } entry)
        {
            return new Outcome(null, audiences, $"serviceaccounts \"{name}\" not found");
        }

        var account = ObjectCodec.Decode(accounts, entry.Body);
        if (account.Metadata.Uid != uid)
        {
            return new Outcome(null, audiences, $"service account UID ({account.Metadata.Uid}) does not match claim ({uid})");
        }

        var extra = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal)
        {
            ["authentication.kubernetes.io/credential-id"] = [$"JTI={jti}"],
        };
        if (claims?["pod"] is { } podClaim)
        {
            var pods = PodStrategy.Definition;
            var podName = podClaim["name"]?.GetValue<string>() ?? "";
            var podUid = podClaim["uid"]?.GetValue<string>() ?? "";
            if (snapshot.Get(pods.KeyPrefix, pods.Key(ns, podName)) is not { } podEntry)
            {
                return new Outcome(null, audiences, "service account token has been invalidated");
            }

            var pod = ObjectCodec.Decode(pods, podEntry.Body);
            if (pod.Metadata.Uid != podUid)
            {
                return new Outcome(null, audiences, $"pod UID ({pod.Metadata.Uid}) does not match service account pod ref claim ({podUid})");
            }

            // A pod on its way out still counts for the leeway after its deletion time, as on a cluster.
            if (pod.Metadata.DeletionTimestamp is { } deleted && deleted < clock.GetUtcNow() - Leeway)
            {
                return new Outcome(null, audiences, "service account token has been invalidated");
            }

            extra["authentication.kubernetes.io/pod-name"] = [podName];
            extra["authentication.kubernetes.io/pod-uid"] = [podUid];
        }

        if (claims?["node"] is { } nodeClaim)
        {
            var nodeName = nodeClaim["name"]?.GetValue<string>() ?? "";
            var nodeUid = nodeClaim["uid"]?.GetValue<string>() ?? "";

            // A pod-bound token only reports its node; a token bound to the node itself lives as long as the node.
            if (claims["pod"] is null && NodeProblem(snapshot, nodeName, nodeUid) is { } problem)
            {
                return new Outcome(null, audiences, problem);
            }

            extra["authentication.kubernetes.io/node-name"] = [nodeName];
            extra["authentication.kubernetes.io/node-uid"] = [nodeUid];
        }

        var user = UserInfo.Of(UserInfo.ServiceAccountName(ns, name), [.. UserInfo.ServiceAccountGroups(ns), UserInfo.Authenticated], uid, extra);
        return new Outcome(user, audiences, null);
    }

    private string? NodeProblem(Snapshot snapshot, string name, string uid)
    {
        var nodes = NodeStrategy.Definition;
        if (snapshot.Get(nodes.KeyPrefix, nodes.Key(null, name)) is not { } entry)
        {
            return "service account token has been invalidated";
        }

        var node = ObjectCodec.Decode(nodes, entry.Body);
        if (node.Metadata.Uid != uid)
        {
            return $"node UID ({node.Metadata.Uid}) does not match service account node ref claim ({uid})";
        }

        return node.Metadata.DeletionTimestamp is { } deleted && deleted < clock.GetUtcNow() - Leeway ? "service account token has been invalidated" : null;
    }

    private static DateTimeOffset? Time(JsonWebToken jwt, string claim) =>
        jwt.TryGetPayloadValue<long>(claim, out var seconds) ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;

    private static string GoStrings(IEnumerable<string> values) => "[" + string.Join(" ", values.Select(v => JsonSerializer.Serialize(v))) + "]";
}
