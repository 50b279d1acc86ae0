using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using BindingServer.TestSupport;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using static BindingServer.Tests.Http;

namespace BindingServer.Tests.Authentication;

/// <summary>A clock the tests can move forward, to see tokens expire without waiting an hour.</summary>
public sealed class MovableClock : TimeProvider
{
    public TimeSpan Offset { get; set; }

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
}

/// <summary>The server with a movable clock and a static token file.</summary>
public sealed class TokenServerFactory : ServerFactory
{
    public MovableClock Clock { get; } = new();

    public string TokenFile { get; } = Path.Combine(Path.GetTempPath(), $"bindingserver-tokens-{Guid.NewGuid():N}.csv");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        File.WriteAllText(TokenFile, "# token,user,uid,groups\nstatic-secret,ci-bot,bot-uid,\"ci,deployers\"\n\nplain-token,plain,plain-uid\n");
        builder.UseSetting("Authentication:TokenAuthFile", TokenFile);
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
    }
}

/// <summary>ServiceAccounts, TokenRequest, the service-account and static token authenticators, TokenReview and the issuer documents.</summary>
public sealed class ServiceAccountTokenTests(TokenServerFactory factory) : IClassFixture<TokenServerFactory>
{
    private readonly HttpClient _admin = factory.Client();

