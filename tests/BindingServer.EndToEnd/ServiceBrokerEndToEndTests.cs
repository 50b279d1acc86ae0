using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BindingServer.EndToEnd;

/// <summary>
/// The real server with a broker client timeout of 2 s (Cloud Controller's <c>broker_client_timeout_seconds</c>), so the
/// test broker's <c>slow</c> plan, which takes 5 s to bind, times out.
/// </summary>
public sealed class ShortBrokerTimeoutServer : IAsyncLifetime
{
    private readonly ServerProcess _server = new("--CloudFoundry:BrokerClientTimeoutSeconds=2");

    public Uri BaseAddress => _server.BaseAddress;

    /// <summary>What the server wrote to standard error so far.</summary>
    public string Errors => _server.Errors;

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();
}

/// <summary>
/// A real Open Service Broker (tests/BindingServer.TestBroker, in its own process) registered with the real server and
/// driven with curl, as users drive Cloud Controller: registration, plan visibility, provisioning, binding, the app's
/// environment, broker failures and CC's orphan mitigation, asynchronous operations and service keys. Tests share the
/// broker, so each registers its own broker record under its own name and finds its requests by the guids in their paths.
/// </summary>
public sealed class ServiceBrokerEndToEndTests(ShortBrokerTimeoutServer server, TestBrokerProcess broker)
    : IClassFixture<ShortBrokerTimeoutServer>, IClassFixture<TestBrokerProcess>
{
    [Fact]
    public async Task A_new_user_registers_a_broker_makes_its_plan_public_provisions_and_binds_with_curl()
    {
        var cf = new BrokerScenario(server.BaseAddress, broker);
        var admin = CfIdentity.Admin();
        var developer = CfIdentity.Developer();
        var name = "e2e-broker-" + BrokerScenario.Unique();
        var requestId = "e2e-register-" + BrokerScenario.Unique();

        // The admin registers the broker: CC fetches its catalog, and answers with its broker presenter (no password).
        var registered = await cf.CurlAsync("POST", "/v2/service_brokers", admin, new JsonObject
        {
            ["name"] = name, ["broker_url"] = cf.BrokerUrl, ["auth_username"] = broker.Username, ["auth_password"] = broker.Password,
        }, requestId);
        Assert.True(registered.Status == 201, registered.Describe());
        var brokerGuid = registered.Guid;
        Assert.Equal($"/v2/service_brokers/{brokerGuid}", registered.Header("Location"));
        Assert.Equal("name,broker_url,auth_username,space_guid", BrokerScenario.Keys(registered.Entity));
        Assert.Equal("guid,created_at,updated_at,url", BrokerScenario.Keys(registered.Body!["metadata"]));
        Assert.Equal($"/v2/service_brokers/{brokerGuid}", (string?)registered.Body!["metadata"]!["url"]);
        Assert.Equal(name, (string?)registered.Entity["name"]);
        Assert.Equal(cf.BrokerUrl, (string?)registered.Entity["broker_url"]);
        Assert.Equal(broker.Username, (string?)registered.Entity["auth_username"]);
        Assert.Null(registered.Entity["space_guid"]);
        Assert.DoesNotContain(broker.Password, registered.Text, StringComparison.Ordinal);

        // The catalog request: basic auth sent up front, OSB 2.15, a request identity, the admin as originating identity,
        // and CC's own request id (the one it answered with).
        var vcapRequestId = registered.Header("X-VCAP-Request-ID");
        Assert.StartsWith(requestId + "::", vcapRequestId, StringComparison.Ordinal);
        var catalog = Assert.Single(await broker.RequestsAsync(),
            r => r is { Method: "GET", Path: "/v2/catalog" } && r.Headers.GetValueOrDefault("x-vcap-request-id") == vcapRequestId);
        Assert.Equal($"{broker.Username}:{broker.Password}", BrokerScenario.DecodeBasic(catalog.Headers["authorization"]));
        Assert.Equal("2.15", catalog.Headers["x-broker-api-version"]);
        Assert.True(Guid.TryParse(catalog.Headers.GetValueOrDefault("x-broker-api-request-identity"), out _),
            "x-broker-api-request-identity: " + catalog.Headers.GetValueOrDefault("x-broker-api-request-identity"));
        Assert.Equal(BrokerScenario.OriginatingIdentity(admin.User), catalog.Headers.GetValueOrDefault("x-broker-api-originating-identity"));

        // Its service is in the catalog, named after the broker; its plans start private.
        var services = await cf.CurlAsync("GET", "/v2/services", admin);
        Assert.Equal(200, services.Status);
        var service = Assert.Single(services.Resources(), s => (string?)s["entity"]!["service_broker_guid"] == brokerGuid)["entity"]!;
        Assert.Equal("test-db", (string?)service["label"]);
        Assert.Equal(name, (string?)service["service_broker_name"]);
        Assert.Equal(TestBrokerProcess.ServiceId, (string?)service["unique_id"]);

        var plans = await cf.PlansAsync(brokerGuid, admin);
        Assert.Equal(7, plans.Count);
        Assert.Equal(string.Join(",", BrokerScenario.PlanNames.Order(StringComparer.Ordinal)),
            string.Join(",", plans.Select(p => (string)p["entity"]!["name"]!).Order(StringComparer.Ordinal)));
        Assert.All(plans, p => Assert.False((bool)p["entity"]!["public"]!, p.ToJsonString()));
        var syncPlan = plans.Single(p => (string?)p["entity"]!["name"] == "sync")["metadata"]!["guid"]!.GetValue<string>();

        // A developer does not see the private plan, and may not provision it.
        Assert.DoesNotContain(await cf.PlansAsync(brokerGuid, developer), p => (string?)p["metadata"]!["guid"] == syncPlan);
        var (space, org) = await cf.DefaultSpaceAsync(developer);
        var instanceName = "e2e-db-" + BrokerScenario.Unique();
        var refused = await cf.CurlAsync("POST", "/v2/service_instances", developer,
            new JsonObject { ["name"] = instanceName, ["space_guid"] = space, ["service_plan_guid"] = syncPlan });
        Assert.True(refused.Status == 403, refused.Describe());
        Assert.Equal("CF-NotAuthorized", (string?)refused.Body?["error_code"]);

        // The admin makes it public: 201, and everyone sees it public.
        var published = await cf.CurlAsync("PUT", $"/v2/service_plans/{syncPlan}", admin, new JsonObject { ["public"] = true });
        Assert.True(published.Status == 201, published.Describe());
        Assert.True((bool)published.Entity["public"]!);
        var seen = await cf.CurlAsync("GET", $"/v2/service_plans/{syncPlan}", developer);
        Assert.True(seen.Status == 200, seen.Describe());
        Assert.True((bool)seen.Entity["public"]!);

        // The developer provisions: the broker is asked with CC's provision body and answers with a dashboard.
        var app = await cf.CreateAsync("/v2/apps", developer, new JsonObject { ["name"] = "e2e-app-" + BrokerScenario.Unique(), ["space_guid"] = space });
        var created = await cf.CurlAsync("POST", "/v2/service_instances", developer, new JsonObject
        {
            ["name"] = instanceName, ["space_guid"] = space, ["service_plan_guid"] = syncPlan, ["parameters"] = new JsonObject { ["size"] = "small" },
        });
        Assert.True(created.Status == 201, created.Describe());
        var instance = created.Guid;
        Assert.Equal($"http://dashboard.example/{instance}", (string?)created.Entity["dashboard_url"]);
        Assert.Equal("succeeded", (string?)created.Entity["last_operation"]?["state"]);

        var provision = Assert.Single(await broker.RequestsAsync(), r => r.Method == "PUT" && r.Path == $"/v2/service_instances/{instance}");
        Assert.Equal("", provision.Query);
        var provisionBody = provision.Body!;
        Assert.Equal(TestBrokerProcess.ServiceId, (string?)provisionBody["service_id"]);
        Assert.Equal(TestBrokerProcess.PlanId("sync"), (string?)provisionBody["plan_id"]);
        Assert.Equal(org, (string?)provisionBody["organization_guid"]);
        Assert.Equal(space, (string?)provisionBody["space_guid"]);
        Assert.Equal("cloudfoundry", (string?)provisionBody["context"]?["platform"]);
        Assert.Equal(org, (string?)provisionBody["context"]?["organization_guid"]);
        Assert.Equal(space, (string?)provisionBody["context"]?["space_guid"]);
        Assert.Equal(instanceName, (string?)provisionBody["context"]?["instance_name"]);
        BrokerScenario.AssertJson("""{"size":"small"}""", provisionBody["parameters"]);
        Assert.Equal(BrokerScenario.OriginatingIdentity(developer.User), provision.Headers.GetValueOrDefault("x-broker-api-originating-identity"));

        // The developer binds: the credentials are the broker's.
        var bound = await cf.CurlAsync("POST", "/v2/service_bindings", developer, new JsonObject
        {
            ["app_guid"] = app, ["service_instance_guid"] = instance, ["parameters"] = new JsonObject { ["role"] = "ro" },
        });
        Assert.True(bound.Status == 201, bound.Describe());
        var binding = bound.Guid;
        var credentials = BrokerScenario.Credentials(instance, binding);
        BrokerScenario.AssertJson(credentials, bound.Entity["credentials"]);

        var bindingPath = $"/v2/service_instances/{instance}/service_bindings/{binding}";
        var bind = Assert.Single(await broker.RequestsAsync(), r => r.Method == "PUT" && r.Path == bindingPath);
        Assert.Equal("", bind.Query);
        var bindBody = bind.Body!;
        Assert.Equal("service_id,plan_id,app_guid,bind_resource,context,parameters", BrokerScenario.Keys(bindBody));
        Assert.Equal(TestBrokerProcess.ServiceId, (string?)bindBody["service_id"]);
        Assert.Equal(TestBrokerProcess.PlanId("sync"), (string?)bindBody["plan_id"]);
        Assert.Equal(app, (string?)bindBody["app_guid"]);
        Assert.Equal(app, (string?)bindBody["bind_resource"]?["app_guid"]);
        Assert.Equal(space, (string?)bindBody["bind_resource"]?["space_guid"]);
        Assert.Equal("cloudfoundry", (string?)bindBody["context"]?["platform"]);
        Assert.Equal(org, (string?)bindBody["context"]?["organization_guid"]);
        Assert.Equal(space, (string?)bindBody["context"]?["space_guid"]);
        BrokerScenario.AssertJson("""{"role":"ro"}""", bindBody["parameters"]);
        Assert.Equal(bound.Header("X-VCAP-Request-ID"), bind.Headers.GetValueOrDefault("x-vcap-request-id"));
        Assert.Equal(BrokerScenario.OriginatingIdentity(developer.User), bind.Headers.GetValueOrDefault("x-broker-api-originating-identity"));

        // The app's environment carries the broker's credentials under the service's label.
        var env = await cf.CurlAsync("GET", $"/v2/apps/{app}/env", developer);
        Assert.True(env.Status == 200, env.Describe());
        var entry = Assert.Single(env.Body!["system_env_json"]!["VCAP_SERVICES"]!["test-db"]!.AsArray())!;
        BrokerScenario.AssertJson(credentials, entry["credentials"]);
        Assert.Equal("test-db", (string?)entry["label"]);
        Assert.Equal("sync", (string?)entry["plan"]);
        Assert.Equal(instanceName, (string?)entry["instance_name"]);

        // The binding's parameters come from the broker.
        var parameters = await cf.CurlAsync("GET", $"/v2/service_bindings/{binding}/parameters", developer);
        Assert.True(parameters.Status == 200, parameters.Describe());
        BrokerScenario.AssertJson("""{"role":"ro"}""", parameters.Body);
        Assert.Contains(await broker.RequestsAsync(), r => r is { Method: "GET", Query: "" } && r.Path == bindingPath);

        // Unbind, then deprovision: each reaches the broker with the plan and service ids.
        var unbound = await cf.CurlAsync("DELETE", $"/v2/service_bindings/{binding}", developer);
        Assert.True(unbound.Status == 204, unbound.Describe());
        Assert.Contains(await broker.RequestsAsync(), r => r.Method == "DELETE" && r.Path == bindingPath &&
                                                          r.Query == "plan_id=test-db-sync-id&service_id=test-db-service-id");
        Assert.Equal(404, (await cf.CurlAsync("GET", $"/v2/service_bindings/{binding}", developer)).Status);

        var deleted = await cf.CurlAsync("DELETE", $"/v2/service_instances/{instance}", developer);
        Assert.True(deleted.Status == 204, deleted.Describe());
        Assert.Contains(await broker.RequestsAsync(), r => r.Method == "DELETE" && r.Path == $"/v2/service_instances/{instance}" &&
                                                          r.Query == "plan_id=test-db-sync-id&service_id=test-db-service-id");
        Assert.Equal(404, (await cf.CurlAsync("GET", $"/v2/service_instances/{instance}", developer)).Status);
    }

    [Fact]
    public async Task A_broker_failing_a_bind_gives_ccs_502_and_an_orphan_mitigation_unbind()
    {
        var cf = new BrokerScenario(server.BaseAddress, broker);
        var setup = await cf.PrepareAsync("failing");

        var bound = await cf.CurlAsync("POST", "/v2/service_bindings", setup.Developer,
            new JsonObject { ["app_guid"] = setup.App, ["service_instance_guid"] = setup.Instance });
        Assert.True(bound.Status == 502, bound.Describe());
        BrokerScenario.AssertJson(
            """{"description":"Service broker error: the test broker failed on purpose","error_code":"CF-ServiceBrokerBadResponse","code":10001,"http":{"method":"PUT","status":500}}""",
            bound.Body);

        var listed = await cf.CurlAsync("GET", $"/v2/apps/{setup.App}/service_bindings", setup.Developer);
        Assert.Equal(200, listed.Status);
        Assert.Empty(listed.Resources());

        // CC cannot know what the broker made of the failed bind, so it tells the broker to unbind that binding.
        var requests = await broker.RequestsAsync();
        var put = requests.Single(r => r.Method == "PUT" && r.Path.StartsWith($"/v2/service_instances/{setup.Instance}/service_bindings/", StringComparison.Ordinal));
        var putAt = requests.ToList().IndexOf(put);
        var mitigation = await cf.WaitForBrokerRequestAsync(all => all.Skip(putAt + 1).FirstOrDefault(r => r.Method == "DELETE" && r.Path == put.Path),
            $"an orphan-mitigation DELETE {put.Path}");
        Assert.Equal("plan_id=test-db-failing-id&service_id=test-db-service-id", mitigation.Query);
    }

    [Fact]
    public async Task A_broker_conflict_is_ccs_409()
    {
        var cf = new BrokerScenario(server.BaseAddress, broker);
        var setup = await cf.PrepareAsync("conflict");

        var bound = await cf.CurlAsync("POST", "/v2/service_bindings", setup.Developer,
            new JsonObject { ["app_guid"] = setup.App, ["service_instance_guid"] = setup.Instance });
        Assert.True(bound.Status == 409, bound.Describe());
        Assert.Equal("CF-ServiceBrokerConflict", (string?)bound.Body?["error_code"]);
        Assert.Equal("Service broker error: binding already exists with other attributes", (string?)bound.Body?["description"]);
        BrokerScenario.AssertJson(
            """{"description":"Service broker error: binding already exists with other attributes","error_code":"CF-ServiceBrokerConflict","code":10001,"http":{"method":"PUT","status":409}}""",
            bound.Body);
        var put = Assert.Single(await broker.RequestsAsync(),
            r => r.Method == "PUT" && r.Path.StartsWith($"/v2/service_instances/{setup.Instance}/service_bindings/", StringComparison.Ordinal));

        // A conflict is a clear answer: no orphan mitigation. Deprovisioning afterwards is the broker's next request for
        // this instance, so once it has arrived any unbind CC meant to send would have arrived before it.
        var deleted = await cf.CurlAsync("DELETE", $"/v2/service_instances/{setup.Instance}", setup.Developer);
        Assert.True(deleted.Status == 204, deleted.Describe());
        await cf.WaitForBrokerRequestAsync(all => all.FirstOrDefault(r => r.Method == "DELETE" && r.Path == $"/v2/service_instances/{setup.Instance}"),
            "the deprovision");
        Assert.DoesNotContain(await broker.RequestsAsync(), r => r.Method == "DELETE" && r.Path == put.Path);
    }

    [Fact]
    public async Task A_slow_broker_times_out_with_504_and_is_told_to_unbind()
    {
        var cf = new BrokerScenario(server.BaseAddress, broker);
        var setup = await cf.PrepareAsync("slow");

        var bound = await cf.CurlAsync("POST", "/v2/service_bindings", setup.Developer,
            new JsonObject { ["app_guid"] = setup.App, ["service_instance_guid"] = setup.Instance });
        Assert.True(bound.Status == 504, bound.Describe());
        var put = Assert.Single(await broker.RequestsAsync(),
            r => r.Method == "PUT" && r.Path.StartsWith($"/v2/service_instances/{setup.Instance}/service_bindings/", StringComparison.Ordinal));
        BrokerScenario.AssertJson(new JsonObject
        {
            ["description"] = "The request to the service broker timed out",
            ["error_code"] = "CF-HttpClientTimeout",
            ["code"] = 10001,
            ["http"] = new JsonObject { ["uri"] = cf.BrokerUrl + put.Path, ["method"] = "PUT" },
        }, bound.Body);

        var mitigation = await cf.WaitForBrokerRequestAsync(all => all.FirstOrDefault(r => r.Method == "DELETE" && r.Path == put.Path),
            $"an orphan-mitigation DELETE {put.Path}");
        Assert.Equal("plan_id=test-db-slow-id&service_id=test-db-service-id", mitigation.Query);
        var listed = await cf.CurlAsync("GET", $"/v2/apps/{setup.App}/service_bindings", setup.Developer);
        Assert.Empty(listed.Resources());
    }

    [Fact]
    public async Task Asynchronous_provision_and_bind_complete_through_last_operation()
    {
        var cf = new BrokerScenario(server.BaseAddress, broker);
        var setup = await cf.PrepareAsync("async", provision: false);

        // Provision: 202 in progress, then succeeded once the broker's last_operation says so.
        var created = await cf.CurlAsync("POST", "/v2/service_instances?accepts_incomplete=true", setup.Developer, new JsonObject
        {
            ["name"] = "e2e-async-db-" + BrokerScenario.Unique(), ["space_guid"] = setup.Space, ["service_plan_guid"] = setup.Plan,
        });
        Assert.True(created.Status == 202, created.Describe());
        Assert.Equal("create", (string?)created.Entity["last_operation"]?["type"]);
        Assert.Equal("in progress", (string?)created.Entity["last_operation"]?["state"]);
        var instance = created.Guid;
        var provisioned = await cf.UntilSettledAsync($"/v2/service_instances/{instance}", setup.Developer);
        Assert.True((string?)provisioned.Entity["last_operation"]?["state"] == "succeeded", provisioned.Describe());
        Assert.Contains(await broker.RequestsAsync(), r => r.Method == "GET" && r.Path == $"/v2/service_instances/{instance}/last_operation" &&
                                                          r.Query == $"operation=provision-{instance}&plan_id=test-db-async-id&service_id=test-db-service-id");

        // Bind: 202 in progress, then succeeded with the credentials fetched from the broker.
        var bound = await cf.CurlAsync("POST", "/v2/service_bindings?accepts_incomplete=true", setup.Developer,
            new JsonObject { ["app_guid"] = setup.App, ["service_instance_guid"] = instance });
        Assert.True(bound.Status == 202, bound.Describe());
        Assert.Equal("create", (string?)bound.Entity["last_operation"]?["type"]);
        Assert.Equal("in progress", (string?)bound.Entity["last_operation"]?["state"]);
        var binding = bound.Guid;
        var bindingPath = $"/v2/service_instances/{instance}/service_bindings/{binding}";
        var settled = await cf.UntilSettledAsync($"/v2/service_bindings/{binding}", setup.Developer);
        Assert.True((string?)settled.Entity["last_operation"]?["state"] == "succeeded", settled.Describe());
        BrokerScenario.AssertJson(BrokerScenario.Credentials(instance, binding), settled.Entity["credentials"]);

        var requests = (await broker.RequestsAsync()).ToList();
        var polled = requests.FindIndex(r => r.Method == "GET" && r.Path == bindingPath + "/last_operation" &&
                                             r.Query == $"operation=bind-{binding}&plan_id=test-db-async-id&service_id=test-db-service-id");
        Assert.True(polled >= 0, "the broker was not polled for the bind's last operation");
        Assert.Contains(requests.Skip(polled + 1), r => r is { Method: "GET", Query: "" } && r.Path == bindingPath);

        // Without accepts_incomplete the broker refuses the bind (422 AsyncRequired), which CC reports as 400.
        var otherApp = await cf.CreateAsync("/v2/apps", setup.Developer,
            new JsonObject { ["name"] = "e2e-app-" + BrokerScenario.Unique(), ["space_guid"] = setup.Space });
        var refused = await cf.CurlAsync("POST", "/v2/service_bindings", setup.Developer,
            new JsonObject { ["app_guid"] = otherApp, ["service_instance_guid"] = instance });
        Assert.True(refused.Status == 400, refused.Describe());
        BrokerScenario.AssertJson(
            """{"description":"This service plan requires client support for asynchronous service operations.","error_code":"CF-AsyncRequired","code":10001,"http":{"method":"PUT","status":422}}""",
            refused.Body);

        // Unbind asynchronously: 202, then the binding is gone.
        var unbound = await cf.CurlAsync("DELETE", $"/v2/service_bindings/{binding}?accepts_incomplete=true", setup.Developer);
        Assert.True(unbound.Status == 202, unbound.Describe());
        Assert.Contains(await broker.RequestsAsync(), r => r.Method == "DELETE" && r.Path == bindingPath &&
                                                          r.Query == "accepts_incomplete=true&plan_id=test-db-async-id&service_id=test-db-service-id");
        await cf.UntilAsync($"/v2/service_bindings/{binding}", setup.Developer, a => a.Status == 404, "the binding to be gone");

        // Deprovision asynchronously: 202, then the instance is gone.
        var deleted = await cf.CurlAsync("DELETE", $"/v2/service_instances/{instance}?accepts_incomplete=true", setup.Developer);
        Assert.True(deleted.Status == 202, deleted.Describe());
        Assert.Equal("delete", (string?)deleted.Entity["last_operation"]?["type"]);
        Assert.Equal("in progress", (string?)deleted.Entity["last_operation"]?["state"]);
        await cf.UntilAsync($"/v2/service_instances/{instance}", setup.Developer, a => a.Status == 404, "the instance to be gone");
        Assert.Contains(await broker.RequestsAsync(), r => r.Method == "DELETE" && r.Path == $"/v2/service_instances/{instance}" &&
                                                          r.Query == "accepts_incomplete=true&plan_id=test-db-async-id&service_id=test-db-service-id");
    }

    [Fact]
    public async Task An_asynchronous_bind_the_broker_fails_ends_failed()
    {
        var cf = new BrokerScenario(server.BaseAddress, broker);
        var setup = await cf.PrepareAsync("async-failing");

        var bound = await cf.CurlAsync("POST", "/v2/service_bindings?accepts_incomplete=true", setup.Developer,
            new JsonObject { ["app_guid"] = setup.App, ["service_instance_guid"] = setup.Instance });
        Assert.True(bound.Status == 202, bound.Describe());
        Assert.Equal("in progress", (string?)bound.Entity["last_operation"]?["state"]);

        var settled = await cf.UntilSettledAsync($"/v2/service_bindings/{bound.Guid}", setup.Developer);
        Assert.True((string?)settled.Entity["last_operation"]?["state"] == "failed", settled.Describe());
        Assert.Equal("create", (string?)settled.Entity["last_operation"]?["type"]);
        Assert.Equal("the bind failed at the broker", (string?)settled.Entity["last_operation"]?["description"]);
    }

    [Fact]
    public async Task A_service_key_is_a_bind_without_an_app()
    {
        var cf = new BrokerScenario(server.BaseAddress, broker);
        var setup = await cf.PrepareAsync("sync");

        var created = await cf.CurlAsync("POST", "/v2/service_keys", setup.Developer,
            new JsonObject { ["name"] = "e2e-key-" + BrokerScenario.Unique(), ["service_instance_guid"] = setup.Instance });
        Assert.True(created.Status == 201, created.Describe());
        var key = created.Guid;
        Assert.Equal($"/v2/service_keys/{key}", created.Header("Location"));
        Assert.Equal("name,service_instance_guid,credentials,service_instance_url,service_key_parameters_url", BrokerScenario.Keys(created.Entity));
        BrokerScenario.AssertJson(BrokerScenario.Credentials(setup.Instance!, key), created.Entity["credentials"]);

        var keyPath = $"/v2/service_instances/{setup.Instance}/service_bindings/{key}";
        var bind = Assert.Single(await broker.RequestsAsync(), r => r.Method == "PUT" && r.Path == keyPath);
        Assert.Null(bind.Body!["app_guid"]);
        Assert.False(bind.Body.AsObject().ContainsKey("app_guid"));
        BrokerScenario.AssertJson("{}", bind.Body["bind_resource"]);
        Assert.Equal(TestBrokerProcess.PlanId("sync"), (string?)bind.Body["plan_id"]);

        var deleted = await cf.CurlAsync("DELETE", $"/v2/service_keys/{key}", setup.Developer);
        Assert.True(deleted.Status == 204, deleted.Describe());
        Assert.Contains(await broker.RequestsAsync(), r => r.Method == "DELETE" && r.Path == keyPath &&
                                                          r.Query == "plan_id=test-db-sync-id&service_id=test-db-service-id");
    }
}

