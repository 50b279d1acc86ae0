using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace BindingServer.Testing.Sample;

/// <summary>A tenant of the process's shared server for each test class that asks for one.</summary>
public sealed class SampleTenant : TenantFixture, IAsyncLifetime;

/// <summary>
/// What each of the twenty classes below checks in its own tenant while the others, run by xunit at the same time (a
/// class is a collection of its own, and parallelization is on by default), do the same with the same names in theirs.
/// </summary>
public abstract class ParallelTenantTests(SampleTenant fixture) : IClassFixture<SampleTenant>, IAsyncLifetime
{
    private const string Namespace = "team";
    private const string ConfigMapName = "settings";

    /// <summary>The default space, whose guid is the same in every tenant's start state.</summary>
    private const string DefaultSpace = "accc5133-6b9e-8af2-8026-ac93001c836d";

    private TestBindingServer Tenant => fixture.Tenant;

    /// <summary>The only thing that tells the tenants' same-named objects apart: the class that wrote them.</summary>
    private string Owner => GetType().Name;

    // Each test starts from the tenant's start state, whatever the class's previous test left behind.
    public async Task InitializeAsync() => await Tenant.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private static V1Namespace TeamNamespace => new() { Metadata = new V1ObjectMeta { Name = Namespace } };

    private static V1ConfigMap ConfigMap(string name, string owner) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Namespace },
        Data = new Dictionary<string, string> { ["owner"] = owner },
    };

    private static string TeamManifests(string owner) => $$"""
        apiVersion: v1
        kind: Namespace
        metadata: {name: {{Namespace}}}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: {{ConfigMapName}}, namespace: {{Namespace}}}
        data: {owner: {{owner}}}
        """;

    [Fact]
    public async Task Same_named_objects_are_created_in_every_tenant_without_conflict()
    {
        using var client = Tenant.CreateKubernetesClient();

        await client.CoreV1.CreateNamespaceAsync(TeamNamespace);
        await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap(ConfigMapName, Owner), Namespace);

        var configMaps = await client.CoreV1.ListNamespacedConfigMapAsync(Namespace);
        Assert.Equal([(ConfigMapName, Owner)], configMaps.Items.Select(c => (c.Metadata.Name, c.Data["owner"])));
        // Within one tenant the names do collide, as on any cluster.
        var conflict = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespaceAsync(TeamNamespace));
        Assert.Equal(HttpStatusCode.Conflict, conflict.Response.StatusCode);
    }

    [Fact]
    public async Task A_watch_sees_only_this_tenants_events()
    {
        using var client = Tenant.CreateKubernetesClient();
        await client.CoreV1.CreateNamespaceAsync(TeamNamespace);
        // Watching from the list's resourceVersion, as an informer does, misses nothing written after the list.
        var listed = await client.CoreV1.ListNamespacedConfigMapAsync(Namespace);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var watching = Task.Run(async () =>
        {
            var seen = new List<(WatchEventType, string, string)>();
            await foreach (var (type, item) in client.CoreV1.WatchListNamespacedConfigMapAsync(Namespace,
                resourceVersion: listed.Metadata.ResourceVersion, cancellationToken: cancel.Token))
            {
                seen.Add((type, item.Metadata.Name, item.Data["owner"]));
                if (item.Metadata.Name == "done")
                {
                    return seen;
                }
            }

            return seen;
        });

        await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap(ConfigMapName, Owner), Namespace);
        await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"data":{"step":"2"}}""", V1Patch.PatchType.MergePatch), ConfigMapName, Namespace);
        await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("done", Owner), Namespace);

        // The other classes write the same names at the same time: any of their events here would break the sequence.
        Assert.Equal([(WatchEventType.Added, ConfigMapName, Owner), (WatchEventType.Modified, ConfigMapName, Owner), (WatchEventType.Added, "done", Owner)],
            await watching);
    }

    [Fact]
    public async Task A_reset_brings_back_this_tenants_start_state_and_leaves_the_others_alone()
    {
        // A neighbour known to hold the same names, so that the reset's reach is checked whatever the other classes do.
        var server = await TestBindingServer.SharedAsync();
        await using var neighbour = await server.CreateTenantAsync(fixtures: TeamManifests("neighbour"));
        using var client = Tenant.CreateKubernetesClient();
        var startNamespaces = await NamesAsync(client);
        await Tenant.LoadFixturesAsync(TeamManifests(Owner));
        await client.RbacAuthorizationV1.DeleteClusterRoleAsync("view");

        var reset = await Tenant.ResetAsync();

        Assert.True(reset["removed"]!.GetValue<int>() > 0);
        var gone = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ReadNamespacedConfigMapAsync(ConfigMapName, Namespace));
        Assert.Equal(HttpStatusCode.NotFound, gone.Response.StatusCode);
        Assert.Equal(startNamespaces, await NamesAsync(client));
        Assert.Equal("view", (await client.RbacAuthorizationV1.ReadClusterRoleAsync("view")).Metadata.Name);
        using var neighbours = neighbour.CreateKubernetesClient();
        Assert.Equal("neighbour", (await neighbours.CoreV1.ReadNamespacedConfigMapAsync(ConfigMapName, Namespace)).Data["owner"]);
    }

    [Fact]
    public async Task The_cloud_foundry_api_lists_only_this_tenants_app()
    {
        // The same guid in every tenant: each Cloud Controller has records of its own.
        await Tenant.LoadFixturesAsync($$"""{"apps":[{"guid":"5a3e0c1d-7b2f-4e8a-9c6d-000000000001","name":"{{Owner}}","space_guid":"{{DefaultSpace}}"}]}""");
        using var cf = Tenant.CreateCloudFoundryClient("admin", "cloud_controller.admin");

        var apps = JsonNode.Parse(await cf.GetStringAsync("v2/apps"))!;

        Assert.Equal(1, apps["total_results"]!.GetValue<int>());
        Assert.Equal(Owner, apps["resources"]![0]!["entity"]!["name"]!.GetValue<string>());
    }

    private static async Task<List<string>> NamesAsync(k8s.Kubernetes client) =>
        [.. (await client.CoreV1.ListNamespaceAsync()).Items.Select(n => n.Metadata.Name)];
}

// Twenty classes, so twenty tenants in use at once: a class is a collection of its own, which xunit runs in parallel
// with the others. One line each, in one file, since they are the same tests.
public sealed class ParallelTenant01Tests(SampleTenant tenant) : ParallelTenantTests(tenant);
public sealed class ParallelTenant02Tests(SampleTenant tenant) : ParallelTenantTests(tenant);
public sealed class ParallelTenant03Tests(SampleTenant tenant) : ParallelTenantTests(tenant);
public sealed class ParallelTenant04Tests(SampleTenant tenant) : ParallelTenantTests(tenant);
public sealed class ParallelTenant05Tests(SampleTenant tenant) : ParallelTenantTests(tenant);
public sealed class ParallelTenant06Tests(SampleTenant tenant) : ParallelTenantTests(tenant);
public sealed class ParallelTenant07Tests(SampleTenant tenant) : ParallelTenantTests(tenant);
public sealed class ParallelTenant08Tests(SampleTenant tenant) : ParallelTenantTests(tenant);
public sealed class ParallelTenant09Tests(SampleTenant tenant) : ParallelTenantTests(tenant);
public sealed class ParallelTenant10Tests(SampleTenant tenant) : ParallelTenantTests(tenant);
public sealed class ParallelTenant11Tests(SampleTenant tenant) : ParallelTenantTests(tenant);
public sealed class ParallelTenant12Tests(SampleTenant tenant) : ParallelTenantTests(tenant);
public sealed class ParallelTenant13Tests(SampleTenant tenant) : ParallelTenantTests(tenant);
public sealed class ParallelTenant14Tests(SampleTenant tenant) : ParallelTenantTests(tenant);
public sealed class ParallelTenant15Tests(SampleTenant tenant) : ParallelTenantTests(tenant);
public sealed class ParallelTenant16Tests(SampleTenant tenant) : ParallelTenantTests(tenant);
public sealed class ParallelTenant17Tests(SampleTenant tenant) : ParallelTenantTests(tenant);
public sealed class ParallelTenant18Tests(SampleTenant tenant) : ParallelTenantTests(tenant);
public sealed class ParallelTenant19Tests(SampleTenant tenant) : ParallelTenantTests(tenant);
public sealed class ParallelTenant20Tests(SampleTenant tenant) : ParallelTenantTests(tenant);
