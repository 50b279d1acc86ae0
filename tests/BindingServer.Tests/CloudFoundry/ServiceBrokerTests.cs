using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using BindingServer.CloudFoundry;
using BindingServer.CloudFoundry.Brokers;
using Microsoft.Extensions.DependencyInjection;

namespace BindingServer.Tests.CloudFoundry;

/// <summary>
/// Brokers, the catalog they bring, plan visibility, service keys and managed instances through the built-in broker,
/// which the in-process server reaches over HTTP at <c>http://localhost/_bindingserver/osb</c>.
/// </summary>
public sealed class ServiceBrokerTests(FakeClockServerFactory factory) : IClassFixture<FakeClockServerFactory>
{
    private const string BuiltInUrl = "http://localhost/_bindingserver/osb";
    private readonly HttpClient _admin = factory.Authorized(Cf.Token("broker-admin", ["cloud_controller.admin"]));
    private readonly HttpClient _developer = factory.Authorized(Cf.Token("broker-dev"));

    private static readonly string DefaultSpace = CfStore.StableGuid("spaces/default-space");

    private static string Register(string name, string password = "bindingserver") =>
        $$"""{"name":"{{name}}","broker_url":"{{BuiltInUrl}}","auth_username":"bindingserver","auth_password":"{{password}}"}""";

    private async Task<string> PlanAsync(HttpClient client, string brokerGuid, string plan)
    {
        var plans = (await client.CallAsync(HttpMethod.Get, $"/v2/service_plans?q=service_broker_guid:{brokerGuid}&results-per-page=100")).Body!["resources"]!.AsArray();
        return plans.Single(p => p!["entity"]!["name"].Str() == plan)!["metadata"]!["guid"].Str();
    }

    private async Task<string> AppAsync(string name) =>
        (await _developer.CallAsync(HttpMethod.Post, "/v2/apps", $$"""{"name":"{{name}}","space_guid":"{{DefaultSpace}}"}""")).Guid();

    [Fact]
    public async Task The_built_in_broker_is_registered_at_start_and_its_plans_are_public()
    {
        var brokers = (await _admin.CallAsync(HttpMethod.Get, "/v2/service_brokers")).Body!["resources"]!.AsArray();
        var builtIn = brokers.Single(b => b!["entity"]!["name"].Str() == "bindingserver")!;
        Assert.Equal(BrokerRegistry.BuiltInGuid, builtIn["metadata"]!["guid"].Str());
        Assert.Equal($$"""{"name":"bindingserver","broker_url":"{{BuiltInUrl}}","auth_username":"bindingserver","space_guid":null}""",
            builtIn["entity"]!.ToJsonString());

        var services = (await _developer.CallAsync(HttpMethod.Get, "/v2/services")).Body!["resources"]!.AsArray();
        var database = services.Single(s => s!["entity"]!["label"].Str() == "fake-db" && s["entity"]!["service_broker_guid"].Str() == BrokerRegistry.BuiltInGuid)!;
        Assert.Equal(["label", "provider", "url", "description", "long_description", "version", "info_url", "active", "bindable", "unique_id", "extra", "tags",
            "requires", "documentation_url", "service_broker_guid", "service_broker_name", "plan_updateable", "bindings_retrievable", "instances_retrievable",
            "allow_context_updates", "service_plans_url"], database["entity"]!.AsObject().Select(p => p.Key));
        Assert.Equal("bindingserver", database["entity"]!["service_broker_name"].Str());
        Assert.Equal(BuiltInBroker.ServiceId("fake-db"), database["entity"]!["unique_id"].Str());

        var plan = (await _developer.CallAsync(HttpMethod.Get, $"/v2/service_plans/{await PlanAsync(_developer, BrokerRegistry.BuiltInGuid, "small")}")).Body!;
        Assert.Equal(["name", "free", "description", "service_guid", "extra", "unique_id", "public", "bindable", "plan_updateable", "active",
            "maximum_polling_duration", "maintenance_info", "service_url", "service_instances_url", "schemas"], plan["entity"]!.AsObject().Select(p => p.Key));
        Assert.True(plan["entity"]!["public"]!.GetValue<bool>());
        Assert.True(plan["entity"]!["bindable"]!.GetValue<bool>());
    }

