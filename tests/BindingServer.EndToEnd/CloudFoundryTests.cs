using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace BindingServer.EndToEnd;

/// <summary>The seed's flow against the real process: an app, a user-provided instance, POST /v2/service_bindings.</summary>
public sealed class CloudFoundryTests(ServerProcess server) : IClassFixture<ServerProcess>
{
    /// <summary>A token of a Cloud Controller administrator, who sees every org and space.</summary>
    public static string AdminToken => Token("e2e-admin", "\"cloud_controller.admin\"");

    private static string Token(string user, string scopes)
    {
        static string Segment(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return $"{Segment("""{"alg":"none"}""")}.{Segment($$"""{"user_id":"{{user}}","scope":[{{scopes}}]}""")}.c2ln";
    }

    private HttpClient Client(string user = "e2e", string scopes = "\"cloud_controller.read\",\"cloud_controller.write\"")
    {
        var client = new HttpClient { BaseAddress = server.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("bearer", Token(user, scopes));
        return client;
    }

    private static async Task<string> CreateAsync(HttpClient client, string path, string body)
    {
        using var response = await client.PostAsync(path, new StringContent(body));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await JsonAsync(response))["metadata"]!["guid"]!.GetValue<string>();
    }

    [Fact]
    public async Task Outside_the_default_space_binding_and_seeing_the_space_need_a_role()
    {
        using var admin = Client("e2e-admin", "\"cloud_controller.admin\"");
        using var developer = Client("e2e-dev");
        var org = await CreateAsync(admin, "v2/organizations", """{"name":"e2e-team"}""");
        var space = await CreateAsync(admin, "v2/spaces", $$"""{"name":"e2e-team-space","organization_guid":"{{org}}"}""");
        var app = await CreateAsync(admin, "v2/apps", $$"""{"name":"e2e-team-app","space_guid":"{{space}}"}""");
        var instance = await CreateAsync(admin, "v2/user_provided_service_instances", $$"""{"name":"e2e-team-db","space_guid":"{{space}}"}""");
        var bind = $$"""{"app_guid":"{{app}}","service_instance_guid":"{{instance}}"}""";

        using var refused = await developer.PostAsync("v2/service_bindings", new StringContent(bind));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("""{"description":"You are not authorized to perform the requested action","error_code":"CF-NotAuthorized","code":10003}""",
            (await JsonAsync(refused)).ToJsonString());

        // Before the grant the space is not the user's: its app is hidden (403) and no app can be made in it.
        using var hidden = await developer.GetAsync($"v2/apps/{app}");
        Assert.Equal(HttpStatusCode.Forbidden, hidden.StatusCode);
        using var notYours = await developer.PostAsync("v2/apps", new StringContent($$"""{"name":"e2e-dev-app","space_guid":"{{space}}"}"""));
        Assert.Equal(HttpStatusCode.Forbidden, notYours.StatusCode);

        using var member = await admin.PutAsync($"v2/organizations/{org}/users/e2e-dev", null);
        Assert.Equal(HttpStatusCode.Created, member.StatusCode);
        using var granted = await admin.PutAsync($"v2/spaces/{space}/developers/e2e-dev", null);
        Assert.Equal(HttpStatusCode.Created, granted.StatusCode);
        using var bound = await developer.PostAsync("v2/service_bindings", new StringContent(bind));
        Assert.Equal(HttpStatusCode.Created, bound.StatusCode);
        using var seen = await developer.GetAsync($"v2/apps/{app}");
        Assert.Equal(HttpStatusCode.OK, seen.StatusCode);
    }

    private static async Task<JsonNode> JsonAsync(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    [Fact]
    public async Task Bind_an_app_to_a_user_provided_instance_and_unbind_it()
    {
        using var client = Client();
        var space = (await JsonAsync(await client.GetAsync("v2/spaces")))["resources"]![0]!["metadata"]!["guid"]!.GetValue<string>();
        var app = (await JsonAsync(await client.PostAsync("v2/apps", new StringContent($$"""{"name":"e2e-app","space_guid":"{{space}}"}"""))))["metadata"]!["guid"]!.GetValue<string>();
        var instance = (await JsonAsync(await client.PostAsync("v2/user_provided_service_instances",
            new StringContent($$$"""{"name":"e2e-db","space_guid":"{{{space}}}","credentials":{"uri":"mysql://db"}}"""))))["metadata"]!["guid"]!.GetValue<string>();

        using var created = await client.PostAsync("v2/service_bindings?accepts_incomplete=true",
            new StringContent($$"""{"app_guid":"{{app}}","service_instance_guid":"{{instance}}"}"""));
        // Read the raw header before the body: reading the body makes HttpClient re-format it.
        Assert.Equal("application/json;charset=utf-8", string.Join(",", created.Content.Headers.NonValidated["Content-Type"]));
        var binding = await JsonAsync(created);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("mysql://db", binding["entity"]!["credentials"]!["uri"]!.GetValue<string>());
        var guid = binding["metadata"]!["guid"]!.GetValue<string>();
        Assert.Equal($"/v2/service_bindings/{guid}", created.Headers.Location!.ToString());

        using var deleted = await client.DeleteAsync($"v2/service_bindings/{guid}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var gone = await client.GetAsync($"v2/service_bindings/{guid}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal("CF-ServiceBindingNotFound", (await JsonAsync(gone))["error_code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Curl_reads_the_apps_environment_with_its_bound_credentials()
    {
        using var admin = Client("e2e-admin", "\"cloud_controller.admin\"");
        var space = (await JsonAsync(await admin.GetAsync("v2/spaces")))["resources"]![0]!["metadata"]!["guid"]!.GetValue<string>();
        var app = await CreateAsync(admin, "v2/apps", $$"""{"name":"e2e-env-app","space_guid":"{{space}}"}""");
        var instance = await CreateAsync(admin, "v2/user_provided_service_instances",
            $$"""{"name":"e2e-env-db","space_guid":"{{space}}","credentials":{"uri":"postgres://e2e"} }""");
        await CreateAsync(admin, "v2/service_bindings", $$"""{"app_guid":"{{app}}","service_instance_guid":"{{instance}}"}""");

        var curl = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("curl",
            ["-s", "-H", $"Authorization: bearer {AdminToken}", new Uri(server.BaseAddress, $"v2/apps/{app}/env").ToString()]) { RedirectStandardOutput = true })!;
        var text = await curl.StandardOutput.ReadToEndAsync();
        await curl.WaitForExitAsync();

        var env = JsonNode.Parse(text)!;
        var entry = env["system_env_json"]!["VCAP_SERVICES"]!["user-provided"]![0]!;
        Assert.Equal(("e2e-env-db", "postgres://e2e"), (entry["name"]!.GetValue<string>(), entry["credentials"]!["uri"]!.GetValue<string>()));
        Assert.Equal("e2e-env-app", env["application_env_json"]!["VCAP_APPLICATION"]!["application_name"]!.GetValue<string>());
    }
}
