using System.Text.Json.Nodes;

namespace BindingServer.Tests.CloudFoundry;

/// <summary>
/// Cloud Controller's access rules outside bindings: who creates orgs, spaces, apps and instances, who sees them,
/// and who reads a user-provided instance's credentials (CC's access classes; §10–11 of the reference).
/// </summary>
public sealed class CloudFoundryAccessTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private readonly HttpClient _admin = factory.Authorized(Cf.Token("admin", ["cloud_controller.admin"]));

    private HttpClient As(string user) => factory.Authorized(Cf.Token(user));

    private const string NotAuthorized = """{"description":"You are not authorized to perform the requested action","error_code":"CF-NotAuthorized","code":10003}""";

    /// <summary>An org and space of their own, made by an admin, with no roles granted yet.</summary>
    private async Task<(string Org, string Space)> PlaceAsync(string name)
    {
        var org = await _admin.CallAsync(HttpMethod.Post, "/v2/organizations", $$"""{"name":"{{name}}-org"}""");
        Assert.Equal(201, org.Code);
        var space = await _admin.CallAsync(HttpMethod.Post, "/v2/spaces", $$"""{"name":"{{name}}-space","organization_guid":"{{org.Guid()}}"}""");
        Assert.Equal(201, space.Code);
        return (org.Guid(), space.Guid());
    }

    private async Task GrantAsync(string collection, string guid, string role, string user) =>
        Assert.Equal(201, (await _admin.CallAsync(HttpMethod.Put, $"/v2/{collection}/{guid}/{role}/{user}")).Code);

    /// <summary>A space role, after the org membership CC requires for it.</summary>
    private async Task GrantSpaceAsync(string org, string space, string role, string user)
    {
        await GrantAsync("organizations", org, "users", user);
        await GrantAsync("spaces", space, role, user);
    }

    private static List<string> Names(Cf.Reply list) => list.Body!["resources"]!.AsArray().Select(r => r!["entity"]!["name"].Str()).ToList();

    [Fact]
    public async Task Only_admins_create_orgs_and_only_admins_and_org_managers_create_spaces()
    {
        var refused = await As("olive").CallAsync(HttpMethod.Post, "/v2/organizations", """{"name":"olive-org"}""");
        Assert.Equal((403, NotAuthorized), (refused.Code, refused.Body!.ToJsonString()));

        var (org, _) = await PlaceAsync("spaces");
        var notManager = await As("olive").CallAsync(HttpMethod.Post, "/v2/spaces", $$"""{"name":"olive-space","organization_guid":"{{org}}"}""");
        Assert.Equal((403, "CF-NotAuthorized"), (notManager.Code, notManager.Body!["error_code"].Str()));
        var missingOrg = await As("olive").CallAsync(HttpMethod.Post, "/v2/spaces", """{"name":"x","organization_guid":"no-such-org"}""");
        Assert.Equal((400, "CF-InvalidRelation"), (missingOrg.Code, missingOrg.Body!["error_code"].Str()));

        await GrantAsync("organizations", org, "managers", "olive");
        Assert.Equal(201, (await As("olive").CallAsync(HttpMethod.Post, "/v2/spaces", $$"""{"name":"olive-space","organization_guid":"{{org}}"}""")).Code);
    }

    [Fact]
    public async Task Apps_and_instances_are_created_and_deleted_by_developers_of_their_space()
    {
        var (org, space) = await PlaceAsync("devs");
        var dave = As("dave");
        var plan = (await dave.CallAsync(HttpMethod.Get, "/v2/service_plans")).Body!["resources"]!.AsArray()
            .Single(p => p!["entity"]!["name"].Str() == "small")!["metadata"]!["guid"].Str();

        var app = await dave.CallAsync(HttpMethod.Post, "/v2/apps", $$"""{"name":"web","space_guid":"{{space}}"}""");
        var upsi = await dave.CallAsync(HttpMethod.Post, "/v2/user_provided_service_instances", $$"""{"name":"db","space_guid":"{{space}}"}""");
        var managed = await dave.CallAsync(HttpMethod.Post, "/v2/service_instances", $$"""{"name":"mdb","space_guid":"{{space}}","service_plan_guid":"{{plan}}"}""");
        Assert.All(new[] { app, upsi, managed }, reply => Assert.Equal((403, NotAuthorized), (reply.Code, reply.Body!.ToJsonString())));

        await GrantSpaceAsync(org, space, "developers", "dave");
        app = await dave.CallAsync(HttpMethod.Post, "/v2/apps", $$"""{"name":"web","space_guid":"{{space}}"}""");
        upsi = await dave.CallAsync(HttpMethod.Post, "/v2/user_provided_service_instances", $$"""{"name":"db","space_guid":"{{space}}"}""");
        managed = await dave.CallAsync(HttpMethod.Post, "/v2/service_instances", $$"""{"name":"mdb","space_guid":"{{space}}","service_plan_guid":"{{plan}}"}""");
        Assert.Equal((201, 201, 201), (app.Code, upsi.Code, managed.Code));

        // Someone else in the same org cannot remove them; a read-only token is refused for its scope first.
        Assert.Equal(403, (await As("eve").CallAsync(HttpMethod.Delete, $"/v2/apps/{app.Guid()}")).Code);
        Assert.Equal("CF-NotAuthorized", (await As("eve").CallAsync(HttpMethod.Delete, $"/v2/user_provided_service_instances/{upsi.Guid()}")).Body!["error_code"].Str());
        var readOnly = await factory.Authorized(Cf.Token("dave", ["cloud_controller.read"])).CallAsync(HttpMethod.Delete, $"/v2/apps/{app.Guid()}");
        Assert.Equal((403, "CF-InsufficientScope"), (readOnly.Code, readOnly.Body!["error_code"].Str()));
        Assert.Equal(204, (await dave.CallAsync(HttpMethod.Delete, $"/v2/apps/{app.Guid()}")).Code);
        Assert.Equal(204, (await dave.CallAsync(HttpMethod.Delete, $"/v2/service_instances/{managed.Guid()}")).Code);
    }

    [Fact]
    public async Task A_space_role_needs_membership_of_the_org_first()
    {
        var (org, space) = await PlaceAsync("members");

        var refused = await _admin.CallAsync(HttpMethod.Put, $"/v2/spaces/{space}/developers/newcomer");
        Assert.Equal((400, """{"description":"newcomer","error_code":"CF-InvalidRelation","code":1002}"""), (refused.Code, refused.Body!.ToJsonString()));

        await GrantAsync("organizations", org, "users", "newcomer");
        Assert.Equal(201, (await _admin.CallAsync(HttpMethod.Put, $"/v2/spaces/{space}/developers/newcomer")).Code);
        Assert.Contains("members-org", Names(await As("newcomer").CallAsync(HttpMethod.Get, "/v2/organizations")));
    }

    [Fact]
    public async Task A_suspended_org_refuses_its_developers_writes_as_not_authorized()
    {
        var (org, space) = await PlaceAsync("frozen");
        await GrantSpaceAsync(org, space, "developers", "fred");
        Assert.Equal(201, (await _admin.CallAsync(HttpMethod.Put, $"/v2/organizations/{org}", """{"status":"suspended"}""")).Code);

        var refused = await As("fred").CallAsync(HttpMethod.Post, "/v2/apps", $$"""{"name":"web","space_guid":"{{space}}"}""");

        Assert.Equal((403, NotAuthorized), (refused.Code, refused.Body!.ToJsonString()));
        Assert.Equal(201, (await _admin.CallAsync(HttpMethod.Post, "/v2/apps", $$"""{"name":"web","space_guid":"{{space}}"}""")).Code);
    }

    [Fact]
    public async Task Lists_show_what_the_user_may_see_and_a_hidden_record_is_403_not_404()
    {
        var (org, space) = await PlaceAsync("hidden");
        var app = await _admin.CallAsync(HttpMethod.Post, "/v2/apps", $$"""{"name":"hidden-app","space_guid":"{{space}}"}""");
        var stranger = As("stranger");

        Assert.DoesNotContain("hidden-org", Names(await stranger.CallAsync(HttpMethod.Get, "/v2/organizations")));
        Assert.Contains("default-org", Names(await stranger.CallAsync(HttpMethod.Get, "/v2/organizations")));
        Assert.Equal(["default-space"], Names(await stranger.CallAsync(HttpMethod.Get, "/v2/spaces")));
        Assert.DoesNotContain("hidden-app", Names(await stranger.CallAsync(HttpMethod.Get, "/v2/apps")));
        foreach (var path in new[] { $"/v2/organizations/{org}", $"/v2/spaces/{space}", $"/v2/apps/{app.Guid()}", $"/v2/apps/{app.Guid()}/service_bindings" })
        {
            var hidden = await stranger.CallAsync(HttpMethod.Get, path);
            Assert.True(hidden.Code == 403 && hidden.Body!.ToJsonString() == NotAuthorized, $"{path}: {hidden.Code} {hidden.Text}");
        }

        Assert.Equal(404, (await stranger.CallAsync(HttpMethod.Get, "/v2/apps/no-such-app")).Code);

        // An org manager sees the org, its spaces and what is in them.
        await GrantAsync("organizations", org, "managers", "stranger");
        Assert.Contains("hidden-space", Names(await stranger.CallAsync(HttpMethod.Get, "/v2/spaces")));
        Assert.Equal(200, (await stranger.CallAsync(HttpMethod.Get, $"/v2/apps/{app.Guid()}")).Code);
    }

    [Fact]
    public async Task A_user_provided_instances_credentials_are_shown_to_its_space_developers_only()
    {
        var (org, space) = await PlaceAsync("creds");
        await GrantSpaceAsync(org, space, "developers", "dev");
        await GrantSpaceAsync(org, space, "auditors", "auditor");
        var created = await As("dev").CallAsync(HttpMethod.Post, "/v2/user_provided_service_instances",
            $$$"""{"name":"secret-db","space_guid":"{{{space}}}","credentials":{"password":"hunter2"}}""");
        Assert.Equal("hunter2", created.Body!["entity"]!["credentials"]!["password"].Str());

        var seenByDeveloper = await As("dev").CallAsync(HttpMethod.Get, $"/v2/user_provided_service_instances/{created.Guid()}");
        var seenByAuditor = await As("auditor").CallAsync(HttpMethod.Get, $"/v2/user_provided_service_instances/{created.Guid()}");
        var listedForAuditor = await As("auditor").CallAsync(HttpMethod.Get, $"/v2/service_instances/{created.Guid()}");

        Assert.Equal("""{"password":"hunter2"}""", seenByDeveloper.Body!["entity"]!["credentials"]!.ToJsonString());
        Assert.Equal("""{"redacted_message":"[PRIVATE DATA HIDDEN]"}""", seenByAuditor.Body!["entity"]!["credentials"]!.ToJsonString());
        Assert.Equal("""{"redacted_message":"[PRIVATE DATA HIDDEN]"}""", listedForAuditor.Body!["entity"]!["credentials"]!.ToJsonString());
    }
}
