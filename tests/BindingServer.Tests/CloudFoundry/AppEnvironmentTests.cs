using System.Text.Json.Nodes;

namespace BindingServer.Tests.CloudFoundry;

/// <summary><c>GET /v2/apps/:guid/env</c>: VCAP_SERVICES from the app's bindings and VCAP_APPLICATION, as Cloud Controller presents them.</summary>
public sealed class AppEnvironmentTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private readonly HttpClient _client = factory.Authorized();

    private async Task<string> SpaceAsync() =>
        (await _client.CallAsync(HttpMethod.Get, "/v2/spaces")).Body!["resources"]![0]!["metadata"]!["guid"].Str();

    private async Task<string> CreatedAsync(string url, string body)
    {
        var reply = await _client.CallAsync(HttpMethod.Post, url, body);
        Assert.True(reply.Code == 201, reply.Text);
        return reply.Guid();
    }

    private async Task<string> PlanAsync(string name) =>
        (await _client.CallAsync(HttpMethod.Get, "/v2/service_plans")).Body!["resources"]!.AsArray()
            .Single(p => p!["entity"]!["name"].Str() == name)!["metadata"]!["guid"].Str();

    [Fact]
    public async Task Vcap_services_holds_each_bound_instance_under_its_label_with_the_bindings_credentials()
    {
        var space = await SpaceAsync();
        var app = await CreatedAsync("/v2/apps", $$"""{"name":"env-web","space_guid":"{{space}}","memory":256,"environment_json":{"MODE":"test"} }""");
        var upsi = await CreatedAsync("/v2/user_provided_service_instances",
            $$"""{"name":"env-logs","space_guid":"{{space}}","credentials":{"url":"https://logs"},"syslog_drain_url":"syslog://drain","tags":["logging"]}""");
        var managed = await CreatedAsync("/v2/service_instances",
            $$"""{"name":"env-db","space_guid":"{{space}}","service_plan_guid":"{{await PlanAsync("small")}}","tags":["sql"]}""");
        var upsiBinding = await CreatedAsync("/v2/service_bindings", $$"""{"app_guid":"{{app}}","service_instance_guid":"{{upsi}}","name":"audit"}""");
        var managedBinding = await _client.CallAsync(HttpMethod.Post, "/v2/service_bindings", $$"""{"app_guid":"{{app}}","service_instance_guid":"{{managed}}"}""");
        Assert.Equal(201, managedBinding.Code);

        var reply = await _client.CallAsync(HttpMethod.Get, $"/v2/apps/{app}/env");

        Assert.Equal(200, reply.Code);
        Assert.Contains("\n  \"staging_env_json\": {}", reply.Text);
        var env = reply.Body!;
        Assert.Equal(["staging_env_json", "running_env_json", "environment_json", "system_env_json", "application_env_json"], env.Select(p => p.Key));
        Assert.Equal("""{"MODE":"test"}""", env["environment_json"]!.ToJsonString());
        var services = env["system_env_json"]!["VCAP_SERVICES"]!.AsObject();
        var provided = services["user-provided"]!.AsArray().Single()!.AsObject();
        Assert.Equal(["label", "name", "tags", "instance_name", "binding_name", "credentials", "syslog_drain_url", "volume_mounts"], provided.Select(p => p.Key));
        Assert.Equal("""{"label":"user-provided","name":"audit","tags":["logging"],"instance_name":"env-logs","binding_name":"audit","credentials":{"url":"https://logs"},"syslog_drain_url":"syslog://drain","volume_mounts":[]}""",
            provided.ToJsonString(Cf.Wire));

        var label = services.Single(s => s.Key != "user-provided").Key;
        var database = services[label]!.AsArray().Single()!.AsObject();
        Assert.Equal(["label", "provider", "plan", "name", "tags", "instance_name", "binding_name", "credentials", "syslog_drain_url", "volume_mounts"], database.Select(p => p.Key));
        Assert.Equal(("small", "env-db", "env-db"), (database["plan"].Str(), database["name"].Str(), database["instance_name"].Str()));
        Assert.Null(database["binding_name"]);
        Assert.Equal(managedBinding.Body!["entity"]!["credentials"]!.ToJsonString(), database["credentials"]!.ToJsonString());

        var application = env["application_env_json"]!["VCAP_APPLICATION"]!.AsObject();
        Assert.Equal(["cf_api", "limits", "application_name", "application_uris", "name", "space_name", "space_id", "organization_id", "organization_name",
            "uris", "users", "process_id", "process_type", "application_id", "version", "application_version"], application.Select(p => p.Key));
        Assert.Equal((app, space, 256), (application["application_id"].Str(), application["space_id"].Str(), application["limits"]!["mem"]!.GetValue<int>()));

        // Unbound, the instance leaves the environment.
        Assert.Equal(204, (await _client.CallAsync(HttpMethod.Delete, $"/v2/service_bindings/{upsiBinding}")).Code);
        var after = (await _client.CallAsync(HttpMethod.Get, $"/v2/apps/{app}/env")).Body!;
        Assert.Null(after["system_env_json"]!["VCAP_SERVICES"]!["user-provided"]);
    }

    [Fact]
    public async Task Only_admins_read_only_admins_and_the_spaces_developers_read_it()
    {
        // A space of its own: everyone develops in the default one.
        var admin = factory.Authorized(Cf.Token("env-admin", ["cloud_controller.admin"]));
        var org = (await admin.CallAsync(HttpMethod.Post, "/v2/organizations", """{"name":"env-org"}""")).Guid();
        var space = (await admin.CallAsync(HttpMethod.Post, "/v2/spaces", $$"""{"name":"env-space","organization_guid":"{{org}}"}""")).Guid();
        var app = (await admin.CallAsync(HttpMethod.Post, "/v2/apps", $$"""{"name":"env-private","space_guid":"{{space}}"}""")).Guid();

        var missing = await _client.CallAsync(HttpMethod.Get, "/v2/apps/00000000-0000-0000-0000-000000000000/env");
        Assert.Equal(404, missing.Code);
        Assert.Equal("CF-AppNotFound", missing.Body!["error_code"].Str());

        var auditor = await factory.Authorized(Cf.Token("env-auditor", ["cloud_controller.global_auditor"])).CallAsync(HttpMethod.Get, $"/v2/apps/{app}/env");
        Assert.Equal(403, auditor.Code);
        Assert.Equal("{\"description\":\"You are not authorized to perform the requested action\",\"error_code\":\"CF-NotAuthorized\",\"code\":10003}\n", auditor.Text);

        var readOnly = await factory.Authorized(Cf.Token("env-ro", ["cloud_controller.admin_read_only"])).CallAsync(HttpMethod.Get, $"/v2/apps/{app}/env");
        Assert.Equal(200, readOnly.Code);
    }

    [Fact]
    public async Task A_binding_still_being_created_is_not_in_the_environment_yet()
    {
        var space = await SpaceAsync();
        var app = await CreatedAsync("/v2/apps", $$"""{"name":"env-async","space_guid":"{{space}}"}""");
        var instance = await CreatedAsync("/v2/service_instances", $$"""{"name":"env-async-db","space_guid":"{{space}}","service_plan_guid":"{{await PlanAsync("async")}}"}""");
        var binding = await _client.CallAsync(HttpMethod.Post, "/v2/service_bindings?accepts_incomplete=true", $$"""{"app_guid":"{{app}}","service_instance_guid":"{{instance}}"}""");
        Assert.Equal(202, binding.Code);

        var env = (await _client.CallAsync(HttpMethod.Get, $"/v2/apps/{app}/env")).Body!;

        Assert.Equal("{}", env["system_env_json"]!["VCAP_SERVICES"]!.ToJsonString());
    }
}
