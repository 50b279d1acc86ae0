using System.Text.Json.Nodes;

namespace BindingServer.Tests.CloudFoundry;

public sealed class CloudFoundryTests(FakeClockServerFactory factory) : IClassFixture<FakeClockServerFactory>
{
    private readonly HttpClient _client = factory.Authorized();

    private async Task<string> SpaceAsync() =>
        (await _client.CallAsync(HttpMethod.Get, "/v2/spaces")).Body!["resources"]![0]!["metadata"]!["guid"].Str();

    private async Task<string> AppAsync(string name, string? space = null)
    {
        var reply = await _client.CallAsync(HttpMethod.Post, "/v2/apps", $$"""{"name":"{{name}}","space_guid":"{{space ?? await SpaceAsync()}}"}""");
        Assert.Equal(201, reply.Code);
        return reply.Guid();
    }

    private async Task<string> UserProvidedAsync(string name, string? space = null)
    {
        var reply = await _client.CallAsync(HttpMethod.Post, "/v2/user_provided_service_instances",
            $$"""{"name":"{{name}}","space_guid":"{{space ?? await SpaceAsync()}}","credentials":{"user":"u","password":"p"},"syslog_drain_url":"syslog://logs.example.com"}""");
        Assert.Equal(201, reply.Code);
        return reply.Guid();
    }

    private async Task<string> PlanAsync(string name)
    {
        var plans = (await _client.CallAsync(HttpMethod.Get, "/v2/service_plans")).Body!["resources"]!.AsArray();
        return plans.Single(p => p!["entity"]!["name"].Str() == name)!["metadata"]!["guid"].Str();
    }

    private async Task<string> ManagedAsync(string name, string plan)
    {
        var reply = await _client.CallAsync(HttpMethod.Post, "/v2/service_instances",
            $$"""{"name":"{{name}}","space_guid":"{{await SpaceAsync()}}","service_plan_guid":"{{await PlanAsync(plan)}}"}""");
        Assert.Equal(201, reply.Code);
        return reply.Guid();
    }

    private Task<Cf.Reply> BindAsync(string app, string instance, string extra = "", string query = "") =>
        _client.CallAsync(HttpMethod.Post, $"/v2/service_bindings{query}", $$"""{"app_guid":"{{app}}","service_instance_guid":"{{instance}}"{{extra}}}""");

    [Fact]
    public async Task Requests_without_a_bearer_token_are_not_authenticated()
    {
        var anonymous = factory.Client();
        var missing = await anonymous.CallAsync(HttpMethod.Get, "/v2/service_bindings");
        anonymous.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "bearer acceptance");
        var invalid = await anonymous.CallAsync(HttpMethod.Get, "/v2/service_bindings");

