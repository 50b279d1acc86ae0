using System.Text;
using System.Text.Json.Nodes;
using BindingServer.CloudFoundry;
using BindingServer.CloudFoundry.Brokers;
using BindingServer.Tests.CloudFoundry;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace BindingServer.Tests.Hosting;

/// <summary>
/// The apiserver's in-flight limits: with one mutating request allowed, a write that arrives while another is being
/// served gets 429 with Retry-After in its dialect's format; reads and watches are not held back.
/// </summary>
public sealed class InFlightLimitTests(InFlightLimitTests.OneWriterFactory factory) : IClassFixture<InFlightLimitTests.OneWriterFactory>
{
    public sealed class OneWriterFactory : ServerFactory
    {
        /// <summary>Completes when the server sends a bind to a broker, from inside the request that asked for it.</summary>
        public TaskCompletionSource BindSent { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Server:MaxMutatingRequestsInFlight", "1");
            // Long enough for a loaded machine to get a write refused while the slow bind holds the one slot.
            builder.UseSetting("CloudFoundry:BrokerClientTimeoutSeconds", "8");
            builder.ConfigureTestServices(services => services.AddHttpClient(BrokerClient.HttpClientName)
                .AddHttpMessageHandler(() => new SentHandler(request =>
                {
                    if (request.Method == HttpMethod.Put && request.RequestUri!.AbsolutePath.Contains("/service_bindings/", StringComparison.Ordinal))
                    {
                        BindSent.TrySetResult();
                    }
                })));
        }
    }

    private sealed class SentHandler(Action<HttpRequestMessage> sent) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            sent(request);
            return base.SendAsync(request, cancellationToken);
        }
    }

    private static StringContent Binding(string name) => new(
        $$"""{"metadata":{"name":"{{name}}"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"} }""", Encoding.UTF8, "application/json");

    [Fact]
    public async Task A_write_past_the_limit_is_told_to_come_back_and_reads_go_on()
    {
        // A bind to the built-in broker's slow plan holds the one mutating slot for the broker timeout.
        var cf = factory.Authorized(Cf.Token("limit-dev"));
        var space = CfStore.StableGuid("spaces/default-space");
        var plans = (await cf.CallAsync(HttpMethod.Get, "/v2/service_plans?results-per-page=100")).Body!["resources"]!.AsArray();
        var slow = plans.Single(p => p!["entity"]!["name"].Str() == "fail-client-timeout")!["metadata"]!["guid"].Str();
        var app = (await cf.CallAsync(HttpMethod.Post, "/v2/apps", """{"name":"limited","space_guid":"accc5133-6b9e-8af2-8026-ac93001c836d"}""")).Guid();
        var instance = (await cf.CallAsync(HttpMethod.Post, "/v2/service_instances", $$"""{"name":"slow-db","space_guid":"{{space}}","service_plan_guid":"{{slow}}"}""")).Guid();
        var holding = cf.CallAsync(HttpMethod.Post, "/v2/service_bindings", $$"""{"app_guid":"{{app}}","service_instance_guid":"{{instance}}"}""");

        // The slot is taken once the binding request, still being served, has sent its bind to the broker.
        await factory.BindSent.Task.WaitAsync(StoreWaits.Timeout);
        using var client = factory.Client();
        using var refused = await client.PostAsync("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", Binding("limited"));

        Assert.False(holding.IsCompleted, "the slow bind ended before the write was refused");
        Assert.Equal(System.Net.HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("1", refused.Headers.RetryAfter!.ToString());
        var status = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!;
        Assert.Equal("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Too many requests, please try again later.","reason":"TooManyRequests","details":{"retryAfterSeconds":1},"code":429}""",
            status.ToJsonString());
        Assert.Equal(200, (int)(await client.GetAsync("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings")).StatusCode);
        var cfRefused = await cf.CallAsync(HttpMethod.Post, "/v2/apps", """{"name":"later","space_guid":"accc5133-6b9e-8af2-8026-ac93001c836d"}""");
        Assert.Equal(429, cfRefused.Code);
        Assert.Equal("CF-RateLimitV2APIExceeded", cfRefused.Body!["error_code"].Str());

        Assert.Equal(504, (await holding).Code);
        Assert.Equal(201, (int)(await client.PostAsync("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", Binding("after-the-limit"))).StatusCode);
    }
}
