using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using BindingServer.CloudFoundry;
using BindingServer.CloudFoundry.Brokers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace BindingServer.Tests.CloudFoundry;

/// <summary>Tokens and requests for the v2 tests.</summary>
public static class Cf
{
    private static string Segment(JsonObject json) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(json.ToJsonString())).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string Token(string user = "user-1", string[]? scopes = null, string? signingKey = null, long? expires = null)
    {
        var claims = new JsonObject
        {
            ["user_id"] = user,
            ["scope"] = new JsonArray((scopes ?? ["cloud_controller.read", "cloud_controller.write"]).Select(s => (JsonNode)s).ToArray()),
        };
        if (expires is not null)
        {
            claims["exp"] = expires;
        }

        var head = $"{Segment(new JsonObject { ["alg"] = "HS256", ["typ"] = "JWT" })}.{Segment(claims)}";
        var signature = signingKey is null ? "c2ln" : Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(signingKey), Encoding.ASCII.GetBytes(head)))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return $"{head}.{signature}";
    }

    public static HttpClient Authorized(this ServerFactory factory, string? token = null)
    {
        var client = factory.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("bearer", token ?? Token());
        return client;
    }

    public sealed record Reply(int Code, JsonObject? Body, string Text, HttpResponseMessage Response);

    public static async Task<Reply> CallAsync(this HttpClient client, HttpMethod method, string url, string? body = null)
    {
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        JsonObject? json = null;
        if (text.Length > 0)
        {
            json = JsonNode.Parse(text) as JsonObject;
        }

        return new Reply((int)response.StatusCode, json, text, response);
    }

    /// <summary>GETs <paramref name="url"/> until <paramref name="done"/> holds, again after each change the store commits.</summary>
    public static Task<Reply> UntilAsync(this ServerFactory factory, HttpClient client, string url, Func<Reply, bool> done, string what) =>
        factory.UntilAsync(() => client.CallAsync(HttpMethod.Get, url), done, what);

    /// <summary>
    /// Moves the server's clock past the built-in broker's asynchronous operations (<c>CloudFoundry:AsyncOperationSeconds</c>)
    /// and has the broker poller look at once, so the operations under way finish at that round.
    /// </summary>
    public static void FinishBrokerOperations(this FakeClockServerFactory factory)
    {
        factory.Clock.Advance(TimeSpan.FromSeconds(factory.Services.GetRequiredService<IOptions<CloudFoundryOptions>>().Value.AsyncOperationSeconds));
        // A round that read the clock before it moved leaves them in progress; a pending wake makes another round after it.
        factory.Services.GetRequiredService<BrokerPoller>().Wake();
    }

    public static string Guid(this Reply reply) => reply.Body!["metadata"]!["guid"]!.GetValue<string>();

    /// <summary>Serializes as the server writes: quotes and angle brackets unescaped.</summary>
    public static readonly System.Text.Json.JsonSerializerOptions Wire = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Str(this JsonNode? node) => node?.GetValue<string>() ?? "";
}
