using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using BindingServer.Tests.Core;

namespace BindingServer.Tests.Kubernetes;

/// <summary>
/// Bodies whose values have the wrong JSON type, in the places a server reads loosely: each gets the apiserver's own
/// answer (mostly a 400 from the decoder; a plain 500 where the apiserver itself answers so) and never the emulator's
/// unexpected-error 500.
/// </summary>
public sealed class MistypedBodyTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private readonly HttpClient _client = factory.Client();
    private const string Pods = "/api/v1/namespaces/default/pods";

    private async Task<(int Code, JsonObject Body)> SendAsync(string method, string path, string mediaType, string body)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        using var response = await _client.SendAsync(request);
        return ((int)response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    [Theory]
    [InlineData("DELETE", "", "application/json", """{"gracePeriodSeconds":"soon"}""", 500,
        "json: cannot unmarshal string into Go struct field DeleteOptions.gracePeriodSeconds of type int64")]
    [InlineData("DELETE", "", "application/json", """{"preconditions":{"uid":7}}""", 500,
        "json: cannot unmarshal number into Go struct field Preconditions.preconditions.uid of type types.UID")]
    [InlineData("PATCH", "", "application/json-patch+json", """[{"op":1,"path":"/metadata/labels"}]""", 422, "the server rejected our request due to an error in our request")]
    [InlineData("PATCH", "?fieldManager=t", "application/apply-patch+yaml", """{"apiVersion":5,"kind":"Pod"}""", 400,
        "Incorrect version specified in apply patch. Specified patch version: , expected: v1")]
    [InlineData("PATCH", "", "application/strategic-merge-patch+json", """{"$patch":"bogus","metadata":{"labels":{"a":"b"}}}""", 500,
        "unknown patch type: bogus in map: map[$patch:bogus metadata:map[labels:map[a:b]]]")]
    [InlineData("PATCH", "/status", "application/merge-patch+json", """{"status":{"podIPs":[{"ip":5}]}}""", 400,
        "Pod in version \"v1\" cannot be handled as a Pod: json: cannot unmarshal number into Go struct field PodIP.status.podIPs.ip of type string")]
    public async Task A_mistyped_value_gets_the_apiservers_answer(string method, string suffix, string mediaType, string body, int code, string message)
    {
        var name = "typed-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(201, (await _client.PostAsync(Pods, PodTests.Pod(name))).Code);

        var (status, answer) = await SendAsync(method, $"{Pods}/{name}{suffix}", mediaType, body);

        Assert.Equal((code, "Status", message), (status, answer["kind"].Str(), answer["message"].Str()));
        Assert.NotEqual("InternalError", answer["reason"]?.ToString());
    }

    [Fact]
    public async Task An_openshift_review_with_a_mistyped_namespace_is_a_bad_request()
    {
        var (code, status) = await SendAsync("POST", "/apis/authorization.openshift.io/v1/subjectaccessreviews", "application/json",
            """{"kind":"SubjectAccessReview","apiVersion":"authorization.openshift.io/v1","namespace":5,"verb":"get","resource":"pods"}""");

        Assert.Equal((400, "SubjectAccessReview in version \"v1\" cannot be handled as a SubjectAccessReview: json: cannot unmarshal number into Go struct field SubjectAccessReview.namespace of type string"),
            (code, status["message"].Str()));
    }

    [Theory]
    [InlineData("GET", "?limit=ten", "strconv.ParseInt: parsing \"ten\": invalid syntax")]
    [InlineData("GET", "?watch=1&timeoutSeconds=99999999999999999999", "strconv.ParseInt: parsing \"99999999999999999999\": value out of range")]
    [InlineData("DELETE", "/nobody?gracePeriodSeconds=soon", "strconv.ParseInt: parsing \"soon\": invalid syntax")]
    public async Task An_integer_query_parameter_that_is_not_one_is_a_bad_request(string method, string suffix, string message)
    {
        using var response = await _client.SendAsync(new HttpRequestMessage(new HttpMethod(method), Pods + suffix));
        var status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal((400, "BadRequest", message), ((int)response.StatusCode, status["reason"].Str(), status["message"].Str()));
    }

    [Theory]
    [InlineData("/api/v1/nodes", """{"metadata":{"name":"bad-time"},"status":{"conditions":[{"type":"Ready","status":"True","lastHeartbeatTime":"soon"}]}}""",
        "Node in version \"v1\" cannot be handled as a Node: parsing time \"soon\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"soon\" as \"2006\"")]
    [InlineData("/api/v1/namespaces/default/events", """{"metadata":{"name":"bad-time"},"involvedObject":{},"eventTime":"yesterday"}""",
        "Event in version \"v1\" cannot be handled as a Event: parsing time \"yesterday\" as \"2006-01-02T15:04:05.000000Z07:00\": cannot parse \"yesterday\" as \"2006\"")]
    public async Task A_time_go_cannot_parse_is_a_bad_request_in_gos_words(string path, string body, string message)
    {
        var (code, status) = await SendAsync("POST", path, "application/json", body);

        Assert.Equal((400, "BadRequest", message), (code, status["reason"].Str(), status["message"].Str()));
    }

    [Fact]
    public async Task Invalid_utf8_in_a_string_is_read_as_go_reads_it_with_replacement_characters()
    {
        // Go's decoder turns bytes that are not UTF-8 into U+FFFD, and the apiserver accepts the object.
        var head = Encoding.UTF8.GetBytes("""{"metadata":{"name":"utf8-create","annotations":{"note":"a""");
        var tail = Encoding.UTF8.GetBytes(""" b"}},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"}}""");
        byte[] body = [.. head, 0xFF, 0xFE, .. tail];
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var created = await _client.PostAsync("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", content);

        Assert.Equal(201, (int)created.StatusCode);
        var stored = JsonNode.Parse(await _client.GetStringAsync("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/utf8-create"))!;
        Assert.Equal("a\uFFFD\uFFFD b", stored["metadata"]!["annotations"]!["note"]!.GetValue<string>());

        using var patch = new ByteArrayContent([.. Encoding.UTF8.GetBytes("""{"metadata":{"annotations":{"later":"x"""), 0xC3, .. Encoding.UTF8.GetBytes("\"}}}")]);
        patch.Headers.ContentType = new MediaTypeHeaderValue("application/merge-patch+json");
        using var patched = await _client.PatchAsync("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/utf8-create", patch);
        Assert.Equal(200, (int)patched.StatusCode);
    }
}
