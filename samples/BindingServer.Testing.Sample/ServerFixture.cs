using BindingServer.Testing;

namespace BindingServer.Testing.Sample;

/// <summary>One BindingServer for the test class, on a free loopback port so kubectl can reach it too.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public TestBindingServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await TestBindingServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