    [Fact]
    public async Task The_built_in_broker_speaks_osb_and_wants_its_credentials()
    {
        using var client = factory.Client();
        var refused = await client.GetAsync("/_bindingserver/osb/v2/catalog");
        Assert.Equal(401, (int)refused.StatusCode);

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("bindingserver:bindingserver")));
        var catalog = JsonNode.Parse(await client.GetStringAsync("/_bindingserver/osb/v2/catalog"))!;
        var database = catalog["services"]!.AsArray().Single(s => s!["name"].Str() == "fake-db")!;
        Assert.Contains(database["plans"]!.AsArray(), p => p!["name"].Str() == "fail-server-error");
        CatalogSync.Validate(catalog.AsObject());
    }

    [Fact]
    public async Task Registering_a_broker_fetches_its_catalog_into_private_plans()
    {
        var created = await _admin.CallAsync(HttpMethod.Post, "/v2/service_brokers", Register("second-broker"));

        Assert.Equal(201, created.Code);
        var guid = created.Guid();
        Assert.Equal($"/v2/service_brokers/{guid}", created.Response.Headers.Location!.ToString());
        Assert.Equal(["guid", "created_at", "updated_at", "url"], created.Body!["metadata"]!.AsObject().Select(p => p.Key));
        Assert.Equal($$"""{"name":"second-broker","broker_url":"{{BuiltInUrl}}","auth_username":"bindingserver","space_guid":null}""",
            created.Body!["entity"]!.ToJsonString());

        // Its plans are private: a developer sees none of them and cannot provision one until an admin makes it public.
        var plan = await PlanAsync(_admin, guid, "small");
        Assert.False((await _admin.CallAsync(HttpMethod.Get, $"/v2/service_plans/{plan}")).Body!["entity"]!["public"]!.GetValue<bool>());
        Assert.Equal(0, (await _developer.CallAsync(HttpMethod.Get, $"/v2/service_plans?q=service_broker_guid:{guid}")).Body!["total_results"]!.GetValue<int>());
        Assert.Equal(403, (await _developer.CallAsync(HttpMethod.Get, $"/v2/service_plans/{plan}")).Code);
        var create = $$"""{"name":"private-{{Guid.NewGuid():N}}","space_guid":"{{DefaultSpace}}","service_plan_guid":"{{plan}}"}""";
        Assert.Equal("CF-NotAuthorized", (await _developer.CallAsync(HttpMethod.Post, "/v2/service_instances", create)).Body!["error_code"].Str());

        Assert.Equal(403, (await _developer.CallAsync(HttpMethod.Put, $"/v2/service_plans/{plan}", """{"public":true}""")).Code);
        var published = await _admin.CallAsync(HttpMethod.Put, $"/v2/service_plans/{plan}", """{"public":true}""");
        Assert.Equal(201, published.Code);
        Assert.Null(published.Response.Headers.Location);
        Assert.True(published.Body!["entity"]!["public"]!.GetValue<bool>());
        Assert.Equal(201, (await _developer.CallAsync(HttpMethod.Post, "/v2/service_instances", create)).Code);
    }

    [Fact]
    public async Task Registration_is_refused_as_cc_refuses_it()
    {
        Assert.Equal(403, (await _developer.CallAsync(HttpMethod.Post, "/v2/service_brokers", Register("dev-broker"))).Code);

        var wrongPassword = await _admin.CallAsync(HttpMethod.Post, "/v2/service_brokers", Register("bad-password", "nope"));
        Assert.Equal(502, wrongPassword.Code);
        Assert.Equal("CF-ServiceBrokerApiAuthenticationFailed", wrongPassword.Body!["error_code"].Str());
        Assert.Equal("""{"method":"GET","status":401}""", wrongPassword.Body!["http"]!.ToJsonString());

        var taken = await _admin.CallAsync(HttpMethod.Post, "/v2/service_brokers", Register("bindingserver"));
        Assert.Equal("""{"description":"The service broker name is taken","error_code":"CF-ServiceBrokerNameTaken","code":270002}""", taken.Body!.ToJsonString());

        var invalid = await _admin.CallAsync(HttpMethod.Post, "/v2/service_brokers",
            """{"name":"bad-url","broker_url":"ftp:/x","auth_username":"u","auth_password":"p"}""");
        Assert.Equal("""{"description":"ftp:/x is not a valid URL","error_code":"CF-ServiceBrokerUrlInvalid","code":270011}""", invalid.Body!.ToJsonString());

        var unreachable = await _admin.CallAsync(HttpMethod.Post, "/v2/service_brokers",
            """{"name":"nowhere","broker_url":"http://127.0.0.1:1","auth_username":"u","auth_password":"p"}""");
        Assert.Equal(502, unreachable.Code);
        Assert.Equal("CF-ServiceBrokerApiUnreachable", unreachable.Body!["error_code"].Str());
        Assert.Equal("""{"uri":"http://127.0.0.1:1/v2/catalog","method":"GET"}""", unreachable.Body!["http"]!.ToJsonString());

        var missing = await _admin.CallAsync(HttpMethod.Post, "/v2/service_brokers", """{"name":"x"}""");
        Assert.Equal("Request invalid due to parse error: Field: broker_url, Error: Missing field broker_url, Field: auth_username, Error: Missing field auth_username, " +
                     "Field: auth_password, Error: Missing field auth_password", missing.Body!["description"].Str());
        Assert.DoesNotContain((await _admin.CallAsync(HttpMethod.Get, "/v2/service_brokers")).Body!["resources"]!.AsArray(),
            b => b!["entity"]!["name"].Str() is "bad-password" or "nowhere");
    }

    [Fact]
    public void A_catalog_is_validated_as_a_whole_in_ccs_words()
    {
        var catalog = JsonNode.Parse("""
            {"services":[{"id":"s1","name":"svc","plans":[{"id":"p1","name":"a","description":"A"},{"id":"p1","name":"a"}]}]}
            """)!.AsObject();

        var error = Assert.Throws<CfApiException>(() => CatalogSync.Validate(catalog));

        Assert.Equal(502, error.Status);
        Assert.Equal("CF-ServiceBrokerCatalogInvalid", error.ErrorCode);
        Assert.Equal("Service broker catalog is invalid: \nService svc\n  Service description is required\n  Service \"bindable\" field must be a boolean, but has value nil\n" +
                     "  Plan a\n    Plan description is required\n    Plan ids must be unique. Unable to register plan with id 'p1'\n" +
                     "    Plan names must be unique within a service. Service svc already has a plan named a\n", error.Description);
        Assert.Equal("Service broker catalog is invalid: \nService broker must provide at least one service\n",
            Assert.Throws<CfApiException>(() => CatalogSync.Validate([])).Description);
    }

    [Fact]
    public void A_catalog_with_values_of_the_wrong_type_is_refused_with_each_problem_not_a_500()
    {
        var catalog = JsonNode.Parse("""
            {"services":[{"id":"s","name":"svc","description":"d","bindable":true,"plan_updateable":"yes","tags":[1],"requires":"x",
              "plans":[{"id":"p","name":"a","description":"A","free":"no","maximum_polling_duration":"soon"}]}]}
            """)!.AsObject();

        var error = Assert.Throws<CfApiException>(() => CatalogSync.Validate(catalog));

        Assert.Equal("Service broker catalog is invalid: \nService svc\n  Service \"plan_updateable\" field must be a boolean, but has value \"yes\"\n" +
                     "  Service tags must be an array of strings, but has value [1]\n  Service \"requires\" field must be an array of strings, but has value \"x\"\n" +
                     "  Plan a\n    Plan free must be a boolean, but has value \"no\"\n    Maximum polling duration must be an integer, but has value \"soon\"\n",
            error.Description);
    }

    [Fact]
    public async Task Updating_a_broker_renames_it_or_fetches_the_catalog_again_and_delete_needs_no_instances()
    {
        var guid = (await _admin.CallAsync(HttpMethod.Post, "/v2/service_brokers", Register("third-broker"))).Guid();

        var renamed = await _admin.CallAsync(HttpMethod.Put, $"/v2/service_brokers/{guid}", """{"name":"third-renamed"}""");
        Assert.Equal(200, renamed.Code);
        Assert.Equal("third-renamed", renamed.Body!["entity"]!["name"].Str());
        Assert.Equal(502, (await _admin.CallAsync(HttpMethod.Put, $"/v2/service_brokers/{guid}", """{"auth_password":"wrong"}""")).Code);
        Assert.Equal(200, (await _admin.CallAsync(HttpMethod.Put, $"/v2/service_brokers/{guid}", """{"auth_password":"bindingserver"}""")).Code);

        var missing = await _admin.CallAsync(HttpMethod.Put, $"/v2/service_brokers/{Guid.NewGuid()}", "{}");
        Assert.Equal((404, ""), (missing.Code, missing.Text));

        var plan = await PlanAsync(_admin, guid, "small");
        Assert.Equal(201, (await _admin.CallAsync(HttpMethod.Put, $"/v2/service_plans/{plan}", """{"public":true}""")).Code);
        var instance = (await _admin.CallAsync(HttpMethod.Post, "/v2/service_instances",
            $$"""{"name":"held-{{Guid.NewGuid():N}}","space_guid":"{{DefaultSpace}}","service_plan_guid":"{{plan}}"}""")).Guid();
        var refused = await _admin.CallAsync(HttpMethod.Delete, $"/v2/service_brokers/{guid}");
        Assert.Equal("""{"description":"Can not remove brokers that have associated service instances: third-renamed","error_code":"CF-ServiceBrokerNotRemovable","code":270010}""",
            refused.Body!.ToJsonString());

        Assert.Equal(204, (await _admin.CallAsync(HttpMethod.Delete, $"/v2/service_instances/{instance}")).Code);
        Assert.Equal(204, (await _admin.CallAsync(HttpMethod.Delete, $"/v2/service_brokers/{guid}")).Code);
        Assert.Equal(404, (await _admin.CallAsync(HttpMethod.Get, $"/v2/service_plans/{plan}")).Code);
        Assert.DoesNotContain((await _admin.CallAsync(HttpMethod.Get, "/v2/services")).Body!["resources"]!.AsArray(),
            s => s!["entity"]!["service_broker_guid"].Str() == guid);
    }

    [Fact]
    public async Task A_visibility_opens_a_private_plan_to_one_org()
    {
        var broker = (await _admin.CallAsync(HttpMethod.Post, "/v2/service_brokers", Register("visible-broker"))).Guid();
        var plan = await PlanAsync(_admin, broker, "small");
        var org = CfStore.StableGuid("organizations/default-org");
        var body = $$"""{"service_plan_guid":"{{plan}}","organization_guid":"{{org}}"}""";

        Assert.Equal(403, (await _developer.CallAsync(HttpMethod.Post, "/v2/service_plan_visibilities", body)).Code);
        var created = await _admin.CallAsync(HttpMethod.Post, "/v2/service_plan_visibilities", body);
        Assert.Equal(201, created.Code);
        Assert.Equal($$"""{"service_plan_guid":"{{plan}}","organization_guid":"{{org}}","service_plan_url":"/v2/service_plans/{{plan}}","organization_url":"/v2/organizations/{{org}}"}""",
            created.Body!["entity"]!.ToJsonString());
        Assert.Equal("CF-ServicePlanVisibilityAlreadyExists", (await _admin.CallAsync(HttpMethod.Post, "/v2/service_plan_visibilities", body)).Body!["error_code"].Str());

        // Members of the org now see the plan and may provision it.
        Assert.Equal(200, (await _developer.CallAsync(HttpMethod.Get, $"/v2/service_plans/{plan}")).Code);
        Assert.Equal(201, (await _developer.CallAsync(HttpMethod.Post, "/v2/service_instances",
            $$"""{"name":"seen-{{Guid.NewGuid():N}}","space_guid":"{{DefaultSpace}}","service_plan_guid":"{{plan}}"}""")).Code);

        var publicPlan = await PlanAsync(_admin, BrokerRegistry.BuiltInGuid, "small");
        var refused = await _admin.CallAsync(HttpMethod.Post, "/v2/service_plan_visibilities", $$"""{"service_plan_guid":"{{publicPlan}}","organization_guid":"{{org}}"}""");
        Assert.Equal("""{"description":"Service Plan Visibility is invalid: service_plan is publicly available","error_code":"CF-ServicePlanVisibilityInvalid","code":260001}""",
            refused.Body!.ToJsonString());
        Assert.Equal(204, (await _admin.CallAsync(HttpMethod.Delete, $"/v2/service_plan_visibilities/{created.Guid()}")).Code);
        Assert.Equal(403, (await _developer.CallAsync(HttpMethod.Get, $"/v2/service_plans/{plan}")).Code);
    }

    [Fact]
    public async Task A_key_is_seen_only_by_developers_of_its_instances_space()
    {
        var org = (await _admin.CallAsync(HttpMethod.Post, "/v2/organizations", $$"""{"name":"keys-{{Guid.NewGuid():N}}"}""")).Guid();
        var space = (await _admin.CallAsync(HttpMethod.Post, "/v2/spaces", $$"""{"name":"keys","organization_guid":"{{org}}"}""")).Guid();
        var plan = await PlanAsync(_admin, BrokerRegistry.BuiltInGuid, "small");
        var instance = (await _admin.CallAsync(HttpMethod.Post, "/v2/service_instances",
            $$"""{"name":"elsewhere","space_guid":"{{space}}","service_plan_guid":"{{plan}}"}""")).Guid();
        var key = (await _admin.CallAsync(HttpMethod.Post, "/v2/service_keys", $$"""{"name":"ops","service_instance_guid":"{{instance}}"}""")).Guid();

        var hidden = await _developer.CallAsync(HttpMethod.Get, $"/v2/service_keys/{key}");

        Assert.Equal($$"""{"description":"The service key could not be found: {{key}}","error_code":"CF-ServiceKeyNotFound","code":360003}""", hidden.Body!.ToJsonString());
        Assert.Equal(0, (await _developer.CallAsync(HttpMethod.Get, $"/v2/service_keys?q=service_instance_guid:{instance}")).Body!["total_results"]!.GetValue<int>());
        Assert.Equal(404, (await _developer.CallAsync(HttpMethod.Delete, $"/v2/service_keys/{key}")).Code);
    }

    [Fact]
    public async Task A_service_key_holds_credentials_the_broker_issued()
    {
        var plan = await PlanAsync(_developer, BrokerRegistry.BuiltInGuid, "small");
        var instance = (await _developer.CallAsync(HttpMethod.Post, "/v2/service_instances",
            $$"""{"name":"keyed-{{Guid.NewGuid():N}}","space_guid":"{{DefaultSpace}}","service_plan_guid":"{{plan}}"}""")).Guid();

        var key = await _developer.CallAsync(HttpMethod.Post, "/v2/service_keys", $$"""{"name":"ci","service_instance_guid":"{{instance}}","parameters":{"scope":"ro"} }""");

        Assert.Equal(201, key.Code);
        Assert.Equal($"/v2/service_keys/{key.Guid()}", key.Response.Headers.Location!.ToString());
        Assert.Equal(["name", "service_instance_guid", "credentials", "service_instance_url", "service_key_parameters_url"], key.Body!["entity"]!.AsObject().Select(p => p.Key));
        Assert.Equal($"fake://{instance}", key.Body!["entity"]!["credentials"]!["uri"].Str());
        Assert.Equal("""{"scope":"ro"}""", (await _developer.CallAsync(HttpMethod.Get, $"/v2/service_keys/{key.Guid()}/parameters")).Body!.ToJsonString());

        var taken = await _developer.CallAsync(HttpMethod.Post, "/v2/service_keys", $$"""{"name":"ci","service_instance_guid":"{{instance}}"}""");
        Assert.Equal("""{"description":"The service key name is taken: ci","error_code":"CF-ServiceKeyNameTaken","code":360001}""", taken.Body!.ToJsonString());
        var listed = (await _developer.CallAsync(HttpMethod.Get, $"/v2/service_instances/{instance}/service_keys")).Body!;
        Assert.Equal(1, listed["total_results"]!.GetValue<int>());

        // An instance with a key is not deleted without recursive=true.
        Assert.Equal("Please delete the service_bindings, service_keys, and routes associations for your service_instances.",
            (await _developer.CallAsync(HttpMethod.Delete, $"/v2/service_instances/{instance}")).Body!["description"].Str());

        Assert.Equal(204, (await _developer.CallAsync(HttpMethod.Delete, $"/v2/service_keys/{key.Guid()}")).Code);
        Assert.Equal(404, (await _developer.CallAsync(HttpMethod.Get, $"/v2/service_keys/{key.Guid()}")).Code);
        Assert.Equal(204, (await _developer.CallAsync(HttpMethod.Delete, $"/v2/service_instances/{instance}")).Code);
    }

    [Fact]
    public async Task Keys_are_refused_for_instances_that_cannot_have_them()
    {
        var upsi = (await _developer.CallAsync(HttpMethod.Post, "/v2/user_provided_service_instances",
            $$"""{"name":"ups-{{Guid.NewGuid():N}}","space_guid":"{{DefaultSpace}}"}""")).Guid();
        Assert.Equal("""{"description":"Service keys are not supported for user-provided service instances.","error_code":"CF-ServiceKeyNotSupported","code":360004}""",
            (await _developer.CallAsync(HttpMethod.Post, "/v2/service_keys", $$"""{"name":"k","service_instance_guid":"{{upsi}}"}""")).Body!.ToJsonString());

        var dns = await PlanAsync(_developer, BrokerRegistry.BuiltInGuid, "standard");
        var unbindable = (await _developer.CallAsync(HttpMethod.Post, "/v2/service_instances",
            $$"""{"name":"dns-{{Guid.NewGuid():N}}","space_guid":"{{DefaultSpace}}","service_plan_guid":"{{dns}}"}""")).Guid();
        Assert.Equal("""{"description":"This service doesn't support creation of keys.","error_code":"CF-ServiceKeyNotSupported","code":360004}""",
            (await _developer.CallAsync(HttpMethod.Post, "/v2/service_keys", $$"""{"name":"k","service_instance_guid":"{{unbindable}}"}""")).Body!.ToJsonString(Cf.Wire));

        var unknown = Guid.NewGuid();
        Assert.Equal(404, (await _developer.CallAsync(HttpMethod.Post, "/v2/service_keys", $$"""{"name":"k","service_instance_guid":"{{unknown}}"}""")).Code);
    }

    [Fact]
    public async Task A_managed_instance_changes_plan_at_the_broker_synchronously_or_asynchronously()
    {
        var small = await PlanAsync(_developer, BrokerRegistry.BuiltInGuid, "small");
        var asynchronous = await PlanAsync(_developer, BrokerRegistry.BuiltInGuid, "async");
        var instance = (await _developer.CallAsync(HttpMethod.Post, "/v2/service_instances",
            $$"""{"name":"moving-{{Guid.NewGuid():N}}","space_guid":"{{DefaultSpace}}","service_plan_guid":"{{small}}"}""")).Guid();

        var moved = await _developer.CallAsync(HttpMethod.Put, $"/v2/service_instances/{instance}", $$"""{"service_plan_guid":"{{asynchronous}}","tags":["x"]}""");
        Assert.Equal(201, moved.Code);
        Assert.Equal(asynchronous, moved.Body!["entity"]!["service_plan_guid"].Str());
        Assert.Equal("""{"type":"update","state":"succeeded","description":""}""",
            new JsonObject(moved.Body!["entity"]!["last_operation"]!.AsObject().Where(p => p.Key is "type" or "state" or "description")
                .Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone()))).ToJsonString());

        // On the asynchronous plan the broker answers 202: the new plan applies once polling finds the update done.
        var back = await _developer.CallAsync(HttpMethod.Put, $"/v2/service_instances/{instance}?accepts_incomplete=true", $$"""{"service_plan_guid":"{{small}}"}""");
        Assert.Equal(202, back.Code);
        Assert.Equal($"/v2/service_instances/{instance}", back.Response.Headers.Location!.ToString());
        Assert.Equal(asynchronous, back.Body!["entity"]!["service_plan_guid"].Str());
        factory.FinishBrokerOperations();
        var done = await factory.UntilAsync(_developer, $"/v2/service_instances/{instance}",
            r => r.Body!["entity"]!["last_operation"]!["state"].Str() != "in progress", "the plan change to finish");
        Assert.Equal("succeeded", done.Body!["entity"]!["last_operation"]!["state"].Str());
        Assert.Equal(small, done.Body!["entity"]!["service_plan_guid"].Str());

        var space = await _developer.CallAsync(HttpMethod.Put, $"/v2/service_instances/{instance}", $$"""{"space_guid":"{{Guid.NewGuid()}}"}""");
        Assert.Equal("""{"description":"Cannot update space for service instance.","error_code":"CF-ServiceInstanceSpaceChangeNotAllowed","code":60014}""",
            space.Body!.ToJsonString());
    }

    [Fact]
    public async Task An_asynchronous_deprovision_ends_with_the_instance_gone()
    {
        var asynchronous = await PlanAsync(_developer, BrokerRegistry.BuiltInGuid, "async");
        var instance = (await _developer.CallAsync(HttpMethod.Post, "/v2/service_instances?accepts_incomplete=true",
            $$"""{"name":"leaving-{{Guid.NewGuid():N}}","space_guid":"{{DefaultSpace}}","service_plan_guid":"{{asynchronous}}"}""")).Guid();
        factory.FinishBrokerOperations();
        await factory.UntilAsync(_developer, $"/v2/service_instances/{instance}",
            r => r.Body!["entity"]!["last_operation"]!["state"].Str() == "succeeded", "the provisioning to succeed");

        var deleting = await _developer.CallAsync(HttpMethod.Delete, $"/v2/service_instances/{instance}?accepts_incomplete=true");

        Assert.Equal(202, deleting.Code);
        Assert.Equal("delete", deleting.Body!["entity"]!["last_operation"]!["type"].Str());
        Assert.Equal("in progress", deleting.Body!["entity"]!["last_operation"]!["state"].Str());
        factory.FinishBrokerOperations();
        await factory.UntilAsync(_developer, $"/v2/service_instances/{instance}", r => r.Code == 404, "the instance to go");
    }

    [Fact]
    public async Task Deleting_an_app_recursively_unbinds_at_the_broker()
    {
        var plan = await PlanAsync(_developer, BrokerRegistry.BuiltInGuid, "small");
        var app = await AppAsync($"recursive-{Guid.NewGuid():N}");
        var instance = (await _developer.CallAsync(HttpMethod.Post, "/v2/service_instances",
            $$"""{"name":"rec-{{Guid.NewGuid():N}}","space_guid":"{{DefaultSpace}}","service_plan_guid":"{{plan}}"}""")).Guid();
        var binding = (await _developer.CallAsync(HttpMethod.Post, "/v2/service_bindings", $$"""{"app_guid":"{{app}}","service_instance_guid":"{{instance}}"}""")).Guid();
        var store = factory.Services.GetRequiredService<CfStore>();
        Assert.NotNull(store.Get(CfStore.BuiltInBrokerBindings, binding));

        Assert.Equal(204, (await _developer.CallAsync(HttpMethod.Delete, $"/v2/apps/{app}?recursive=true")).Code);

        Assert.Null(store.Get(CfStore.BuiltInBrokerBindings, binding));
        Assert.Equal(404, (await _developer.CallAsync(HttpMethod.Get, $"/v2/service_bindings/{binding}")).Code);
    }
}