        Assert.Equal(401, missing.Code);
        Assert.Equal("{\"description\":\"Authentication error\",\"error_code\":\"CF-NotAuthenticated\",\"code\":10002}\n", missing.Text);
        Assert.Equal("application/json; charset=utf-8", missing.Response.Content.Headers.ContentType!.ToString());
        Assert.Equal(401, invalid.Code);
        Assert.Equal("CF-InvalidAuthToken", invalid.Body!["error_code"].Str());
        Assert.Equal(1000, invalid.Body!["code"]!.GetValue<int>());
    }

    [Fact]
    public async Task Info_is_open_and_reads_need_the_read_scope()
    {
        var info = await factory.Client().CallAsync(HttpMethod.Get, "/v2/info");
        var noScope = await factory.Authorized(Cf.Token(scopes: ["openid"])).CallAsync(HttpMethod.Get, "/v2/service_bindings");

        Assert.Equal(200, info.Code);
        Assert.Equal("2.293.0", info.Body!["api_version"].Str());
        Assert.Equal(403, noScope.Code);
        Assert.Equal("""{"description":"Your token lacks the necessary scopes to access this resource.","error_code":"CF-InsufficientScope","code":10007}""", noScope.Body!.ToJsonString());
    }

    [Fact]
    public async Task The_request_id_is_echoed_cleaned_and_joined_to_a_new_one()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v2/info");
        request.Headers.TryAddWithoutValidation("X-VCAP-Request-ID", "abc/def 123");
        using var response = await factory.Client().SendAsync(request);

        Assert.Matches("^abcdef123::[0-9a-f-]{36}$", response.Headers.GetValues("X-VCAP-Request-ID").Single());
    }

    [Fact]
    public async Task A_default_org_and_space_exist()
    {
        var orgs = await _client.CallAsync(HttpMethod.Get, "/v2/organizations");
        var spaces = await _client.CallAsync(HttpMethod.Get, "/v2/spaces");

        Assert.Equal("default-org", orgs.Body!["resources"]![0]!["entity"]!["name"].Str());
        Assert.Equal("default-space", spaces.Body!["resources"]![0]!["entity"]!["name"].Str());
        Assert.Equal(["total_results", "total_pages", "prev_url", "next_url", "resources"], spaces.Body!.Select(p => p.Key));
    }

    [Fact]
    public async Task App_creation_rules()
    {
        var missing = await _client.CallAsync(HttpMethod.Post, "/v2/apps", "{}");
        var noSpace = await _client.CallAsync(HttpMethod.Post, "/v2/apps", """{"name":"lost","space_guid":"nope"}""");
        await AppAsync("dup-app");
        var taken = await _client.CallAsync(HttpMethod.Post, "/v2/apps", $$"""{"name":"dup-app","space_guid":"{{await SpaceAsync()}}"}""");

        Assert.Equal("Request invalid due to parse error: Field: name, Error: Missing field name, Field: space_guid, Error: Missing field space_guid", missing.Body!["description"].Str());
        Assert.Equal(404, noSpace.Code);
        Assert.Equal("""{"description":"The app could not be found: nope","error_code":"CF-AppNotFound","code":100004}""", noSpace.Body!.ToJsonString());
        Assert.Equal(400, taken.Code);
        Assert.Equal("The app name is taken: dup-app", taken.Body!["description"].Str());

        var mistyped = await _client.CallAsync(HttpMethod.Post, "/v2/apps", $$"""{"name":"typed","space_guid":"{{await SpaceAsync()}}","buildpack":5,"command":["run"]}""");
        Assert.Equal((400, "Request invalid due to parse error: Field: buildpack, Error: Expected instance of String, given an instance of Integer, Field: command, Error: Expected instance of String, given an instance of Array"),
            (mistyped.Code, mistyped.Body!["description"].Str()));
    }

    [Fact]
    public async Task Binding_to_a_user_provided_instance_copies_its_credentials()
    {
        var app = await AppAsync("upsi-app");
        var instance = await UserProvidedAsync("upsi-db");

        var reply = await BindAsync(app, instance, ""","parameters":{"ignored":true}""");

        Assert.Equal(201, reply.Code);
        Assert.Equal($"/v2/service_bindings/{reply.Guid()}", reply.Response.Headers.Location!.ToString());
        Assert.Equal("Configuration+parameters+are+ignored+for+bindings+to+user-provided+service+instances.", reply.Response.Headers.GetValues("X-Cf-Warnings").Single());
        var entity = reply.Body!["entity"]!.AsObject();
        Assert.Equal(["app_guid", "service_instance_guid", "credentials", "binding_options", "gateway_data", "gateway_name", "syslog_drain_url",
            "volume_mounts", "name", "last_operation", "app_url", "service_instance_url", "service_binding_parameters_url"], entity.Select(p => p.Key));
        Assert.Equal("""{"user":"u","password":"p"}""", entity["credentials"]!.ToJsonString());
        Assert.Equal("syslog://logs.example.com", entity["syslog_drain_url"].Str());
        Assert.Equal($"/v2/user_provided_service_instances/{instance}", entity["service_instance_url"].Str());
        Assert.Equal("succeeded", entity["last_operation"]!["state"].Str());
        Assert.Equal(reply.Body!["metadata"]!["created_at"].Str(), reply.Body!["metadata"]!["updated_at"].Str());
    }

    [Fact]
    public async Task Binding_a_managed_instance_gets_credentials_from_the_broker()
    {
        var app = await AppAsync("managed-app");
        var instance = await ManagedAsync("managed-db", "small");

        var reply = await BindAsync(app, instance, ""","name":"prod-db" """);

        Assert.Equal(201, reply.Code);
        Assert.Equal($"fake://{instance}", reply.Body!["entity"]!["credentials"]!["uri"].Str());
        Assert.Equal("prod-db", reply.Body!["entity"]!["name"].Str());
        Assert.Equal($"/v2/service_instances/{instance}", reply.Body!["entity"]!["service_instance_url"].Str());
    }

    [Fact]
    public async Task Asynchronous_bindings_go_through_in_progress_to_succeeded()
    {
        var app = await AppAsync("async-app");
        var instance = await ManagedAsync("async-db", "async");

        var refused = await BindAsync(app, instance);
        var accepted = await BindAsync(app, instance, query: "?accepts_incomplete=true");

        Assert.Equal(502, refused.Code);
        Assert.Equal("CF-ServiceBrokerRespondedAsyncWhenNotAllowed", refused.Body!["error_code"].Str());
        Assert.Equal(202, accepted.Code);
        Assert.Equal("in progress", accepted.Body!["entity"]!["last_operation"]!["state"].Str());
        Assert.Null(accepted.Body!["entity"]!["credentials"]);

        var url = $"/v2/service_bindings/{accepted.Guid()}";
        Assert.Equal("in progress", (await _client.CallAsync(HttpMethod.Get, url)).Body!["entity"]!["last_operation"]!["state"].Str());

        factory.FinishBrokerOperations();
        var settled = await factory.UntilAsync(_client, url, r => r.Body!["entity"]!["last_operation"]!["state"].Str() != "in progress", "the bind to finish");

        Assert.Equal("succeeded", settled.Body!["entity"]!["last_operation"]!["state"].Str());
    }

    [Fact]
    public async Task Asynchronous_provisioning_finishes_and_the_instance_can_then_be_bound()
    {
        var app = await AppAsync("late-app");
        var provisioning = await _client.CallAsync(HttpMethod.Post, "/v2/service_instances?accepts_incomplete=true",
            $$"""{"name":"late-db","space_guid":"{{await SpaceAsync()}}","service_plan_guid":"{{await PlanAsync("async")}}"}""");
        Assert.Equal(202, provisioning.Code);

        factory.FinishBrokerOperations();
        var settled = await factory.UntilAsync(_client, $"/v2/service_instances/{provisioning.Guid()}",
            r => r.Body!["entity"]!["last_operation"]!["state"].Str() != "in progress", "the provisioning to finish");

        Assert.Equal("succeeded", settled.Body!["entity"]!["last_operation"]!["state"].Str());
        // The async plan binds asynchronously too.
        Assert.Equal(202, (await BindAsync(app, provisioning.Guid(), query: "?accepts_incomplete=true")).Code);
    }

    [Fact]
    public async Task Create_checks_in_cc_order()
    {
        var app = await AppAsync("order-app");
        var instance = await UserProvidedAsync("order-db");
        var unbindable = await ManagedAsync("order-dns", "standard");

        var badFlag = await BindAsync("x", "y", query: "?accepts_incomplete=maybe");
        var noApp = await BindAsync("missing-app", instance);
        var noInstance = await BindAsync(app, "missing-instance");
        var notBindable = await BindAsync(app, unbindable);
        var wrongType = await BindAsync(app, instance, ""","parameters":"text" """);
        var badName = await BindAsync(app, instance, ""","name":"has spaces" """);

        Assert.Equal((400, "CF-InvalidRequest", "The request is invalid"), (badFlag.Code, badFlag.Body!["error_code"].Str(), badFlag.Body!["description"].Str()));
        Assert.Equal((404, "The app could not be found: missing-app"), (noApp.Code, noApp.Body!["description"].Str()));
        Assert.Equal((404, "The service instance could not be found: missing-instance"), (noInstance.Code, noInstance.Body!["description"].Str()));
        Assert.Equal((400, "CF-UnbindableService"), (notBindable.Code, notBindable.Body!["error_code"].Str()));
        Assert.Equal("Request invalid due to parse error: Field: parameters, Error: Expected instance of Hash, given an instance of String", wrongType.Body!["description"].Str());
        Assert.Equal((400, "The binding name is invalid. Valid characters are alphanumeric, underscore, and dash."), (badName.Code, badName.Body!["description"].Str()));
    }

    [Fact]
    public async Task An_instance_in_another_space_is_a_space_mismatch()
    {
        var admin = factory.Authorized(Cf.Token("admin", ["cloud_controller.admin"]));
        var org = (await _client.CallAsync(HttpMethod.Get, "/v2/organizations")).Body!["resources"]![0]!["metadata"]!["guid"].Str();
        var other = (await admin.CallAsync(HttpMethod.Post, "/v2/spaces", $$"""{"name":"other-space","organization_guid":"{{org}}"}""")).Guid();
        Assert.Equal(201, (await admin.CallAsync(HttpMethod.Put, $"/v2/spaces/{other}/developers/user-1")).Code);
        var app = await AppAsync("mismatch-app");
        var instance = await UserProvidedAsync("elsewhere-db", other);

        var reply = await BindAsync(app, instance);

        Assert.Equal(400, reply.Code);
        Assert.Equal("""{"description":"VCAP::CloudController::ServiceBindingCreate::SpaceMismatch","error_code":"CF-ServiceBindingAppServiceTaken","code":90003}""", reply.Body!.ToJsonString());
    }

    [Fact]
    public async Task Lists_page_filter_and_validate_their_parameters()
    {
        var app = await AppAsync("list-app");
        foreach (var name in new[] { "l1", "l2", "l3" })
        {
            await BindAsync(app, await UserProvidedAsync($"list-{name}"));
        }

        var page = await _client.CallAsync(HttpMethod.Get, $"/v2/service_bindings?q=app_guid:{app}&results-per-page=2&page=1");
        Assert.Equal(3, page.Body!["total_results"]!.GetValue<int>());
        Assert.Equal(2, page.Body!["total_pages"]!.GetValue<int>());
        Assert.Null(page.Body!["prev_url"]);
        Assert.Equal($"/v2/service_bindings?order-direction=asc&page=2&q=app_guid:{app}&results-per-page=2", page.Body!["next_url"].Str());

        var inlined = await _client.CallAsync(HttpMethod.Get, $"/v2/apps/{app}/service_bindings?inline-relations-depth=1");
        Assert.Equal("list-app", inlined.Body!["resources"]![0]!["entity"]!["app"]!["entity"]!["name"].Str());

        var badKey = await _client.CallAsync(HttpMethod.Get, "/v2/service_bindings?q=foo:bar");
        var tooMany = await _client.CallAsync(HttpMethod.Get, "/v2/service_bindings?results-per-page=101");
        var direction = await _client.CallAsync(HttpMethod.Get, "/v2/service_bindings?order-direction=up");
        var orderBy = await _client.CallAsync(HttpMethod.Get, "/v2/service_bindings?order-by=name");
        Assert.Equal((400, "The query parameter is invalid: foo"), (badKey.Code, badKey.Body!["description"].Str()));
        Assert.Equal("The query parameter is invalid: results_per_page must be <= 100", tooMany.Body!["description"].Str());
        Assert.Equal("The query parameter is invalid: order_direction must be 'asc' or 'desc' but was 'up'", direction.Body!["description"].Str());
        Assert.Contains("must be 'asc' or 'desc' but was 'up'", direction.Text);
        Assert.Equal((500, "CF-OrderByParameterInvalid", "Cannot order by: name"), (orderBy.Code, orderBy.Body!["error_code"].Str(), orderBy.Body!["description"].Str()));
    }

    [Fact]
    public async Task Get_delete_and_parameters()
    {
        var app = await AppAsync("gd-app");
        var upsi = (await BindAsync(app, await UserProvidedAsync("gd-upsi"))).Guid();
        var managed = (await BindAsync(app, await ManagedAsync("gd-managed", "small"), ""","parameters":{"size":"xl"}""")).Guid();

        var missing = await _client.CallAsync(HttpMethod.Get, "/v2/service_bindings/nope");
        var upsiParameters = await _client.CallAsync(HttpMethod.Get, $"/v2/service_bindings/{upsi}/parameters");
        var managedParameters = await _client.CallAsync(HttpMethod.Get, $"/v2/service_bindings/{managed}/parameters");
        var deleted = await _client.CallAsync(HttpMethod.Delete, $"/v2/service_bindings/{upsi}");
        var put = await _client.CallAsync(HttpMethod.Put, $"/v2/service_bindings/{managed}", "{}");

        Assert.Equal("""{"description":"The service binding could not be found: nope","error_code":"CF-ServiceBindingNotFound","code":90004}""", missing.Body!.ToJsonString());
        Assert.Equal((400, "CF-ServiceFetchBindingParametersNotSupported"), (upsiParameters.Code, upsiParameters.Body!["error_code"].Str()));
        Assert.Equal("""{"size":"xl"}""", managedParameters.Body!.ToJsonString());
        Assert.Equal(204, deleted.Code);
        Assert.Equal("", deleted.Text);
        Assert.Equal(404, put.Code);
        Assert.Equal("""{"description":"Unknown request","error_code":"CF-NotFound","code":10000}""", put.Text);
    }

    [Fact]
    public async Task Apps_with_bindings_need_a_recursive_delete()
    {
        var app = await AppAsync("bound-app");
        await BindAsync(app, await UserProvidedAsync("bound-db"));

        var refused = await _client.CallAsync(HttpMethod.Delete, $"/v2/apps/{app}");
        var recursive = await _client.CallAsync(HttpMethod.Delete, $"/v2/apps/{app}?recursive=true");

        Assert.Equal(400, refused.Code);
        Assert.Equal("Please delete the service_bindings associations for your processes.", refused.Body!["description"].Str());
        Assert.Equal(204, recursive.Code);
        Assert.Equal(0, (await _client.CallAsync(HttpMethod.Get, $"/v2/service_bindings?q=app_guid:{app}")).Body!["total_results"]!.GetValue<int>());
    }
}