    private HttpClient WithToken(string token)
    {
        var client = factory.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private async Task<(string Uid, JsonObject Request)> AccountWithTokenAsync(string ns, string name, string spec = "{}")
    {
        if ((await _admin.GetJsonAsync($"/api/v1/namespaces/{ns}")).Code == 404)
        {
            Assert.Equal(201, (await _admin.PostAsync("/api/v1/namespaces", $$"""{"metadata":{"name":"{{ns}}"} }""")).Code);
        }

        var (code, account) = await _admin.PostAsync($"/api/v1/namespaces/{ns}/serviceaccounts", $$"""{"metadata":{"name":"{{name}}"} }""");
        Assert.True(code == 201, account.Compact());
        var (tokenCode, request) = await _admin.PostAsync($"/api/v1/namespaces/{ns}/serviceaccounts/{name}/token", $$"""{"spec":{{spec}} }""");
        Assert.True(tokenCode == 201, request.Compact());
        return (account["metadata"]!["uid"].Str(), request);
    }

    private static JsonObject Claims(string token) =>
        JsonNode.Parse(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Decode(token.Split('.')[1]))!.AsObject();

    private async Task<JsonObject> WhoAmIAsync(HttpClient client)
    {
        var (code, review) = await client.PostAsync("/apis/authentication.k8s.io/v1/selfsubjectreviews", """{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}""");
        Assert.True(code == 201, review.Compact());
        return review["status"]!["userInfo"]!.AsObject();
    }

    [Fact]
    public async Task Every_namespace_gets_a_default_service_account()
    {
        var (code, account) = await _admin.GetJsonAsync("/api/v1/namespaces/kube-system/serviceaccounts/default");
        Assert.Equal(200, code);
        Assert.Empty(OfficialSchemas.Validate("core", "io.k8s.api.core.v1.ServiceAccount", account.ToJsonString()));

        var (_, list) = await _admin.GetJsonAsync("/api/v1/serviceaccounts");
        var revision = list["metadata"]!["resourceVersion"].Str();
        var response = await _admin.SendAsync(new HttpRequestMessage(HttpMethod.Get,
            $"/api/v1/namespaces/sa-new/serviceaccounts?watch=true&resourceVersion={revision}&timeoutSeconds=30"), HttpCompletionOption.ResponseHeadersRead);
        using var watch = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal(201, (await _admin.PostAsync("/api/v1/namespaces", """{"metadata":{"name":"sa-new"} }""")).Code);

        // The controller acts just after the namespace is written: wait for its ADDED event.
        var added = JsonNode.Parse((await watch.ReadLineAsync())!)!;
        Assert.Equal(("ADDED", "default"), (added["type"].Str(), added["object"]!["metadata"]!["name"].Str()));
    }

    [Fact]
    public async Task A_token_request_answers_a_signed_token_with_the_claims_a_cluster_writes()
    {
        var (uid, request) = await AccountWithTokenAsync("tok-a", "builder");

        Assert.Equal("TokenRequest", request["kind"].Str());
        Assert.Equal("authentication.k8s.io/v1", request["apiVersion"].Str());
        Assert.Equal(("builder", "tok-a"), (request["metadata"]!["name"].Str(), request["metadata"]!["namespace"].Str()));
        Assert.Equal("""{"audiences":["https://kubernetes.default.svc.cluster.local"],"expirationSeconds":3600,"boundObjectRef":null}""", request["spec"]!.Compact());
        var created = DateTimeOffset.Parse(request["metadata"]!["creationTimestamp"].Str(), System.Globalization.CultureInfo.InvariantCulture);
        var expires = DateTimeOffset.Parse(request["status"]!["expirationTimestamp"].Str(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(TimeSpan.FromSeconds(3600), expires - created);

        var claims = Claims(request["status"]!["token"].Str());
        Assert.Equal("system:serviceaccount:tok-a:builder", claims["sub"].Str());
        Assert.Equal("https://kubernetes.default.svc.cluster.local", claims["iss"].Str());
        Assert.Equal("""{"namespace":"tok-a","serviceaccount":{"name":"builder","uid":"UID"}}""".Replace("UID", uid, StringComparison.Ordinal), claims["kubernetes.io"]!.Compact());
        Assert.Equal(3600, claims["exp"]!.GetValue<long>() - claims["iat"]!.GetValue<long>());
        Assert.Equal(claims["iat"]!.GetValue<long>(), claims["nbf"]!.GetValue<long>());
        Assert.Matches("^[0-9a-f-]{36}$", claims["jti"].Str());
    }

    [Fact]
    public async Task The_token_authenticates_as_the_service_account_with_its_groups_and_is_held_to_its_bindings()
    {
        var (uid, request) = await AccountWithTokenAsync("tok-b", "operator");
        var token = request["status"]!["token"].Str();
        var client = WithToken(token);

        var user = await WhoAmIAsync(client);
        Assert.Equal("system:serviceaccount:tok-b:operator", user["username"].Str());
        Assert.Equal(uid, user["uid"].Str());
        Assert.Equal(["system:serviceaccounts", "system:serviceaccounts:tok-b", "system:authenticated"], user["groups"]!.AsArray().Select(g => g.Str()));
        Assert.Equal($"JTI={Claims(token)["jti"].Str()}", user["extra"]!["authentication.kubernetes.io/credential-id"]![0].Str());

        Assert.Equal(403, (await client.GetJsonAsync("/api/v1/namespaces/tok-b/pods")).Code);
        Assert.Equal(201, (await _admin.PostAsync("/apis/rbac.authorization.k8s.io/v1/namespaces/tok-b/rolebindings",
            """{"metadata":{"name":"operator-views"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},"subjects":[{"kind":"ServiceAccount","name":"operator"}]}""")).Code);
        Assert.Equal(200, (await client.GetJsonAsync("/api/v1/namespaces/tok-b/pods")).Code);
    }

    [Theory]
    [InlineData("made-up")]
    [InlineData("eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJodHRwczovL2t1YmVybmV0ZXMuZGVmYXVsdC5zdmMuY2x1c3Rlci5sb2NhbCJ9.c2lnbmF0dXJl")]
    public async Task Credentials_nobody_accepts_are_the_apiservers_401_on_every_path(string token)
    {
        foreach (var path in new[] { "/api/v1/namespaces", "/apis", "/version", "/apis/authorization.openshift.io/v1/clusterroles", "/no/such/path" })
        {
            var (code, body) = await WithToken(token).GetJsonAsync(path);
            Assert.Equal(401, code);
            Assert.Equal("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}""", body.Compact());
        }

        // Cloud Foundry keeps its own token rules.
        Assert.NotEqual(401, (int)(await WithToken(token).GetAsync("/v2/info")).StatusCode);
    }

    [Fact]
    public async Task A_token_stops_working_when_its_account_is_deleted_or_recreated()
    {
        var (_, request) = await AccountWithTokenAsync("tok-c", "temp");
        var client = WithToken(request["status"]!["token"].Str());
        Assert.Equal(201, (await client.PostAsync("/apis/authentication.k8s.io/v1/selfsubjectreviews", "{}")).Code);

        Assert.Equal(200, (await _admin.DeleteJsonAsync("/api/v1/namespaces/tok-c/serviceaccounts/temp")).Code);
        Assert.Equal(401, (await client.PostAsync("/apis/authentication.k8s.io/v1/selfsubjectreviews", "{}")).Code);

        Assert.Equal(201, (await _admin.PostAsync("/api/v1/namespaces/tok-c/serviceaccounts", """{"metadata":{"name":"temp"} }""")).Code);
        Assert.Equal(401, (await client.PostAsync("/apis/authentication.k8s.io/v1/selfsubjectreviews", "{}")).Code);
    }

    [Fact]
    public async Task Expiry_defaults_and_bounds_are_the_apiservers()
    {
        Assert.Equal(201, (await _admin.PostAsync("/api/v1/namespaces/default/serviceaccounts", """{"metadata":{"name":"bounds"} }""")).Code);

        var (tooShort, body) = await _admin.PostAsync("/api/v1/namespaces/default/serviceaccounts/bounds/token", """{"spec":{"expirationSeconds":599}}""");
        Assert.Equal(422, tooShort);
        Assert.Equal("TokenRequest.authentication.k8s.io \"\" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes", body["message"].Str());

        var (missing, missingBody) = await _admin.PostAsync("/api/v1/namespaces/default/serviceaccounts/nobody/token", "{}");
        Assert.Equal(404, missing);
        Assert.Equal("serviceaccounts \"nobody\" not found", missingBody["message"].Str());
    }

    [Fact]
    public async Task An_expired_token_is_refused()
    {
        var (_, request) = await AccountWithTokenAsync("tok-d", "short", """{"expirationSeconds":600}""");
        var token = request["status"]!["token"].Str();
        Assert.Equal(201, (await WithToken(token).PostAsync("/apis/authentication.k8s.io/v1/selfsubjectreviews", "{}")).Code);

        factory.Clock.Offset = TimeSpan.FromSeconds(600 + 61);
        try
        {
            Assert.Equal(401, (await WithToken(token).PostAsync("/apis/authentication.k8s.io/v1/selfsubjectreviews", "{}")).Code);
            var (_, review) = await _admin.PostAsync("/apis/authentication.k8s.io/v1/tokenreviews", $$"""{"spec":{"token":"{{token}}"} }""");
            Assert.Equal("""{"user":{},"error":"service account token has expired"}""", review["status"]!.Compact());
        }
        finally
        {
            factory.Clock.Offset = TimeSpan.Zero;
        }
    }

    [Fact]
    public async Task Token_review_answers_for_service_account_and_static_tokens_and_audiences()
    {
        var (uid, request) = await AccountWithTokenAsync("tok-e", "reviewed");
        var token = request["status"]!["token"].Str();

        var (code, review) = await _admin.PostAsync("/apis/authentication.k8s.io/v1/tokenreviews", $$"""{"spec":{"token":"{{token}}"} }""");
        Assert.Equal(201, code);
        var status = review["status"]!;
        Assert.True(status["authenticated"]!.GetValue<bool>());
        Assert.Equal("system:serviceaccount:tok-e:reviewed", status["user"]!["username"].Str());
        Assert.Equal(uid, status["user"]!["uid"].Str());
        Assert.Equal(["https://kubernetes.default.svc.cluster.local"], status["audiences"]!.AsArray().Select(a => a.Str()));

        var (_, unknown) = await _admin.PostAsync("/apis/authentication.k8s.io/v1/tokenreviews", """{"spec":{"token":"nope"}}""");
        Assert.Equal("""{"user":{},"error":"invalid bearer token"}""", unknown["status"]!.Compact());

        var (_, staticReview) = await _admin.PostAsync("/apis/authentication.k8s.io/v1/tokenreviews", """{"spec":{"token":"static-secret"}}""");
        Assert.Equal("""{"authenticated":true,"user":{"username":"ci-bot","uid":"bot-uid","groups":["ci","deployers","system:authenticated"]},"audiences":["https://kubernetes.default.svc.cluster.local"]}""",
            staticReview["status"]!.Compact());

        var (noToken, noTokenBody) = await _admin.PostAsync("/apis/authentication.k8s.io/v1/tokenreviews", """{"spec":{}}""");
        Assert.Equal(400, noToken);
        Assert.Equal("token is required for TokenReview in authentication", noTokenBody["message"].Str());
    }

    [Fact]
    public async Task A_token_for_another_audience_is_not_accepted_by_the_api_but_reviews_for_that_audience()
    {
        var (_, request) = await AccountWithTokenAsync("tok-f", "vaulted", """{"audiences":["vault"]}""");
        var token = request["status"]!["token"].Str();
        Assert.Equal(["vault"], request["spec"]!["audiences"]!.AsArray().Select(a => a.Str()));

        Assert.Equal(401, (await WithToken(token).GetJsonAsync("/api/v1/namespaces")).Code);
        var (_, review) = await _admin.PostAsync("/apis/authentication.k8s.io/v1/tokenreviews", $$"""{"spec":{"token":"{{token}}","audiences":["vault"]} }""");
        Assert.True(review["status"]!["authenticated"]!.GetValue<bool>());
        Assert.Equal(["vault"], review["status"]!["audiences"]!.AsArray().Select(a => a.Str()));
    }

    [Fact]
    public async Task Static_tokens_authenticate_with_their_groups()
    {
        var user = await WhoAmIAsync(WithToken("static-secret"));
        Assert.Equal("""{"username":"ci-bot","uid":"bot-uid","groups":["ci","deployers","system:authenticated"]}""", user.Compact());

        var plain = await WhoAmIAsync(WithToken("plain-token"));
        Assert.Equal("""{"username":"plain","uid":"plain-uid","groups":["system:authenticated"]}""", plain.Compact());
    }

    [Fact]
    public async Task A_token_bound_to_a_pod_carries_it_and_dies_with_it()
    {
        Assert.Equal(201, (await _admin.PostAsync("/api/v1/namespaces", """{"metadata":{"name":"tok-g"} }""")).Code);
        Assert.Equal(201, (await _admin.PostAsync("/api/v1/namespaces/tok-g/serviceaccounts", """{"metadata":{"name":"runner"} }""")).Code);
        var (_, pod) = await _admin.PostAsync("/api/v1/namespaces/tok-g/pods",
            """{"metadata":{"name":"job"},"spec":{"serviceAccountName":"runner","containers":[{"name":"c","image":"busybox"}]}}""");
        var podUid = pod["metadata"]!["uid"].Str();

        var (code, request) = await _admin.PostAsync("/api/v1/namespaces/tok-g/serviceaccounts/runner/token",
            $$"""{"spec":{"boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":"job","uid":"{{podUid}}"} } }""");
        Assert.Equal(201, code);
        var token = request["status"]!["token"].Str();
        Assert.Equal(podUid, Claims(token)["kubernetes.io"]!["pod"]!["uid"].Str());
        var user = await WhoAmIAsync(WithToken(token));
        Assert.Equal("job", user["extra"]!["authentication.kubernetes.io/pod-name"]![0].Str());

        var (wrongAccount, wrongBody) = await _admin.PostAsync("/api/v1/namespaces/tok-g/serviceaccounts/default/token",
            """{"spec":{"boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":"job"}}}""");
        Assert.Equal(400, wrongAccount);
        Assert.Equal("cannot bind token for serviceaccount \"default\" to pod running with different serviceaccount name.", wrongBody["message"].Str());

        Assert.Equal(200, (await _admin.DeleteJsonAsync("/api/v1/namespaces/tok-g/pods/job", """{"gracePeriodSeconds":0}""")).Code);
        Assert.Equal(401, (await WithToken(token).PostAsync("/apis/authentication.k8s.io/v1/selfsubjectreviews", "{}")).Code);
    }

    [Fact]
    public async Task The_issuer_documents_let_a_verifier_check_a_token_offline()
    {
        var (_, request) = await AccountWithTokenAsync("tok-h", "verified");
        var token = request["status"]!["token"].Str();

        var configuration = JsonNode.Parse(await _admin.GetStringAsync("/.well-known/openid-configuration"))!;
        Assert.Equal("https://kubernetes.default.svc.cluster.local", configuration["issuer"].Str());
        var jwksUri = new Uri(configuration["jwks_uri"].Str());
        Assert.Equal("/openid/v1/jwks", jwksUri.AbsolutePath);
        using var jwksResponse = await _admin.GetAsync(jwksUri.AbsolutePath);
        Assert.Equal("application/jwk-set+json", jwksResponse.Content.Headers.ContentType!.MediaType);
        var key = JsonNode.Parse(await jwksResponse.Content.ReadAsStringAsync())!["keys"]![0]!;

        // Verified with nothing but the published key: ES256 over "header.payload".
        var parts = token.Split('.');
        var header = JsonNode.Parse(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Decode(parts[0]))!;
        Assert.Equal((key["kid"].Str(), "ES256"), (header["kid"].Str(), header["alg"].Str()));
        using var ecdsa = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint
            {
                X = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(key["x"].Str()),
                Y = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(key["y"].Str()),
            },
        });
        Assert.True(ecdsa.VerifyData(Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"),
            Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(parts[2]), HashAlgorithmName.SHA256));
    }

    [Fact]
    public async Task A_token_bound_to_a_node_lives_as_long_as_the_node()
    {
        var (_, node) = await _admin.PostAsync("/api/v1/nodes", """{"metadata":{"name":"tok-node"} }""");
        var nodeUid = node["metadata"]!["uid"].Str();
        Assert.Equal(201, (await _admin.PostAsync("/api/v1/namespaces/default/serviceaccounts", """{"metadata":{"name":"node-agent"} }""")).Code);

        var (code, request) = await _admin.PostAsync("/api/v1/namespaces/default/serviceaccounts/node-agent/token",
            """{"spec":{"boundObjectRef":{"kind":"Node","apiVersion":"v1","name":"tok-node"}}}""");
        Assert.Equal(201, code);
        var token = request["status"]!["token"].Str();
        Assert.Equal(nodeUid, Claims(token)["kubernetes.io"]!["node"]!["uid"].Str());
        Assert.Null(Claims(token)["kubernetes.io"]!["pod"]);
        Assert.Equal("tok-node", (await WhoAmIAsync(WithToken(token)))["extra"]!["authentication.kubernetes.io/node-name"]![0].Str());

        Assert.Equal(200, (await _admin.DeleteJsonAsync("/api/v1/nodes/tok-node")).Code);
        Assert.Equal(401, (await WithToken(token).PostAsync("/apis/authentication.k8s.io/v1/selfsubjectreviews", "{}")).Code);
    }

    [Theory]
    [InlineData("""{"spec":null}""", 201, null)]
    [InlineData("""{"spec":{"boundObjectRef":{"kind":"Secret","apiVersion":"v1","name":"s"}}}""", 404, "secrets \"s\" not found")]
    [InlineData("""{"spec":{"boundObjectRef":{"kind":"Deployment","apiVersion":"apps/v1","name":"d"}}}""", 400, "cannot bind token to object of type apps/v1, Kind=Deployment")]
    [InlineData("""{"spec":{"boundObjectRef":{"kind":"Node","apiVersion":"v1","name":"nowhere"}}}""", 404, "nodes \"nowhere\" not found")]
    [InlineData("""{"spec":{"expirationSeconds":"soon"}}""", 400, "TokenRequest in version \"v1\" cannot be handled as a TokenRequest: json: cannot unmarshal string into Go struct field TokenRequestSpec.spec.expirationSeconds of type int64")]
    [InlineData("""{"metadata":{"name":"other"}}""", 422, "TokenRequest.authentication.k8s.io \"default\" is invalid: metadata.name: Invalid value: \"other\": must match the service account name if specified")]
    public async Task Malformed_or_unbindable_token_requests_get_the_apiservers_answers(string body, int code, string? message)
    {
        var (actual, answer) = await _admin.PostAsync("/api/v1/namespaces/default/serviceaccounts/default/token", body);

        Assert.Equal(code, actual);
        if (message is not null)
        {
            Assert.Equal(message, answer["message"].Str());
        }
    }
}
