using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using BindingServer.TestSupport;

namespace BindingServer.EndToEnd;

/// <summary>Plain HTTP against the real process: what curl users and non-.NET clients see.</summary>
public sealed class HttpClientTests(ServerProcess server) : IClassFixture<ServerProcess>
{
    private const string Crbs = "apis/rbac.authorization.k8s.io/v1/clusterrolebindings";

    private HttpClient Client() => new() { BaseAddress = server.BaseAddress };

    private const string SeedExample = """
        {"kind":"ClusterRoleBinding","apiVersion":"rbac.authorization.k8s.io/v1",
         "metadata":{"annotations":{"CCE.com/IAM":"true"},"name":"read-secrets-global"},
         "subjects":[{"kind":"Group","name":"manager","apiGroup":"rbac.authorization.k8s.io"}],
         "roleRef":{"kind":"ClusterRole","name":"secret-reader","apiGroup":"rbac.authorization.k8s.io"}}
        """;

    [Fact]
    public async Task A_very_long_name_is_the_apiservers_404_not_a_414_from_the_web_server()
    {
        // Go's server reads up to 1 MiB of request line and headers; Kestrel's default stops at 8 KiB.
        var name = new string('a', 10_000);
        using var client = Client();
        using var response = await client.GetAsync($"{Crbs}/{name}");

        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        var status = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("NotFound", status["reason"]!.GetValue<string>());
        Assert.Equal($"clusterrolebindings.rbac.authorization.k8s.io \"{name}\" not found", status["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Seed_example_round_trip_over_a_real_socket()
    {
        using var client = Client();
        using var created = await client.PostAsync(Crbs, new StringContent(SeedExample, Encoding.UTF8, "application/json"));
        var body = await created.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Empty(OfficialSchemas.Validate("rbac", "io.k8s.api.rbac.v1.ClusterRoleBinding", body));
        using var again = await client.PostAsync(Crbs, new StringContent(SeedExample, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        using var missing = await client.GetAsync($"{Crbs}/missing");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.False(missing.Headers.Contains("Server"), "the apiserver (Go's HTTP server) sends no Server header");
        Assert.True(Guid.TryParse(missing.Headers.GetValues("Audit-Id").Single(), out _));
        Assert.Equal("NotFound", JsonNode.Parse(await missing.Content.ReadAsStringAsync())!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Aggregated_discovery_content_type_is_exact_on_the_wire()
    {
        using var client = Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, "apis");
        request.Headers.TryAddWithoutValidation("Accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json");
        using var response = await client.SendAsync(request);

        Assert.Equal("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
            string.Join(",", response.Content.Headers.NonValidated["Content-Type"]));
    }

    [Fact]
    public async Task Curl_user_agents_get_indented_json()
    {
        using var client = Client();
        client.DefaultRequestHeaders.UserAgent.ParseAdd("curl/8.5.0");

        var text = await client.GetStringAsync(Crbs);

        Assert.StartsWith("{\n  \"kind\": \"ClusterRoleBindingList\"", text);
    }
}