public sealed class CloudFoundrySignedTokenTests : IClassFixture<CloudFoundrySignedTokenTests.SignedFactory>
{
    public sealed class SignedFactory : ServerFactory
    {
        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("CloudFoundry:TokenSigningKey", "secret");
        }
    }

    private readonly SignedFactory _factory;

    public CloudFoundrySignedTokenTests(SignedFactory factory) => _factory = factory;

    [Fact]
    public async Task With_a_signing_key_only_tokens_signed_with_it_pass()
    {
        var good = await _factory.Authorized(Cf.Token(signingKey: "secret")).CallAsync(HttpMethod.Get, "/v2/spaces");
        var forged = await _factory.Authorized(Cf.Token(signingKey: "guess")).CallAsync(HttpMethod.Get, "/v2/spaces");
        var expired = await _factory.Authorized(Cf.Token(signingKey: "secret", expires: 1)).CallAsync(HttpMethod.Get, "/v2/spaces");

        Assert.Equal(200, good.Code);
        Assert.Equal((401, "CF-InvalidAuthToken"), (forged.Code, forged.Body!["error_code"].Str()));
        Assert.Equal(401, expired.Code);
    }
}

/// <summary>
/// Every broker outcome of the reference's error table, produced by the built-in broker's failure plans over HTTP
/// (with a one-second broker timeout, so the slow plan times out quickly).
/// </summary>
public sealed class CloudFoundryBrokerErrorTests(CloudFoundryBrokerErrorTests.ShortTimeoutFactory factory) : IClassFixture<CloudFoundryBrokerErrorTests.ShortTimeoutFactory>
{
    public sealed class ShortTimeoutFactory : ServerFactory
    {
        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("CloudFoundry:BrokerClientTimeoutSeconds", "1");
        }
    }

    private readonly HttpClient _client = factory.Authorized();

    private async Task<(string App, string Space)> AppAsync(string name)
    {
        var space = (await _client.CallAsync(HttpMethod.Get, "/v2/spaces")).Body!["resources"]![0]!["metadata"]!["guid"].Str();
        var app = (await _client.CallAsync(HttpMethod.Post, "/v2/apps", $$"""{"name":"{{name}}","space_guid":"{{space}}"}""")).Guid();
        return (app, space);
    }

    private async Task<string> InstanceAsync(string space, string planName, string service = "fake-db")
    {
        var services = (await _client.CallAsync(HttpMethod.Get, "/v2/services")).Body!["resources"]!.AsArray();
        var serviceGuid = services.Single(s => s!["entity"]!["label"].Str() == service)!["metadata"]!["guid"].Str();
        var plans = (await _client.CallAsync(HttpMethod.Get, $"/v2/service_plans?q=service_guid:{serviceGuid}")).Body!["resources"]!.AsArray();
        var plan = plans.Single(p => p!["entity"]!["name"].Str() == planName)!["metadata"]!["guid"].Str();
        return (await _client.CallAsync(HttpMethod.Post, "/v2/service_instances",
            $$"""{"name":"{{planName}}-{{Guid.NewGuid():N}}","space_guid":"{{space}}","service_plan_guid":"{{plan}}"}""")).Guid();
    }

    [Theory]
    [InlineData("fail-server-error", 502, "CF-ServiceBrokerBadResponse", "Service broker error: fake broker failure", """{"method":"PUT","status":500}""")]
    [InlineData("fail-conflict", 409, "CF-ServiceBrokerConflict", "Service broker error: fake broker failure", """{"method":"PUT","status":409}""")]
    [InlineData("fail-rejected", 502, "CF-ServiceBrokerRequestRejected", "Service broker error: fake broker failure", """{"method":"PUT","status":400}""")]
    [InlineData("fail-unauthorized", 502, "CF-ServiceBrokerApiAuthenticationFailed",
        "Authentication failed for the service broker API. Double-check that the username and password are correct: {uri}", """{"method":"PUT","status":401}""")]
    [InlineData("fail-timeout", 504, "CF-ServiceBrokerApiTimeout", "The request to the service broker timed out: {uri}", """{"method":"PUT","status":408}""")]
    [InlineData("fail-unreachable", 502, "CF-ServiceBrokerApiUnreachable", "The service broker could not be reached: {uri}", """{"uri":"{uri}","method":"PUT"}""")]
    [InlineData("fail-requires-app", 400, "CF-AppRequired", "This service supports generation of credentials through binding an application only.", """{"method":"PUT","status":422}""")]
    [InlineData("fail-async-required", 400, "CF-AsyncRequired", "This service plan requires client support for asynchronous service operations.", """{"method":"PUT","status":422}""")]
    [InlineData("fail-concurrency", 422, "CF-ConcurrencyError", "The service broker could not perform this operation in parallel with other running operations", """{"method":"PUT","status":422}""")]
    [InlineData("fail-malformed", 502, "CF-ServiceBrokerResponseMalformed",
        "The service broker returned an invalid response: expected valid JSON object in body, broker returned 'fake broker failure'", """{"method":"PUT","status":201}""")]
    [InlineData("fail-syslog-drain", 502, "CF-ServiceBrokerInvalidSyslogDrainUrl",
        "The service is attempting to stream logs from your application, but is not registered as a logging service. Please contact the service provider.",
        """{"method":"PUT","status":201}""")]
    [InlineData("fail-volume-mounts", 502, "CF-ServiceBrokerInvalidVolumeMounts",
        "The service broker returned an invalid response: The service is attempting to supply volume mounts from your application, but is not registered as a volume mount service. Please contact the service provider.",
        """{"method":"PUT","status":201}""")]
    [InlineData("fail-client-timeout", 504, "CF-HttpClientTimeout", "The request to the service broker timed out", """{"uri":"{uri}","method":"PUT"}""")]
    public async Task Broker_failures_map_to_cc_errors(string plan, int status, string errorCode, string description, string http)
    {
        var (app, space) = await AppAsync($"app-{plan}");
        var instance = await InstanceAsync(space, plan);

        var reply = await _client.CallAsync(HttpMethod.Post, "/v2/service_bindings", $$"""{"app_guid":"{{app}}","service_instance_guid":"{{instance}}"}""");

        // Errors that name the broker request name the built-in broker's bind URL, with the binding guid CC chose.
        static string Unnamed(string text, string instance) =>
            System.Text.RegularExpressions.Regex.Replace(text, $"http://localhost/_bindingserver/osb/v2/service_instances/{instance}/service_bindings/[0-9a-f-]{{36}}", "{uri}");
        Assert.Equal(status, reply.Code);
        Assert.Equal(errorCode, reply.Body!["error_code"].Str());
        Assert.Equal(10001, reply.Body!["code"]!.GetValue<int>());
        Assert.Equal(description, Unnamed(reply.Body!["description"].Str(), instance));
        Assert.Equal(http, Unnamed(reply.Body!["http"]!.ToJsonString(), instance));
        Assert.Equal(0, (await _client.CallAsync(HttpMethod.Get, $"/v2/service_bindings?q=app_guid:{app}")).Body!["total_results"]!.GetValue<int>());
    }

    [Fact]
    public async Task Volume_services_are_refused_while_disabled_as_by_default_in_cc()
    {
        var (app, space) = await AppAsync("app-nfs");
        var instance = await InstanceAsync(space, "nfs", "fake-nfs");

        var reply = await _client.CallAsync(HttpMethod.Post, "/v2/service_bindings", $$"""{"app_guid":"{{app}}","service_instance_guid":"{{instance}}"}""");

        Assert.Equal(403, reply.Code);
        Assert.Equal("""{"description":"Support for volume mount services is disabled","error_code":"CF-VolumeMountServiceDisabled","code":60025}""",
            reply.Body!.ToJsonString());
    }

    [Fact]
    public async Task An_asynchronous_broker_without_retrievable_bindings_is_refused()
    {
        var (app, space) = await AppAsync("app-opaque");
        var instance = await InstanceAsync(space, "queue-async", "fake-queue");

        var reply = await _client.CallAsync(HttpMethod.Post, "/v2/service_bindings?accepts_incomplete=true", $$"""{"app_guid":"{{app}}","service_instance_guid":"{{instance}}"}""");

        Assert.Equal(400, reply.Code);
        Assert.Equal("""{"description":"The service binding is invalid: Could not create asynchronous binding when bindings_retrievable is false.","error_code":"CF-ServiceBindingInvalid","code":90001}""",
            reply.Body!.ToJsonString());
    }

    [Fact]
    public async Task Malformed_bodies_and_non_integer_paging_are_cc_errors()
    {
        var invalidJson = await _client.CallAsync(HttpMethod.Post, "/v2/service_bindings", "{not json");
        var empty = await _client.CallAsync(HttpMethod.Post, "/v2/service_bindings", "");
        var nonInteger = await _client.CallAsync(HttpMethod.Get, "/v2/service_bindings?page=abc");
        var tooDeep = await _client.CallAsync(HttpMethod.Get, "/v2/service_bindings?inline-relations-depth=4");

        Assert.Equal((400, "CF-MessageParseError"), (invalidJson.Code, invalidJson.Body!["error_code"].Str()));
        Assert.StartsWith("Request invalid due to parse error: ", invalidJson.Body!["description"].Str());
        Assert.Equal("Request invalid due to parse error: Decoded JSON cannot be nil", empty.Body!["description"].Str());
        Assert.Equal("""{"error_code":"UnknownError","description":"An unknown error occurred.","code":10001}""", nonInteger.Body!.ToJsonString());
        Assert.Equal("The query parameter is invalid: inline_relations_depth must be <= 3", tooDeep.Body!["description"].Str());
    }
}

