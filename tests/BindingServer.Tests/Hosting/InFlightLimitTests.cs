using System.Text;
using System.Text.Json.Nodes;
using BindingServer.CloudFoundry;
using BindingServer.Tests.CloudFoundry;
using Microsoft.AspNetCore.Hosting;

namespace BindingServer.Tests.Hosting;

/// <summary>
/// The apiserver's in-flight limits: with one mutating request allowed, a write that arrives while another is being
/// served gets 429 with Retry-After in its dialect's format; reads and watches are not held back.
/// </summary>
public sealed class InFlightLimitTests(InFlightLimitTests.OneWriterFactory factory) : IClassFixture<InFlightLimitTests.OneWriterFactory>
{
    public sealed class OneWriterFactory : ServerFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Server:MaxMutatingRequestsInFlight", "1");
            // Long enough for a loaded machine to get a write refused while the slow bind holds the one slot.
            builder.UseSetting("CloudFoundry:BrokerClientTimeoutSeconds", "8");
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

        // Wait for the slot to be taken: a write is refused once it is.
        using var client = factory.Client();
        HttpResponseMessage refused;
        var attempt = 0;
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            while ((refused = await client.PostAsync("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", Binding($"limited-{attempt++}"), deadline.Token)).StatusCode != System.Net.HttpStatusCode.TooManyRequests)
            {
                Assert.False(holding.IsCompleted, "the slow bind ended before any write was refused");
                await Task.Delay(20, deadline.Token);
            }
        }

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
