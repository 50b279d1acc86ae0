namespace BindingServer.Testing;

/// <summary>
/// A tenant of the process's shared server (<see cref="TestBindingServer.SharedAsync"/>) for one test class or one
/// collection, so that test classes running in parallel each have a cluster and Cloud Controller of their own.
/// </summary>
/// <remarks>
/// The library does not depend on a test framework, yet this class already has the members of xunit's (v2)
/// <c>IAsyncLifetime</c>: derive a fixture that declares the interface and nothing else,
/// <code>
/// public sealed class MyTenant : TenantFixture, IAsyncLifetime;
/// public sealed class SeededTenant() : TenantFixture(fixtures: File.ReadAllText("fixtures/team.yaml")), IAsyncLifetime;
/// </code>
/// and use it as <c>IClassFixture&lt;MyTenant&gt;</c> (a tenant per test class) or <c>ICollectionFixture&lt;MyTenant&gt;</c>
/// (one tenant for the classes of a collection). Other frameworks call <see cref="InitializeAsync"/> and
/// <see cref="DisposeAsync"/> from their once-per-class set-up and tear-down.
/// </remarks>
/// <param name="fixtures">Fixture documents the tenant starts with, as <see cref="TestBindingServer.LoadFixturesAsync"/> takes them.</param>
/// <param name="id">The tenant's id (a DNS label, unique on the server); null generates one.</param>
/// <param name="transport">Which shared server: <see cref="TestServerTransport.Loopback"/> for kubectl and other processes.</param>
public abstract class TenantFixture(string? fixtures = null, string? id = null, TestServerTransport transport = TestServerTransport.Loopback)
{
    private TestBindingServer? _tenant;

    /// <summary>The tenant, as a <see cref="TestBindingServer"/> whose every client and admin call reaches it alone.</summary>
    public TestBindingServer Tenant => _tenant ?? throw new InvalidOperationException(
        "the tenant is created by InitializeAsync, which xunit calls only on a fixture that implements IAsyncLifetime: "
        + $"declare the fixture as `public sealed class {GetType().Name} : TenantFixture, IAsyncLifetime;`");

    /// <summary>Creates the tenant on the shared server (starting that server on first use).</summary>
    public virtual async Task InitializeAsync()
    {
        var server = await TestBindingServer.SharedAsync(transport);
        _tenant = await server.CreateTenantAsync(id, fixtures);
    }

    /// <summary>Deletes the tenant; the shared server goes on serving the others.</summary>
    public virtual async Task DisposeAsync()
    {
        if (_tenant is not null)
        {
            await _tenant.DisposeAsync();
        }
    }
}
