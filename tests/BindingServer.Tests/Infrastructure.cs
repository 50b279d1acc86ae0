using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.TestHost;
using BindingServer.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Time.Testing;

namespace BindingServer.Tests;

/// <summary>The server in-process over an in-memory store; one per test class.</summary>
public class ServerFactory : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Store:InMemory", "true");
        builder.UseSetting("Serilog:MinimumLevel:Default", "Warning");

        // The in-process server has no socket: broker requests to it (the built-in broker) go through the test server.
        builder.ConfigureTestServices(services => services.AddHttpClient(BindingServer.CloudFoundry.Brokers.BrokerClient.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(provider => new InProcessOrNetworkHandler(((TestServer)provider.GetRequiredService<IServer>()).CreateHandler())));
    }

    public HttpClient Client()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.UserAgent.ParseAdd("bindingserver-tests/1.0");
        return client;
    }

    /// <summary>A client acting as another identity through the Impersonate-* headers (the default admin impersonates).</summary>
    public HttpClient ClientAs(string user, params string[] groups)
    {
        var client = Client();
        client.DefaultRequestHeaders.Add("Impersonate-User", user);
        foreach (var group in groups)
        {
            client.DefaultRequestHeaders.Add("Impersonate-Group", group);
        }

        return client;
    }
}

/// <summary>
/// The server with a clock that moves only when a test advances it, for behaviour that happens after a time (a pod's
/// grace period, a broker operation that finishes later); one per test class.
/// </summary>
public class FakeClockServerFactory : ServerFactory
{
    /// <summary>Starts at the real time, so timestamps and token lifetimes read as they would.</summary>
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
    }
}

/// <summary>
/// Waits on what the server does in the background (controllers, the garbage collector, Cloud Foundry jobs and broker
/// polling) through the store's feed of committed changes, instead of sleeping between reads.
/// </summary>
public static class StoreWaits
{
    /// <summary>A safety net for a server that never gets there; waits end on the change they wait for.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Reads with <paramref name="read"/> until <paramref name="done"/> holds, reading again after each change the
    /// store commits; throws <see cref="TimeoutException"/> with the last value read after <see cref="Timeout"/>.
    /// </summary>
    public static async Task<T> UntilAsync<T>(this WebApplicationFactory<Program> factory, Func<Task<T>> read, Func<T, bool> done, string what)
    {
        var store = factory.Services.GetRequiredService<ObjectStore>();
        using var deadline = new CancellationTokenSource(Timeout);
        // Following before the first read, so a change between that read and the wait is not missed.
        using var feed = await store.FollowFromNowAsync(deadline.Token);
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }

            try
            {
                await feed.Live.ReadAsync(deadline.Token);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                throw new TimeoutException($"timed out after {Timeout.TotalSeconds} s waiting for {what}; last read: {value}");
            }

            // Changes committed together are read once.
            while (feed.Live.TryRead(out _))
            {
            }
        }
    }

    /// <summary>Waits for a GET of <paramref name="url"/> to answer <paramref name="status"/>, and returns the body.</summary>
    public static async Task<JsonObject> UntilStatusAsync(this WebApplicationFactory<Program> factory, HttpClient client, string url, int status) =>
        (await factory.UntilAsync(() => client.GetJsonAsync(url), r => r.Code == status, $"GET {url} to answer {status}")).Body;
}

/// <summary>Sends requests for <c>localhost</c> (where an in-process server answers as) to the test server, the rest to the network.</summary>
public sealed class InProcessOrNetworkHandler(HttpMessageHandler inProcess) : HttpMessageHandler
{
    private readonly HttpMessageInvoker _inProcess = new(inProcess);
    private readonly HttpMessageInvoker _network = new(new SocketsHttpHandler());

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        (request.RequestUri!.Host == "localhost" ? _inProcess : _network).SendAsync(request, cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inProcess.Dispose();
            _network.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>Small request helpers so tests read as the HTTP exchanges they check.</summary>
public static class Http
{
    /// <summary>
    /// A copy of an object without its conditions' null times. The apiserver writes an unset condition time as null
    /// (Go's zero metav1.Time), which the published schema, typing it as a string, does not allow; this asserts they
    /// are null and leaves the rest for the schema check.
    /// </summary>
    public static string WithoutNullConditionTimes(JsonNode obj)
    {
        var copy = obj.DeepClone();
        foreach (var condition in copy["status"]?["conditions"]?.AsArray() ?? [])
        {
            foreach (var time in condition!.AsObject().Where(p => p.Key.EndsWith("Time", StringComparison.Ordinal)).Select(p => p.Key).ToList())
            {
                Assert.Null(condition[time]);
                condition.AsObject().Remove(time);
            }
        }

        return copy.ToJsonString();
    }

    public const string Crbs = "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings";

    public static HttpContent Json(string json, string mediaType = "application/json")
    {
        var content = new StringContent(json, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return content;
    }

    public static HttpContent Json(JsonNode json, string mediaType = "application/json") => Json(json.ToJsonString(), mediaType);

    public static async Task<(int Code, JsonObject Body)> SendAsync(this HttpClient client, HttpMethod method, string url, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, url) { Content = content };
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, JsonNode.Parse(text)!.AsObject());
    }

    public static Task<(int Code, JsonObject Body)> PostAsync(this HttpClient client, string url, string json) =>
        client.SendAsync(HttpMethod.Post, url, Json(json));

    public static Task<(int Code, JsonObject Body)> PutAsync(this HttpClient client, string url, string json) =>
        client.SendAsync(HttpMethod.Put, url, Json(json));

    public static Task<(int Code, JsonObject Body)> PatchAsync(this HttpClient client, string url, string json, string mediaType) =>
        client.SendAsync(HttpMethod.Patch, url, Json(json, mediaType));

    public static Task<(int Code, JsonObject Body)> GetJsonAsync(this HttpClient client, string url) =>
        client.SendAsync(HttpMethod.Get, url);

    public static Task<(int Code, JsonObject Body)> DeleteJsonAsync(this HttpClient client, string url, string? json = null) =>
        client.SendAsync(HttpMethod.Delete, url, json is null ? null : Json(json));

    /// <summary>A valid ClusterRoleBinding body; tests tweak what they check.</summary>
    public static string Binding(string name, string role = "view", string subjects = """[{"kind":"User","name":"alice"}]""", string labels = "{}") =>
        $$$"""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"{{{name}}}","labels":{{{labels}}}},"subjects":{{{subjects}}},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"{{{role}}}"}}""";

    private static readonly System.Text.Json.JsonSerializerOptions Relaxed =
        new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The body as the server wrote it (compact, quotes unescaped), for exact comparisons.</summary>
    public static string Compact(this JsonNode node) => node.ToJsonString(Relaxed);

    public static string Str(this JsonNode? node) => node?.GetValue<string>() ?? "";
}
