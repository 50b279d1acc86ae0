using System.Diagnostics;
using System.Text.Json.Nodes;

namespace BindingServer.EndToEnd;

/// <summary>The seed's curl command, run with the real curl against the real process (host and guids substituted).</summary>
public sealed class CurlSeedTests(ServerProcess server) : IClassFixture<ServerProcess>
{
    private const string SeedToken =
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoidWFhLWlkLTQyOSIsImVtYWlsIjoiZW1haWwtMjkxQHNvbWVkb21haW4uY29tIiwic2NvcGUiOlsiY2xvdWRfY29udHJvbGxlci5hZG1pbiJdLCJhdWQiOlsiY2xvdWRfY29udHJvbGxlciJdLCJleHAiOjE0NjYwMDg5MDN9.0nz1Ucxdt02DdJU5Hy01gCKXpkSXViUBT9mEveDB7WE";

    private async Task<string> CurlAsync(params string[] args)
    {
        var start = new ProcessStartInfo("curl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("curl is required for this test (apt-get install curl)");
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
        return output;
    }

    [Fact]
    public async Task The_seed_curl_request_answers_201_with_its_headers()
    {
        var api = server.BaseAddress.ToString().TrimEnd('/');
        var auth = $"Authorization: bearer {SeedToken}";
        var space = JsonNode.Parse(await CurlAsync("-s", $"{api}/v2/spaces", "-H", auth))!["resources"]![0]!["metadata"]!["guid"]!.GetValue<string>();
        var app = JsonNode.Parse(await CurlAsync("-s", $"{api}/v2/apps", "-X", "POST", "-H", auth, "-d", $$"""{"name":"curl-app","space_guid":"{{space}}"}"""))!
            ["metadata"]!["guid"]!.GetValue<string>();
        var instance = JsonNode.Parse(await CurlAsync("-s", $"{api}/v2/user_provided_service_instances", "-X", "POST", "-H", auth, "-d",
            $$$"""{"name":"curl-db","space_guid":"{{{space}}}","credentials":{"creds-key-63":"creds-val-63"}}"""))!["metadata"]!["guid"]!.GetValue<string>();

        var response = await CurlAsync("-s", "-i", $"{api}/v2/service_bindings?accepts_incomplete=false", "-d", $$"""
            {
              "service_instance_guid": "{{instance}}",
              "app_guid": "{{app}}",
              "parameters": {
                "the_service_broker": "wants this object"
              },
              "name": "prod-db"
            }
            """, "-X", "POST", "-H", auth, "-H", "Host: example.org", "-H", "Content-Type: application/json", "-H", "Cookie: ");

        var (head, body) = (response[..response.IndexOf("\r\n\r\n", StringComparison.Ordinal)], response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
        Assert.StartsWith("HTTP/1.1 201 Created", head);
        Assert.Contains("Content-Type: application/json;charset=utf-8", head);
        Assert.Matches(@"Location: /v2/service_bindings/[0-9a-f-]{36}", head);
        Assert.Matches(@"X-VCAP-Request-ID: [0-9a-f-]{36}", head);
        var binding = JsonNode.Parse(body)!;
        Assert.Equal("prod-db", binding["entity"]!["name"]!.GetValue<string>());
        Assert.Equal("""{"creds-key-63":"creds-val-63"}""", binding["entity"]!["credentials"]!.ToJsonString());
    }
}
