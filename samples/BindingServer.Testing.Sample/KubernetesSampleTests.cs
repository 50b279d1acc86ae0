using System.Diagnostics;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace BindingServer.Testing.Sample;

/// <summary>
/// How a suite uses the fixture: a shared server, reset before each test, seeded with manifests, driven through
/// KubernetesClient and kubectl, with the journal and fault injection for assertions and failure paths.
/// </summary>
public sealed class KubernetesSampleTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IAsyncLifetime
{
    private TestBindingServer Server => fixture.Server;

    // Every test starts from the start state, whatever the previous one left behind.
    public async Task InitializeAsync()
    {
        await Server.ResetAsync();
        await Server.ClearFaultsAsync();
        await Server.ClearJournalAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private const string TeamFixture = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: team-a}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: deployers, namespace: team-a}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
        subjects: [{kind: ServiceAccount, name: deployer, namespace: team-a}]
        """;

    [Fact]
    public async Task Seeded_role_bindings_are_listed_by_KubernetesClient()
    {
        await Server.LoadFixturesAsync(TeamFixture);
        using var client = Server.CreateKubernetesClient();

        var bindings = await client.RbacAuthorizationV1.ListNamespacedRoleBindingAsync("team-a");

        var binding = Assert.Single(bindings.Items);
        Assert.Equal(("deployers", "edit"), (binding.Metadata.Name, binding.RoleRef.Name));
        Assert.False(string.IsNullOrEmpty(binding.Metadata.Uid));
    }

    [Fact]
    public async Task A_reset_removes_what_the_previous_test_created()
    {
        using var client = Server.CreateKubernetesClient();
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "left-behind" } });

        await Server.ResetAsync("kubernetes");

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ReadNamespaceAsync("left-behind"));
        Assert.Equal(HttpStatusCode.NotFound, error.Response.StatusCode);
    }

    [Fact]
    public async Task The_journal_shows_what_the_code_under_test_sent()
    {
        using var client = Server.CreateKubernetesClient();

        await client.RbacAuthorizationV1.CreateClusterRoleBindingAsync(new V1ClusterRoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "journaled" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "view" },
        });

        var entry = Assert.Single(await Server.JournalAsync());
        Assert.Equal(("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", 201),
            (entry!["method"]!.GetValue<string>(), entry["path"]!.GetValue<string>(), entry["status"]!.GetValue<int>()));
    }

    [Fact]
    public async Task An_injected_conflict_reaches_the_client_as_the_apiservers_409()
    {
        await Server.LoadFixturesAsync(TeamFixture);
        await Server.AddFaultAsync("""{"method":"PUT","path":"/apis/rbac.authorization.k8s.io/v1/namespaces/*/rolebindings/*","status":409,"count":1}""");
        using var client = Server.CreateKubernetesClient();
        var binding = await client.RbacAuthorizationV1.ReadNamespacedRoleBindingAsync("deployers", "team-a");

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => client.RbacAuthorizationV1.ReplaceNamespacedRoleBindingAsync(binding, "deployers", "team-a"));

        Assert.Equal(HttpStatusCode.Conflict, error.Response.StatusCode);
        Assert.Contains("the object has been modified", error.Response.Content);
        await client.RbacAuthorizationV1.ReplaceNamespacedRoleBindingAsync(binding, "deployers", "team-a");
    }

    [Fact]
    public async Task Kubectl_uses_the_fixtures_kubeconfig()
    {
        await Server.LoadFixturesAsync(TeamFixture);
        var start = new ProcessStartInfo("kubectl", ["--kubeconfig", Server.KubeconfigPath, "get", "rolebindings", "-n", "team-a", "-o", "name"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var kubectl = Process.Start(start)!;
        var output = await kubectl.StandardOutput.ReadToEndAsync();
        var errors = await kubectl.StandardError.ReadToEndAsync();
        await kubectl.WaitForExitAsync();

        Assert.True(kubectl.ExitCode == 0, errors);
        Assert.Equal("rolebinding.rbac.authorization.k8s.io/deployers\n", output);
    }
}