/// <summary>
/// What CC refuses at registration, in its own class with its own broker process: it serves an invalid catalog for a
/// while, which must not race the other tests' registrations.
/// </summary>
public sealed class ServiceBrokerEndToEndRegistrationTests(ShortBrokerTimeoutServer server, TestBrokerProcess broker)
    : IClassFixture<ShortBrokerTimeoutServer>, IClassFixture<TestBrokerProcess>
{
    [Fact]
    public async Task Registration_refuses_what_cc_refuses()
    {
        var cf = new BrokerScenario(server.BaseAddress, broker);
        var admin = CfIdentity.Admin();
        JsonObject Registration(string name, string url, string password) => new()
        {
            ["name"] = name, ["broker_url"] = url, ["auth_username"] = broker.Username, ["auth_password"] = password,
        };

        var name = "e2e-broker-" + BrokerScenario.Unique();
        var registered = await cf.CurlAsync("POST", "/v2/service_brokers", admin, Registration(name, cf.BrokerUrl, broker.Password));
        Assert.True(registered.Status == 201, registered.Describe());
        var brokerGuid = registered.Guid;

        // The same name again.
        var taken = await cf.CurlAsync("POST", "/v2/service_brokers", admin, Registration(name, cf.BrokerUrl, broker.Password));
        Assert.True(taken.Status == 400, taken.Describe());
        BrokerScenario.AssertJson("""{"description":"The service broker name is taken","error_code":"CF-ServiceBrokerNameTaken","code":270002}""", taken.Body);

        // A wrong password: the broker's 401 to the catalog request.
        var wrongName = "e2e-broker-" + BrokerScenario.Unique();
        var wrong = await cf.CurlAsync("POST", "/v2/service_brokers", admin, Registration(wrongName, cf.BrokerUrl, "not-the-password"));
        Assert.True(wrong.Status == 502, wrong.Describe());
        Assert.Equal("CF-ServiceBrokerApiAuthenticationFailed", (string?)wrong.Body?["error_code"]);
        Assert.Equal(10001, (int?)wrong.Body?["code"]);
        BrokerScenario.AssertJson("""{"method":"GET","status":401}""", wrong.Body?["http"]);
        Assert.Equal(0, (int?)(await cf.CurlAsync("GET", $"/v2/service_brokers?q=name:{wrongName}", admin)).Body?["total_results"]);

        // Nothing listens there.
        var unreachable = await cf.CurlAsync("POST", "/v2/service_brokers", admin,
            Registration("e2e-broker-" + BrokerScenario.Unique(), "http://127.0.0.1:1", broker.Password));
        Assert.True(unreachable.Status == 502, unreachable.Describe());
        Assert.Equal("CF-ServiceBrokerApiUnreachable", (string?)unreachable.Body?["error_code"]);
        Assert.Equal(10001, (int?)unreachable.Body?["code"]);
        BrokerScenario.AssertJson("""{"uri":"http://127.0.0.1:1/v2/catalog","method":"GET"}""", unreachable.Body?["http"]);

        // A catalog whose service lacks its description and bindable flag.
        var invalidName = "e2e-broker-" + BrokerScenario.Unique();
        await broker.SetCatalogAsync("""
            {"services":[{"id":"e2e-bad-service-id","name":"e2e-bad-db",
              "plans":[{"id":"e2e-bad-plan-id","name":"small","description":"A plan"}]}]}
            """);
        try
        {
            var invalid = await cf.CurlAsync("POST", "/v2/service_brokers", admin, Registration(invalidName, cf.BrokerUrl, broker.Password));
            Assert.True(invalid.Status == 502, invalid.Describe());
            Assert.Equal("CF-ServiceBrokerCatalogInvalid", (string?)invalid.Body?["error_code"]);
            Assert.Equal(270012, (int?)invalid.Body?["code"]);
            var description = (string?)invalid.Body?["description"] ?? "";
            Assert.StartsWith("Service broker catalog is invalid: \n", description, StringComparison.Ordinal);
            Assert.Contains("Service description is required", description, StringComparison.Ordinal);
        }
        finally
        {
            await broker.ResetCatalogAsync();
        }

        Assert.Equal(0, (int?)(await cf.CurlAsync("GET", $"/v2/service_brokers?q=name:{invalidName}", admin)).Body?["total_results"]);

        // A broker whose plans have instances cannot be removed; once they are gone it can, and its services with it.
        var syncPlan = (await cf.PlansAsync(brokerGuid, admin)).Single(p => (string?)p["entity"]!["name"] == "sync")["metadata"]!["guid"]!.GetValue<string>();
        await cf.PublishAsync(syncPlan, admin);
        var (space, _) = await cf.DefaultSpaceAsync(admin);
        var instance = await cf.CreateAsync("/v2/service_instances", admin,
            new JsonObject { ["name"] = "e2e-db-" + BrokerScenario.Unique(), ["space_guid"] = space, ["service_plan_guid"] = syncPlan });

        var kept = await cf.CurlAsync("DELETE", $"/v2/service_brokers/{brokerGuid}", admin);
        Assert.True(kept.Status == 400, kept.Describe());
        Assert.Equal("CF-ServiceBrokerNotRemovable", (string?)kept.Body?["error_code"]);
        Assert.Equal(270010, (int?)kept.Body?["code"]);
        Assert.Equal($"Can not remove brokers that have associated service instances: {name}", (string?)kept.Body?["description"]);

        var deprovisioned = await cf.CurlAsync("DELETE", $"/v2/service_instances/{instance}", admin);
        Assert.True(deprovisioned.Status == 204, deprovisioned.Describe());
        var removed = await cf.CurlAsync("DELETE", $"/v2/service_brokers/{brokerGuid}", admin);
        Assert.True(removed.Status == 204, removed.Describe());
        Assert.Equal(404, (await cf.CurlAsync("GET", $"/v2/service_brokers/{brokerGuid}", admin)).Status);
        var services = await cf.CurlAsync("GET", "/v2/services", admin);
        Assert.Equal(200, services.Status);
        Assert.DoesNotContain(services.Resources(), s => (string?)s["entity"]!["service_broker_guid"] == brokerGuid);
        Assert.DoesNotContain(services.Resources(), s => (string?)s["entity"]!["label"] == "test-db");
    }
}

