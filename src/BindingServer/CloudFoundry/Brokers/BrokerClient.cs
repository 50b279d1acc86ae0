using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace BindingServer.CloudFoundry.Brokers;

/// <summary>Who a broker request is made for: the CC request's id and the user behind it (both absent for background polls).</summary>
public sealed record BrokerCaller(string? UserId, string? RequestId)
{
    public static BrokerCaller Of(HttpContext context, CfUser user) =>
        new(user.Id, context.Response.Headers["X-VCAP-Request-ID"].ToString() is { Length: > 0 } id ? id : null);
}

/// <summary>A broker's answer: its status, its raw body and that body as JSON when it is JSON.</summary>
public sealed record BrokerAnswer(string Method, Uri Uri, int Status, string Body, JsonNode? Json)
{
    public string? Text(string key) => (Json as JsonObject)?[key] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}

/// <summary>
/// Speaks the Open Service Broker API to one broker as Cloud Controller's broker client does: basic auth sent up front,
/// <c>X-Broker-API-Version: 2.15</c>, the originating identity and request ids, and CC's mapping of transport failures
/// (a timeout is 504 <c>CF-HttpClientTimeout</c>, anything else that stops the exchange 502 <c>CF-ServiceBrokerApiUnreachable</c>).
/// </summary>
public sealed class BrokerClient(IHttpClientFactory clients, IOptions<CloudFoundryOptions> options, SelfAddress self)
{
    /// <summary>The name of the HttpClient every broker request goes through; tests route it into an in-process server.</summary>
    public const string HttpClientName = "osb";

    public const string ApiVersion = "2.15";

    /// <summary>The broker's URL as requests use it; the built-in broker's is wherever this server listens now.</summary>
    public string BrokerUrl(ServiceBrokerRecord broker) => broker.IsBuiltIn ? self.Url + BuiltInBroker.Prefix : broker.BrokerUrl!;

    public async Task<BrokerAnswer> SendAsync(ServiceBrokerRecord broker, HttpMethod method, string pathAndQuery, JsonObject? body, BrokerCaller caller,
        CancellationToken cancellation = default)
    {
        var uri = new Uri(BrokerUrl(broker).TrimEnd('/') + pathAndQuery);
        using var request = new HttpRequestMessage(method, uri);
        var credentials = $"{broker.AuthUsername}:{broker.AuthPassword}";
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        request.Headers.Add("X-Broker-API-Version", ApiVersion);
        request.Headers.Add("X-Broker-API-Request-Identity", Guid.NewGuid().ToString());
        request.Headers.Add("X-Api-Info-Location", $"{self.Url}/v2/info");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (caller.RequestId is not null)
        {
            request.Headers.Add("X-VCAP-Request-ID", caller.RequestId);
        }

        if (caller.UserId is not null)
        {
            var identity = Convert.ToBase64String(Encoding.UTF8.GetBytes(new JsonObject { ["user_id"] = caller.UserId }.ToJsonString()));
            request.Headers.Add("X-Broker-API-Originating-Identity", $"cloudfoundry {identity}");
        }

        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.Value.BrokerClientTimeoutSeconds));
        var transportFailure = new JsonObject { ["uri"] = uri.ToString(), ["method"] = method.Method };
        try
        {
            using var response = await clients.CreateClient(HttpClientName).SendAsync(request, timeout.Token);
            var text = await response.Content.ReadAsStringAsync(timeout.Token);
            return new BrokerAnswer(method.Method, uri, (int)response.StatusCode, text, ParseJson(text));
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellation.IsCancellationRequested)
        {
            throw new CfApiException(504, "HttpClientTimeout", 10001, "The request to the service broker timed out", transportFailure);
        }
        catch (Exception error) when (error is HttpRequestException or IOException || (error is OperationCanceledException && !cancellation.IsCancellationRequested))
        {
            throw new CfApiException(502, "ServiceBrokerApiUnreachable", 10001, $"The service broker could not be reached: {uri}", transportFailure);
        }
    }

    private static JsonNode? ParseJson(string text)
    {
        try
        {
            return text.Length == 0 ? null : JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
