using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace BindingServer.Tests.Hosting;

/// <summary>What the fuzz test found, pinned down: bodies that once crashed the process or were read too leniently.</summary>
public sealed class MalformedBodyTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private const string ClusterRoles = "/apis/rbac.authorization.k8s.io/v1/clusterroles";

    private async Task<(int Code, JsonNode Status)> SendAsync(HttpMethod method, string path, string contentType, byte[] body)
    {
        using var client = factory.Client();
        using var request = new HttpRequestMessage(method, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var response = await client.SendAsync(request);
        return ((int)response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    [Fact]
    public async Task Nesting_deeper_than_any_object_is_a_bad_request_not_a_stack_overflow()
    {
        var deep = Encoding.UTF8.GetBytes("{\"metadata\":{\"name\":\"deep\",\"annotations\":" + new string('[', 100_000) + new string(']', 100_000) + "}}");

        var (code, status) = await SendAsync(HttpMethod.Post, ClusterRoles, "application/yaml", deep);

        Assert.Equal(400, code);
        Assert.Equal("BadRequest", status["reason"]!.GetValue<string>());
        Assert.Contains("nests deeper than 100 levels", status["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_yaml_alias_bomb_is_refused_as_go_yaml_refuses_it()
    {
        var levels = new StringBuilder("a: &a [x,x,x,x,x,x,x,x,x]\n");
        for (var level = 'b'; level <= 'i'; level++)
        {
            levels.Append($"{level}: &{level} [{string.Join(",", Enumerable.Repeat($"*{(char)(level - 1)}", 9))}]\n");
        }

        var (code, status) = await SendAsync(HttpMethod.Post, ClusterRoles, "application/yaml", Encoding.UTF8.GetBytes(levels + "metadata: {name: bomb}\n"));

        Assert.Equal(400, code);
        Assert.Equal("error decoding YAML: yaml: document contains excessive aliasing", status["message"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("text/plain", "{}", 415, "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf")]
    [InlineData("application/json", "42", 400, "couldn't get version/kind; json parse error: json: cannot unmarshal number into Go value of type struct { APIVersion string; Kind string }")]
    [InlineData("application/json", """{"apiVersion":7}""", 400, "couldn't get version/kind; json parse error: json: cannot unmarshal number into Go struct field .apiVersion of type string")]
    public async Task A_delete_body_is_read_as_any_body_and_refused_before_anything_is_deleted(string contentType, string body, int expected, string message)
    {
        var (code, status) = await SendAsync(HttpMethod.Delete, $"{ClusterRoles}/view", contentType, Encoding.UTF8.GetBytes(body));

        Assert.Equal(expected, code);
        Assert.Equal(message, status["message"]!.GetValue<string>());
        using var client = factory.Client();
        Assert.Equal(200, (int)(await client.GetAsync($"{ClusterRoles}/view")).StatusCode);
    }
}
