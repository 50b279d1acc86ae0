using System.Text.Json.Nodes;

namespace BindingServer.Tests.CloudFoundry;

/// <summary>The Cloud Foundry seed page replayed: its token, its body, its query, and its response shape.</summary>
public sealed class SeedReplayTests(FakeClockServerFactory factory) : IClassFixture<FakeClockServerFactory>
{
    /// <summary>The seed's own token (HS256, scope cloud_controller.admin, expired in 2016): accepted unless a signing key is configured.</summary>
    private const string SeedToken =
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoidWFhLWlkLTQyOSIsImVtYWlsIjoiZW1haWwtMjkxQHNvbWVkb21haW4uY29tIiwic2NvcGUiOlsiY2xvdWRfY29udHJvbGxlci5hZG1pbiJdLCJhdWQiOlsiY2xvdWRfY29udHJvbGxlciJdLCJleHAiOjE0NjYwMDg5MDN9.0nz1Ucxdt02DdJU5Hy01gCKXpkSXViUBT9mEveDB7WE";

    private const string SeedResponse = """
        {
          "metadata": {"guid": "G", "url": "/v2/service_bindings/G", "created_at": "T", "updated_at": "T"},
          "entity": {
            "app_guid": "APP",
            "service_instance_guid": "SI",
            "credentials": {"creds-key-63": "creds-val-63"},
            "binding_options": {},
            "gateway_data": null,
            "gateway_name": "",
            "syslog_drain_url": "",
            "volume_mounts": [],
            "name": "prod-db",
            "last_operation": {"type": "create", "state": "succeeded", "description": "", "updated_at": "T", "created_at": "T"},
            "app_url": "/v2/apps/APP",
            "service_instance_url": "/v2/user_provided_service_instances/SI",
            "service_binding_parameters_url": "/v2/service_bindings/G/parameters"
          }
        }
        """;

    [Fact]
    public async Task The_seed_request_answers_201_with_the_seed_response()
    {
        var client = factory.Authorized(SeedToken);
        var space = (await client.CallAsync(HttpMethod.Get, "/v2/spaces")).Body!["resources"]![0]!["metadata"]!["guid"].Str();
        var app = (await client.CallAsync(HttpMethod.Post, "/v2/apps", $$"""{"name":"seed-app","space_guid":"{{space}}"}""")).Guid();
        var instance = (await client.CallAsync(HttpMethod.Post, "/v2/user_provided_service_instances",
            $$$"""{"name":"seed-db","space_guid":"{{{space}}}","credentials":{"creds-key-63":"creds-val-63"}}""")).Guid();

        var reply = await client.CallAsync(HttpMethod.Post, "/v2/service_bindings?accepts_incomplete=false", $$$"""
            {
              "service_instance_guid": "{{{instance}}}",
              "app_guid": "{{{app}}}",
              "parameters": {
                "the_service_broker": "wants this object"
              },
              "name": "prod-db"
            }
            """);

        Assert.Equal(201, reply.Code);
        var guid = reply.Guid();
        var stamp = reply.Body!["metadata"]!["created_at"].Str();
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$", stamp);

        // The seed predates CC giving user-provided instances an empty syslog_drain_url; the reference says "" now.
        var expected = JsonNode.Parse(SeedResponse.Replace("\"G\"", $"\"{guid}\"").Replace("/G", $"/{guid}").Replace("\"T\"", $"\"{stamp}\"")
            .Replace("APP", app).Replace("SI", instance))!;
        Assert.Equal(expected.ToJsonString(), reply.Body!.ToJsonString());
        Assert.Equal($"/v2/service_bindings/{guid}", reply.Response.Headers.Location!.ToString());
        Assert.Matches("^[0-9a-f-]{36}$", reply.Response.Headers.GetValues("X-VCAP-Request-ID").Single());
        Assert.Equal("nosniff", reply.Response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task An_asynchronous_unbind_with_accepts_incomplete_answers_202_then_the_binding_goes()
    {
        var client = factory.Authorized();
        var space = (await client.CallAsync(HttpMethod.Get, "/v2/spaces")).Body!["resources"]![0]!["metadata"]!["guid"].Str();
        var app = (await client.CallAsync(HttpMethod.Post, "/v2/apps", $$"""{"name":"unbind-app","space_guid":"{{space}}"}""")).Guid();
        var plans = (await client.CallAsync(HttpMethod.Get, "/v2/service_plans")).Body!["resources"]!.AsArray();
        var plan = plans.Single(p => p!["entity"]!["name"].Str() == "async")!["metadata"]!["guid"].Str();
        var instance = (await client.CallAsync(HttpMethod.Post, "/v2/service_instances",
            $$"""{"name":"unbind-db","space_guid":"{{space}}","service_plan_guid":"{{plan}}"}""")).Guid();
        var binding = (await client.CallAsync(HttpMethod.Post, "/v2/service_bindings?accepts_incomplete=true",
            $$"""{"app_guid":"{{app}}","service_instance_guid":"{{instance}}"}""")).Guid();

        var deleting = await client.CallAsync(HttpMethod.Delete, $"/v2/service_bindings/{binding}?accepts_incomplete=true");

        Assert.Equal(202, deleting.Code);
        Assert.Equal($"/v2/service_bindings/{binding}", deleting.Response.Headers.Location!.ToString());
        Assert.Equal("delete", deleting.Body!["entity"]!["last_operation"]!["type"].Str());
        Assert.Equal("in progress", deleting.Body!["entity"]!["last_operation"]!["state"].Str());
        factory.FinishBrokerOperations();
        await factory.UntilAsync(client, $"/v2/service_bindings/{binding}", r => r.Code == 404, "the binding to go");
    }
}
