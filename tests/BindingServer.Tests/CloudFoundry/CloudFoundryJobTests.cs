using System.Text.Json.Nodes;

namespace BindingServer.Tests.CloudFoundry;

/// <summary><c>DELETE /v2/service_bindings/:guid?async=true</c> and the <c>/v2/jobs</c> it hands out.</summary>
public sealed class CloudFoundryJobTests(CloudFoundryJobTests.SlowBrokerFactory factory) : IClassFixture<CloudFoundryJobTests.SlowBrokerFactory>
{
    /// <summary>The fake broker's asynchronous operations stay in progress for the whole test run.</summary>
    public sealed class SlowBrokerFactory : ServerFactory
    {
        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("CloudFoundry:AsyncOperationSeconds", "600");
        }
    }

    private readonly HttpClient _client = factory.Authorized();

    private async Task<string> GuidOfFirstAsync(string path, Func<JsonNode, bool>? match = null) =>
        (await _client.CallAsync(HttpMethod.Get, path)).Body!["resources"]!.AsArray().First(r => match?.Invoke(r!) ?? true)!["metadata"]!["guid"].Str();

    private async Task<string> CreateAsync(string path, string body)
    {
        var reply = await _client.CallAsync(HttpMethod.Post, path, body);
        Assert.True(reply.Code is 201 or 202, reply.Text);
        return reply.Guid();
    }

    /// <summary>An app in the default space, and the guid of the fake broker's asynchronous plan.</summary>
    private async Task<(string Space, string Plan, string App)> AppAndAsyncPlanAsync(string appName)
    {
        var space = await GuidOfFirstAsync("/v2/spaces");
        var plan = await GuidOfFirstAsync("/v2/service_plans", p => p["entity"]!["name"].Str() == "async");
        return (space, plan, await CreateAsync("/v2/apps", $$"""{"name":"{{appName}}","space_guid":"{{space}}"}"""));
    }

    /// <summary>The job once the worker has run it: it records the outcome in the store, which the wait follows.</summary>
    private async Task<JsonObject> JobWhenDoneAsync(string url) =>
        (await factory.UntilAsync(_client, url, r => r.Body!["entity"]!["status"].Str() is "finished" or "failed", $"{url} to finish")).Body!;

    [Fact]
    public async Task An_async_unbind_answers_a_queued_job_that_finishes_and_removes_the_binding()
    {
        var space = await GuidOfFirstAsync("/v2/spaces");
        var app = await CreateAsync("/v2/apps", $$"""{"name":"job-app","space_guid":"{{space}}"}""");
        var instance = await CreateAsync("/v2/user_provided_service_instances", $$"""{"name":"job-db","space_guid":"{{space}}"}""");
        var binding = await CreateAsync("/v2/service_bindings", $$"""{"app_guid":"{{app}}","service_instance_guid":"{{instance}}"}""");

        var queued = await _client.CallAsync(HttpMethod.Delete, $"/v2/service_bindings/{binding}?async=true");

        Assert.Equal(202, queued.Code);
        Assert.Null(queued.Response.Headers.Location);
        var job = queued.Guid();
        Assert.Equal(["guid", "created_at", "url"], queued.Body!["metadata"]!.AsObject().Select(p => p.Key));
        Assert.Equal($"/v2/jobs/{job}", queued.Body!["metadata"]!["url"].Str());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", queued.Body!["metadata"]!["created_at"].Str());
        Assert.Equal($$"""{"guid":"{{job}}","status":"queued"}""", queued.Body!["entity"]!.ToJsonString());

        var done = await JobWhenDoneAsync($"/v2/jobs/{job}");
        Assert.Equal("""{"metadata":{"guid":"0","created_at":"1970-01-01T00:00:00Z","url":"/v2/jobs/0"},"entity":{"guid":"0","status":"finished"}}""", done.ToJsonString());
        Assert.Equal(404, (await _client.CallAsync(HttpMethod.Get, $"/v2/service_bindings/{binding}")).Code);
    }

    [Fact]
    public async Task A_job_that_cannot_unbind_fails_with_the_error_details()
    {
        var (space, plan, app) = await AppAndAsyncPlanAsync("busy-app");
        var instance = await CreateAsync("/v2/service_instances", $$"""{"name":"busy-db","space_guid":"{{space}}","service_plan_guid":"{{plan}}"}""");
        var binding = await CreateAsync("/v2/service_bindings?accepts_incomplete=true", $$"""{"app_guid":"{{app}}","service_instance_guid":"{{instance}}"}""");
        Assert.Equal(202, (await _client.CallAsync(HttpMethod.Delete, $"/v2/service_bindings/{binding}?accepts_incomplete=true")).Code);

        var queued = await _client.CallAsync(HttpMethod.Delete, $"/v2/service_bindings/{binding}?async=true");
        var failed = await JobWhenDoneAsync($"/v2/jobs/{queued.Guid()}");

        Assert.Equal(
            $$$"""{"guid":"{{{queued.Guid()}}}","status":"failed","error":"Use of entity>error is deprecated in favor of entity>error_details.","error_details":{"description":"An operation for the service binding between app busy-app and service instance busy-db is in progress.","error_code":"CF-AsyncServiceBindingOperationInProgress","code":90008}}""",
            failed["entity"]!.ToJsonString(Cf.Wire));
        Assert.Equal(200, (await _client.CallAsync(HttpMethod.Get, $"/v2/service_bindings/{binding}")).Code);
    }

    [Fact]
    public async Task An_instance_still_being_provisioned_cannot_be_bound()
    {
        var (space, plan, app) = await AppAndAsyncPlanAsync("early-app");
        var provisioning = await _client.CallAsync(HttpMethod.Post, "/v2/service_instances?accepts_incomplete=true",
            $$"""{"name":"early-db","space_guid":"{{space}}","service_plan_guid":"{{plan}}"}""");
        Assert.Equal(202, provisioning.Code);
        Assert.Equal("in progress", provisioning.Body!["entity"]!["last_operation"]!["state"].Str());

        var refused = await _client.CallAsync(HttpMethod.Post, "/v2/service_bindings", $$"""{"app_guid":"{{app}}","service_instance_guid":"{{provisioning.Guid()}}"}""");

        Assert.Equal(409, refused.Code);
        Assert.Equal("""{"description":"An operation for service instance early-db is in progress.","error_code":"CF-AsyncServiceInstanceOperationInProgress","code":60016}""",
            refused.Body!.ToJsonString());
    }

    [Fact]
    public async Task A_user_provided_instance_in_an_unknown_space_is_an_invalid_relation()
    {
        var reply = await _client.CallAsync(HttpMethod.Post, "/v2/user_provided_service_instances", """{"name":"lost-db","space_guid":"no-such-space"}""");
        Assert.Equal(400, reply.Code);
        Assert.Equal("""{"description":"Could not find Space with guid: no-such-space","error_code":"CF-InvalidRelation","code":1002}""", reply.Body!.ToJsonString());
    }

    [Fact]
    public async Task Jobs_need_the_read_scope()
    {
        var noScope = await factory.Authorized(Cf.Token(scopes: ["cloud_controller.write"])).CallAsync(HttpMethod.Get, $"/v2/jobs/{Guid.NewGuid()}");
        Assert.Equal((403, "CF-InsufficientScope"), (noScope.Code, noScope.Body!["error_code"].Str()));
    }
}
