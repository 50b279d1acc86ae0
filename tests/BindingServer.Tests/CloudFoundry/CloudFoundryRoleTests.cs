using System.Text.Json.Nodes;

namespace BindingServer.Tests.CloudFoundry;

/// <summary>Who may bind, see and unbind: the space roles, admin scopes and org suspension of §2.2.</summary>
public sealed class CloudFoundryRoleTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private readonly HttpClient _developer = factory.Authorized(Cf.Token("dev-user"));
    private readonly HttpClient _stranger = factory.Authorized(Cf.Token("stranger"));
    private readonly HttpClient _auditor = factory.Authorized(Cf.Token("auditor-user", ["cloud_controller.read"]));
    private readonly HttpClient _admin = factory.Authorized(Cf.Token("admin-user", ["cloud_controller.admin"]));

    private static async Task<string> CreateAsync(HttpClient client, string path, string body)
    {
        var reply = await client.CallAsync(HttpMethod.Post, path, body);
        Assert.True(reply.Code == 201, reply.Text);
        return reply.Guid();
    }

    /// <summary>An org whose users are the test's users, and a space nobody holds a role in yet, with an app and a user-provided instance.</summary>
    private async Task<(string Org, string Space, string App, string Instance)> TeamAsync(string name)
    {
        var org = await CreateAsync(_admin, "/v2/organizations", $$"""{"name":"{{name}}-org"}""");
        foreach (var member in new[] { "dev-user", "stranger", "auditor-user" })
        {
            Assert.Equal(201, (await _admin.CallAsync(HttpMethod.Put, $"/v2/organizations/{org}/users/{member}")).Code);
        }

        var space = await CreateAsync(_admin, "/v2/spaces", $$"""{"name":"{{name}}-space","organization_guid":"{{org}}"}""");
        var app = await CreateAsync(_admin, "/v2/apps", $$"""{"name":"{{name}}-app","space_guid":"{{space}}"}""");
        var instance = await CreateAsync(_admin, "/v2/user_provided_service_instances",
            $$$"""{"name":"{{{name}}}-db","space_guid":"{{{space}}}","credentials":{"password":"secret"}}""");
        return (org, space, app, instance);
    }

    private static Task<Cf.Reply> BindAsync(HttpClient client, string app, string instance) =>
        client.CallAsync(HttpMethod.Post, "/v2/service_bindings", $$"""{"app_guid":"{{app}}","service_instance_guid":"{{instance}}"}""");

    private static void AssertError(Cf.Reply reply, int status, string errorCode, int code, string description)
    {
        Assert.Equal(status, reply.Code);
        Assert.Equal(JsonNode.Parse($$"""{"description":"{{description}}","error_code":"{{errorCode}}","code":{{code}}}""")!.ToJsonString(), reply.Body!.ToJsonString());
    }

    [Fact]
    public async Task Only_developers_of_the_apps_space_and_admins_bind_and_unbind()
    {
        var team = await TeamAsync("roles");

        AssertError(await BindAsync(_developer, team.App, team.Instance), 403, "CF-NotAuthorized", 10003, "You are not authorized to perform the requested action");
        AssertError(await _developer.CallAsync(HttpMethod.Put, $"/v2/spaces/{team.Space}/developers/dev-user"), 403, "CF-NotAuthorized", 10003,
            "You are not authorized to perform the requested action");

        var granted = await _admin.CallAsync(HttpMethod.Put, $"/v2/spaces/{team.Space}/developers/dev-user");
        Assert.Equal(201, granted.Code);
        Assert.Equal(team.Space, granted.Guid());

        var bound = await BindAsync(_developer, team.App, team.Instance);
        Assert.Equal(201, bound.Code);
        var binding = bound.Guid();

        AssertError(await _stranger.CallAsync(HttpMethod.Delete, $"/v2/service_bindings/{binding}"), 403, "CF-NotAuthorized", 10003,
            "You are not authorized to perform the requested action");
        Assert.Equal(204, (await _admin.CallAsync(HttpMethod.Delete, $"/v2/spaces/{team.Space}/developers/dev-user")).Code);
        AssertError(await _developer.CallAsync(HttpMethod.Delete, $"/v2/service_bindings/{binding}"), 403, "CF-NotAuthorized", 10003,
            "You are not authorized to perform the requested action");
        Assert.Equal(204, (await _admin.CallAsync(HttpMethod.Delete, $"/v2/service_bindings/{binding}")).Code);
    }

    [Fact]
    public async Task Bindings_are_visible_to_space_roles_and_credentials_only_to_developers()
    {
        var team = await TeamAsync("visibility");
        var binding = (await BindAsync(_admin, team.App, team.Instance)).Guid();
        Assert.Equal(201, (await _admin.CallAsync(HttpMethod.Put, $"/v2/spaces/{team.Space}/auditors/auditor-user")).Code);

        // A stranger learns the binding exists (403, not 404) but sees nothing of it, and lists leave it out.
        AssertError(await _stranger.CallAsync(HttpMethod.Get, $"/v2/service_bindings/{binding}"), 403, "CF-NotAuthorized", 10003,
            "You are not authorized to perform the requested action");
        AssertError(await _stranger.CallAsync(HttpMethod.Get, $"/v2/service_bindings/{binding}/parameters"), 403, "CF-NotAuthorized", 10003,
            "You are not authorized to perform the requested action");
        var strangerList = await _stranger.CallAsync(HttpMethod.Get, $"/v2/service_bindings?q=app_guid:{team.App}");
        Assert.Equal(0, strangerList.Body!["total_results"]!.GetValue<int>());

        var audited = await _auditor.CallAsync(HttpMethod.Get, $"/v2/service_bindings/{binding}");
        Assert.Equal(200, audited.Code);
        Assert.Equal("""{"redacted_message":"[PRIVATE DATA HIDDEN]"}""", audited.Body!["entity"]!["credentials"]!.ToJsonString());
        var auditorList = await _auditor.CallAsync(HttpMethod.Get, $"/v2/apps/{team.App}/service_bindings");
        Assert.Equal(1, auditorList.Body!["total_results"]!.GetValue<int>());
        Assert.Equal("[PRIVATE DATA HIDDEN]", auditorList.Body!["resources"]![0]!["entity"]!["credentials"]!["redacted_message"].Str());

        var readOnlyAdmin = factory.Authorized(Cf.Token("reader", ["cloud_controller.admin_read_only"]));
        var asReadOnlyAdmin = await readOnlyAdmin.CallAsync(HttpMethod.Get, $"/v2/service_bindings/{binding}");
        Assert.Equal("""{"password":"secret"}""", asReadOnlyAdmin.Body!["entity"]!["credentials"]!.ToJsonString());
        var globalAuditor = factory.Authorized(Cf.Token("global", ["cloud_controller.global_auditor"]));
        var asGlobalAuditor = await globalAuditor.CallAsync(HttpMethod.Get, $"/v2/service_bindings/{binding}");
        Assert.Equal("[PRIVATE DATA HIDDEN]", asGlobalAuditor.Body!["entity"]!["credentials"]!["redacted_message"].Str());
    }

    [Fact]
    public async Task A_suspended_org_refuses_binding_to_everyone_but_admins()
    {
        var team = await TeamAsync("suspended");
        Assert.Equal(201, (await _admin.CallAsync(HttpMethod.Put, $"/v2/organizations/{team.Org}/managers/dev-user")).Code);
        Assert.Equal(201, (await _developer.CallAsync(HttpMethod.Put, $"/v2/spaces/{team.Space}/developers/dev-user")).Code);
        var binding = (await BindAsync(_developer, team.App, team.Instance)).Guid();

        // Managers may rename their org but only admins change its status.
        AssertError(await _developer.CallAsync(HttpMethod.Put, $"/v2/organizations/{team.Org}", """{"status":"suspended"}"""), 403, "CF-NotAuthorized", 10003,
            "You are not authorized to perform the requested action");
        var suspended = await _admin.CallAsync(HttpMethod.Put, $"/v2/organizations/{team.Org}", """{"status":"suspended"}""");
        Assert.Equal(201, suspended.Code);
        Assert.Equal("suspended", suspended.Body!["entity"]!["status"].Str());

        AssertError(await _developer.CallAsync(HttpMethod.Delete, $"/v2/service_bindings/{binding}"), 403, "CF-OrgSuspended", 10017, "The organization is suspended");
        var otherApp = await CreateAsync(_admin, "/v2/apps", $$"""{"name":"suspended-app-2","space_guid":"{{team.Space}}"}""");
        AssertError(await BindAsync(_developer, otherApp, team.Instance), 403, "CF-OrgSuspended", 10017, "The organization is suspended");
        Assert.Equal(201, (await BindAsync(_admin, otherApp, team.Instance)).Code);

        Assert.Equal(201, (await _admin.CallAsync(HttpMethod.Put, $"/v2/organizations/{team.Org}", """{"status":"active"}""")).Code);
        Assert.Equal(204, (await _developer.CallAsync(HttpMethod.Delete, $"/v2/service_bindings/{binding}")).Code);
    }

    [Fact]
    public async Task Updating_a_user_provided_instance_recopies_credentials_into_its_bindings()
    {
        var team = await TeamAsync("propagate");
        Assert.Equal(201, (await _admin.CallAsync(HttpMethod.Put, $"/v2/spaces/{team.Space}/developers/dev-user")).Code);
        var binding = (await BindAsync(_developer, team.App, team.Instance)).Guid();

        var updated = await _developer.CallAsync(HttpMethod.Put, $"/v2/user_provided_service_instances/{team.Instance}",
            """{"credentials":{"password":"rotated"},"syslog_drain_url":"syslog://drain.example.com"}""");

        Assert.Equal(201, updated.Code);
        Assert.False(updated.Response.Headers.Contains("Location"));
        Assert.Equal("""{"password":"rotated"}""", updated.Body!["entity"]!["credentials"]!.ToJsonString());
        var entity = (await _developer.CallAsync(HttpMethod.Get, $"/v2/service_bindings/{binding}")).Body!["entity"]!;
        Assert.Equal("""{"password":"rotated"}""", entity["credentials"]!.ToJsonString());
        Assert.Equal("syslog://drain.example.com", entity["syslog_drain_url"].Str());

        var otherSpace = await CreateAsync(_admin, "/v2/spaces", $$"""{"name":"propagate-other","organization_guid":"{{team.Org}}"}""");
        AssertError(await _developer.CallAsync(HttpMethod.Put, $"/v2/user_provided_service_instances/{team.Instance}", $$"""{"space_guid":"{{otherSpace}}"}"""),
            400, "CF-ServiceInstanceInvalid", 60003, "The service instance is invalid: cannot change space for service instance");
        await CreateAsync(_admin, "/v2/user_provided_service_instances", $$"""{"name":"propagate-taken","space_guid":"{{team.Space}}"}""");
        AssertError(await _developer.CallAsync(HttpMethod.Put, $"/v2/user_provided_service_instances/{team.Instance}", """{"name":"propagate-taken"}"""),
            400, "CF-ServiceInstanceNameTaken", 60002, "The service instance name is taken: propagate-taken");
        AssertError(await _stranger.CallAsync(HttpMethod.Put, $"/v2/user_provided_service_instances/{team.Instance}", "{}"),
            403, "CF-NotAuthorized", 10003, "You are not authorized to perform the requested action");
        var missing = Guid.NewGuid().ToString();
        var notFound = await _developer.CallAsync(HttpMethod.Put, $"/v2/user_provided_service_instances/{missing}", "{}");
        Assert.Equal((404, "CF-UserProvidedServiceInstanceNotFound"), (notFound.Code, notFound.Body!["error_code"].Str()));
    }

    [Fact]
    public async Task The_deprecated_unbind_through_the_app_warns()
    {
        var team = await TeamAsync("deprecated");
        var binding = (await BindAsync(_admin, team.App, team.Instance)).Guid();

        AssertError(await _stranger.CallAsync(HttpMethod.Delete, $"/v2/apps/{team.App}/service_bindings/{binding}"), 403, "CF-NotAuthorized", 10003,
            "You are not authorized to perform the requested action");
        var missing = Guid.NewGuid().ToString();
        AssertError(await _admin.CallAsync(HttpMethod.Delete, $"/v2/apps/{missing}/service_bindings/{binding}"), 404, "CF-AppNotFound", 100004,
            $"The app could not be found: {missing}");
        AssertError(await _admin.CallAsync(HttpMethod.Delete, $"/v2/apps/{team.App}/service_bindings/{missing}"), 404, "CF-ServiceBindingNotFound", 90004,
            $"The service binding could not be found: {missing}");

        var deleted = await _admin.CallAsync(HttpMethod.Delete, $"/v2/apps/{team.App}/service_bindings/{binding}");
        Assert.Equal(204, deleted.Code);
        Assert.Equal("", deleted.Text);
        Assert.Equal("Endpoint+deprecated", deleted.Response.Headers.GetValues("X-Cf-Warnings").Single());
        Assert.Equal(404, (await _admin.CallAsync(HttpMethod.Get, $"/v2/service_bindings/{binding}")).Code);
    }

    [Fact]
    public async Task Unknown_roles_are_unknown_routes()
    {
        var team = await TeamAsync("unknown-role");
        AssertError(await _admin.CallAsync(HttpMethod.Put, $"/v2/spaces/{team.Space}/owners/dev-user"), 404, "CF-NotFound", 10000, "Unknown request");
        var missing = Guid.NewGuid().ToString();
        AssertError(await _admin.CallAsync(HttpMethod.Put, $"/v2/spaces/{missing}/developers/dev-user"), 404, "CF-SpaceNotFound", 40004,
            $"The app space could not be found: {missing}");
    }
}