/// <summary>A user as a bearer token: an unsigned JWT with <c>user_id</c> and <c>scope</c>, as the other end-to-end tests make them.</summary>
file sealed record CfIdentity(string User, string Token)
{
    public static CfIdentity Admin() => Of("e2e-broker-admin-" + BrokerScenario.Unique(), "cloud_controller.admin");

    /// <summary>Any user is a developer of the default space, so a fresh one can provision and bind there.</summary>
    public static CfIdentity Developer() => Of("e2e-broker-dev-" + BrokerScenario.Unique(), "cloud_controller.read", "cloud_controller.write");

    private static CfIdentity Of(string user, params string[] scopes)
    {
        static string Segment(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var claims = new JsonObject { ["user_id"] = user, ["scope"] = new JsonArray([.. scopes.Select(s => (JsonNode)s)]) };
        return new CfIdentity(user, $"{Segment("""{"alg":"none"}""")}.{Segment(claims.ToJsonString())}.c2ln");
    }
}

/// <summary>One curl exchange: status, body (null when empty), response headers and the raw text.</summary>
file sealed record CurlAnswer(int Status, JsonNode? Body, IReadOnlyDictionary<string, string> Headers, string Text)
{
    public string Guid => Body?["metadata"]?["guid"]?.GetValue<string>() ?? throw new InvalidOperationException("no metadata.guid in: " + Describe());

    public JsonNode Entity => Body?["entity"] ?? throw new InvalidOperationException("no entity in: " + Describe());

    public string Header(string name) => Headers.TryGetValue(name, out var value) ? value : throw new InvalidOperationException($"no {name} header in: {Describe()}");

    public List<JsonNode> Resources() => [.. (Body?["resources"]?.AsArray() ?? throw new InvalidOperationException("not a list: " + Describe())).Select(r => r!)];

    public string Describe() => $"{Status}: {Text}";
}

/// <summary>A broker registered for one test, its plan made public, an app and (usually) an instance of that plan.</summary>
file sealed record PreparedBroker(string Broker, string Plan, CfIdentity Developer, string Space, string App, string? Instance);

/// <summary>The Cloud Foundry API through curl, and the test broker's view of it.</summary>
file sealed class BrokerScenario(Uri server, TestBrokerProcess broker)
{
    public static readonly string[] PlanNames = ["sync", "async", "failing", "slow", "conflict", "async-failing", "async-required"];

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    /// <summary>The broker URL as registered: no trailing slash, so CC's request URIs are this plus the OSB path.</summary>
    public string BrokerUrl => broker.BaseAddress.ToString().TrimEnd('/');

    public static string Unique() => System.Guid.NewGuid().ToString("N")[..8];

    public static string Keys(JsonNode? node) => string.Join(",", node!.AsObject().Select(p => p.Key));

    /// <summary>Compares JSON by its text, so key order counts as it does on the wire.</summary>
    public static void AssertJson(string expected, JsonNode? actual) => AssertJson(JsonNode.Parse(expected)!, actual);

    public static void AssertJson(JsonNode expected, JsonNode? actual) => Assert.Equal(expected.ToJsonString(), actual?.ToJsonString());

    /// <summary>What the test broker issues for a binding.</summary>
    public static JsonObject Credentials(string instance, string binding) => new()
    {
        ["uri"] = $"testdb://{instance}/{binding}", ["username"] = $"user-{binding[..8]}", ["password"] = $"pw-{binding}",
    };

    public static string OriginatingIdentity(string user) =>
        "cloudfoundry " + Convert.ToBase64String(Encoding.UTF8.GetBytes(new JsonObject { ["user_id"] = user }.ToJsonString()));

    public static string DecodeBasic(string header)
    {
        var parts = header.Split(' ', 2);
        Assert.Equal("basic", parts[0].ToLowerInvariant());
        return Encoding.UTF8.GetString(Convert.FromBase64String(parts[1]));
    }

    /// <summary>
    /// <c>curl -s -D - -w "\n%{http_code}" -X METHOD -H "Authorization: bearer …" -H "Content-Type: application/json" [-d body] url</c>.
    /// </summary>
    public async Task<CurlAnswer> CurlAsync(string method, string path, CfIdentity who, JsonNode? body = null, string? requestId = null)
    {
        List<string> args =
        [
            "-s", "-g", "--max-time", "60", "-D", "-", "-w", "\n%{http_code}", "-X", method,
            "-H", $"Authorization: bearer {who.Token}", "-H", "Content-Type: application/json", "-H", "Expect:",
        ];
        if (requestId is not null)
        {
            args.AddRange(["-H", $"X-VCAP-Request-ID: {requestId}"]);
        }

        if (body is not null)
        {
            args.AddRange(["-d", body.ToJsonString()]);
        }

        args.Add(new Uri(server, path).ToString());
        var (exitCode, output) = await CommandLine.RunAsync("curl", null, [.. args]);
        Assert.True(exitCode == 0, $"curl {method} {path} exited {exitCode}: {output}");

        var end = output.LastIndexOf('\n');
        var status = int.Parse(output[(end + 1)..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        var response = output[..end];
        var split = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var headerText = split < 0 ? response : response[..split];
        var text = split < 0 ? "" : response[(split + 4)..];
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in headerText.Split("\r\n").Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }

        JsonNode? json = null;
        if (text.Trim().Length > 0)
        {
            try
            {
                json = JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                // Left null; the raw text is kept for the assertion messages.
            }
        }

        return new CurlAnswer(status, json, headers, text);
    }

    /// <summary>POSTs a resource, expects 201, and returns its guid.</summary>
    public async Task<string> CreateAsync(string path, CfIdentity who, JsonObject body)
    {
        var created = await CurlAsync("POST", path, who, body);
        Assert.True(created.Status == 201, $"POST {path}: {created.Describe()}");
        return created.Guid;
    }

    /// <summary>The default space (every user is its developer) and its org.</summary>
    public async Task<(string Space, string Org)> DefaultSpaceAsync(CfIdentity who)
    {
        var spaces = await CurlAsync("GET", "/v2/spaces", who);
        Assert.True(spaces.Status == 200, spaces.Describe());
        var space = spaces.Resources().Single(s => (string?)s["entity"]!["name"] == "default-space");
        return (space["metadata"]!["guid"]!.GetValue<string>(), space["entity"]!["organization_guid"]!.GetValue<string>());
    }

    public async Task<List<JsonNode>> PlansAsync(string brokerGuid, CfIdentity who)
    {
        var plans = await CurlAsync("GET", $"/v2/service_plans?q=service_broker_guid:{brokerGuid}", who);
        Assert.True(plans.Status == 200, plans.Describe());
        return plans.Resources();
    }

    public async Task PublishAsync(string planGuid, CfIdentity admin)
    {
        var published = await CurlAsync("PUT", $"/v2/service_plans/{planGuid}", admin, new JsonObject { ["public"] = true });
        Assert.True(published.Status == 201, published.Describe());
    }

    /// <summary>Registers the test broker under a new name, makes <paramref name="plan"/> public, and as a new developer makes an app and an instance.</summary>
    public async Task<PreparedBroker> PrepareAsync(string plan, bool provision = true)
    {
        var admin = CfIdentity.Admin();
        var registered = await CurlAsync("POST", "/v2/service_brokers", admin, new JsonObject
        {
            ["name"] = "e2e-broker-" + Unique(), ["broker_url"] = BrokerUrl, ["auth_username"] = broker.Username, ["auth_password"] = broker.Password,
        });
        Assert.True(registered.Status == 201, registered.Describe());
        var planGuid = (await PlansAsync(registered.Guid, admin)).Single(p => (string?)p["entity"]!["name"] == plan)["metadata"]!["guid"]!.GetValue<string>();
        await PublishAsync(planGuid, admin);

        var developer = CfIdentity.Developer();
        var (space, _) = await DefaultSpaceAsync(developer);
        var app = await CreateAsync("/v2/apps", developer, new JsonObject { ["name"] = "e2e-app-" + Unique(), ["space_guid"] = space });
        var instance = provision
            ? await CreateAsync("/v2/service_instances", developer,
                new JsonObject { ["name"] = $"e2e-{plan}-db-" + Unique(), ["space_guid"] = space, ["service_plan_guid"] = planGuid })
            : null;
        return new PreparedBroker(registered.Guid, planGuid, developer, space, app, instance);
    }

    /// <summary>GETs <paramref name="path"/> until <paramref name="done"/> holds, or fails after the deadline.</summary>
    public async Task<CurlAnswer> UntilAsync(string path, CfIdentity who, Func<CurlAnswer, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (true)
        {
            var answer = await CurlAsync("GET", path, who);
            if (done(answer))
            {
                return answer;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting for {what}; GET {path} last answered {answer.Describe()}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }
    }

    /// <summary>Polls a resource until its last operation is no longer in progress.</summary>
    public Task<CurlAnswer> UntilSettledAsync(string path, CfIdentity who) =>
        UntilAsync(path, who, a => a.Status != 200 || (string?)a.Body?["entity"]?["last_operation"]?["state"] != "in progress",
            $"the last operation of {path} to finish");

    /// <summary>Reads the broker's request log again as each request arrives until <paramref name="find"/> finds one, or fails after the deadline.</summary>
    public async Task<BrokerRequest> WaitForBrokerRequestAsync(Func<IReadOnlyList<BrokerRequest>, BrokerRequest?> find, string what)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        var requests = await broker.RequestsAsync();
        BrokerRequest? found;
        while ((found = find(requests)) is null)
        {
            try
            {
                requests = await broker.RequestsAfterAsync(requests.Count, deadline.Token);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                Assert.Fail($"timed out waiting for the broker to receive {what}");
                throw;
            }
        }

        return found;
    }
}