public sealed class CloudFoundryVolumeServiceTests(CloudFoundryVolumeServiceTests.VolumesEnabledFactory factory)
    : IClassFixture<CloudFoundryVolumeServiceTests.VolumesEnabledFactory>
{
    public sealed class VolumesEnabledFactory : ServerFactory
    {
        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("CloudFoundry:VolumeServicesEnabled", "true");
        }
    }

    [Fact]
    public async Task With_volume_services_enabled_the_binding_carries_the_mount()
    {
        var client = factory.Authorized();
        var space = (await client.CallAsync(HttpMethod.Get, "/v2/spaces")).Body!["resources"]![0]!["metadata"]!["guid"].Str();
        var plan = (await client.CallAsync(HttpMethod.Get, "/v2/service_plans")).Body!["resources"]!.AsArray()
            .Single(p => p!["entity"]!["name"].Str() == "nfs")!["metadata"]!["guid"].Str();
        var app = (await client.CallAsync(HttpMethod.Post, "/v2/apps", $$"""{"name":"nfs-app","space_guid":"{{space}}"}""")).Guid();
        var instance = (await client.CallAsync(HttpMethod.Post, "/v2/service_instances",
            $$"""{"name":"nfs-share","space_guid":"{{space}}","service_plan_guid":"{{plan}}"}""")).Guid();

        var reply = await client.CallAsync(HttpMethod.Post, "/v2/service_bindings", $$"""{"app_guid":"{{app}}","service_instance_guid":"{{instance}}"}""");

        Assert.Equal(201, reply.Code);
        Assert.Equal($$"""[{"container_dir":"/var/vcap/data/{{instance}}","mode":"rw","device_type":"shared"}]""",
            reply.Body!["entity"]!["volume_mounts"]!.ToJsonString());
    }
}
