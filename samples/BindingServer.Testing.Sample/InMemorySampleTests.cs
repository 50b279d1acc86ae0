using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace BindingServer.Testing.Sample;

/// <summary>The in-memory transport: no port at all, for suites that only use the clients the fixture hands out.</summary>
public sealed class InMemorySampleTests : IAsyncLifetime
{
    private TestBindingServer _server = null!;

    public async Task InitializeAsync() => _server = await TestBindingServer.StartAsync(TestServerTransport.InMemory);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task KubernetesClient_creates_and_watches_without_a_socket()
    {
        using var client = _server.CreateKubernetesClient();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var watch = client.CoreV1.WatchListNamespaceAsync(fieldSelector: "metadata.name=in-memory", timeoutSeconds: 30, cancellationToken: cancel.Token);

        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "in-memory" } }, cancellationToken: cancel.Token);

        await foreach (var (type, item) in watch)
        {
            Assert.Equal((WatchEventType.Added, "in-memory"), (type, item.Metadata.Name));
            break;
        }
    }

    [Fact]
    public async Task A_cloud_foundry_fixture_is_read_back_through_the_v2_api()
    {
        await _server.LoadFixturesAsync("""
            {"organizations":[{"guid":"0b5e1c2a-9d8e-4f70-8a6b-000000000001","name":"acme"}],
             "spaces":[{"guid":"0b5e1c2a-9d8e-4f70-8a6b-000000000002","name":"dev","organization_guid":"0b5e1c2a-9d8e-4f70-8a6b-000000000001"}],
             "apps":[{"guid":"0b5e1c2a-9d8e-4f70-8a6b-000000000003","name":"web","space_guid":"0b5e1c2a-9d8e-4f70-8a6b-000000000002"}],
             "service_instances":[{"guid":"0b5e1c2a-9d8e-4f70-8a6b-000000000004","name":"db","space_guid":"0b5e1c2a-9d8e-4f70-8a6b-000000000002","credentials":{"uri":"postgres://db"}}],
             "service_bindings":[{"guid":"0b5e1c2a-9d8e-4f70-8a6b-000000000005","app_guid":"0b5e1c2a-9d8e-4f70-8a6b-000000000003","service_instance_guid":"0b5e1c2a-9d8e-4f70-8a6b-000000000004"}]}
            """);
        using var cf = _server.CreateCloudFoundryClient("admin", "cloud_controller.admin");

        using var response = await cf.GetAsync("v2/service_bindings/0b5e1c2a-9d8e-4f70-8a6b-000000000005");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var binding = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("postgres://db", binding["entity"]!["credentials"]!["uri"]!.GetValue<string>());
    }

    [Fact]
    public void Kubectl_cannot_reach_an_in_memory_server_and_the_fixture_says_so()
    {
        var error = Assert.Throws<InvalidOperationException>(() => _server.KubeconfigPath);
        Assert.Contains("TestServerTransport.Loopback", error.Message);
    }
}
