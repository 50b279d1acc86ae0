using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace BindingServer.EndToEnd;

/// <summary>The seed's flow against the real process: an app, a user-provided instance, POST /v2/service_bindings.</summary>
public sealed class CloudFoundryTests(ServerProcess server) : IClassFixture<ServerProcess>
{
    private static string Token()
    {
        static string Segment(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return $"{Segment("""{"alg":"none"}""")}.{Segment("""{"user_id":"e2e","scope":["cloud_controller.read","cloud_controller.write"]}""")}.c2ln";
    }

    private HttpClient Client()
    {
        var client = new HttpClient { BaseAddress = server.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("bearer", Token());
        return client;
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
}
