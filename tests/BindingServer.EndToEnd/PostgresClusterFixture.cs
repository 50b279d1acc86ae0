namespace BindingServer.TestSupport;

/// <summary>The shared throwaway cluster as an xunit fixture (its start and stop already have xunit's shape).</summary>
public sealed partial class PostgresCluster : IAsyncLifetime;
