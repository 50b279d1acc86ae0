using System.Net;
using System.Text.Json.Nodes;
using static BindingServer.Tests.Http;

namespace BindingServer.Tests.Kubernetes;

public sealed class RoutingTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private readonly HttpClient _client = factory.Client();

    /// <summary>Every served group-version is a go-restful web service on the real servers, reviews' and OpenShift's included.</summary>
    [Theory]
    [InlineData("/apis/rbac.authorization.k8s.io/v1/widgets")]
    [InlineData("/api/v1/widgets")]
    [InlineData("/apis/authorization.k8s.io/v1/widgets")]
    [InlineData("/apis/authentication.k8s.io/v1/widgets")]
    [InlineData("/apis/authorization.openshift.io/v1/widgets")]
    public async Task Unknown_resource_inside_a_served_group_version_is_a_json_NotFound(string path)
    {
        var (code, body) = await _client.GetJsonAsync(path);

        Assert.Equal(404, code);
        Assert.Equal("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404}""",
            body.Compact());
    }

    [Fact]
    public async Task Unknown_groups_get_the_plain_text_404_of_the_go_mux()
    {
        using var response = await _client.GetAsync("/apis/example.com/v1/things");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("text/plain; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Equal("404 page not found\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_verb_the_route_does_not_serve_is_MethodNotAllowed()
    {
        var (code, body) = await _client.SendAsync(HttpMethod.Put, Crbs, Json("{}"));

        Assert.Equal(405, code);
        Assert.Equal("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server does not allow this method on the requested resource","reason":"MethodNotAllowed","details":{},"code":405}""",
            body.Compact());
    }

    [Fact]
    public async Task Responses_carry_the_apiserver_headers()
    {
        using var response = await _client.GetAsync($"{Crbs}/missing");

        Assert.True(Guid.TryParse(response.Headers.GetValues("Audit-Id").Single(), out _));
        Assert.Equal("no-cache, private", response.Headers.CacheControl!.ToString());
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task An_accept_header_with_nothing_we_serve_is_NotAcceptable()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Crbs);
        request.Headers.TryAddWithoutValidation("Accept", "text/html");
        using var response = await _client.SendAsync(request);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.NotAcceptable, response.StatusCode);
        Assert.Equal("only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf", body["message"].Str());
    }

    [Fact]
    public async Task Invalid_includeObject_is_a_bad_request()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{Crbs}?includeObject=All");
        request.Headers.TryAddWithoutValidation("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io");
        using var response = await _client.SendAsync(request);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("Unable to convert to Table as requested: includeObject: Invalid value: \"All\": must be 'Metadata', 'Object', 'None', or empty", body["message"].Str());
    }
}
