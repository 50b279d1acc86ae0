using System.Diagnostics;
using k8s;

namespace BindingServer.Testing.Sample;

/// <summary>
/// One tenant for the classes of a collection, seeded at creation. Its id is fixed, and a second tenant of that id
/// would be refused (409), so these tests passing shows that xunit made the fixture once for both classes.
/// </summary>
public sealed class TeamTenant() : TenantFixture(fixtures: TeamManifests, id: "team-tenant"), IAsyncLifetime
{
    private const string TeamManifests = """
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
}

/// <summary>The classes of this collection share one <see cref="TeamTenant"/>, and xunit runs them one after the other.</summary>
[CollectionDefinition(Name)]
public sealed class TeamTenantDefinition : ICollectionFixture<TeamTenant>
{
    public const string Name = "Team tenant";
}

[Collection(TeamTenantDefinition.Name)]
public sealed class TeamTenantKubernetesClientTests(TeamTenant team)
{
    [Fact]
    public async Task The_tenant_starts_with_the_fixtures_it_was_created_with()
    {
        Assert.Equal("team-tenant", team.Tenant.TenantId);
        using var client = team.Tenant.CreateKubernetesClient();

        var binding = Assert.Single((await client.RbacAuthorizationV1.ListNamespacedRoleBindingAsync("team-a")).Items);

        Assert.Equal(("deployers", "edit"), (binding.Metadata.Name, binding.RoleRef.Name));
    }
}

[Collection(TeamTenantDefinition.Name)]
public sealed class TeamTenantKubectlTests(TeamTenant team)
{
    [Fact]
    public async Task Kubectl_reaches_the_same_tenant_through_its_kubeconfig()
    {
        Assert.EndsWith("/tenants/team-tenant/", team.Tenant.BaseAddress.ToString());
        var start = new ProcessStartInfo("kubectl", ["--kubeconfig", team.Tenant.KubeconfigPath, "get", "rolebindings", "-n", "team-a", "-o", "name"])
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
