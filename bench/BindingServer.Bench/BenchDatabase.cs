using Npgsql;

namespace BindingServer.Bench;

/// <summary>
/// An empty database of its own on a PostgreSQL server (the bench's throwaway cluster or <c>--postgres</c>), dropped on
/// dispose, so every measured set-up starts from a fresh store and an existing server is left as it was found.
/// </summary>
internal sealed class BenchDatabase : IAsyncDisposable
{
    private readonly string _maintenance;
    private readonly string _name;

    private BenchDatabase(string maintenance, string name, string connectionString)
    {
        _maintenance = maintenance;
        _name = name;
        ConnectionString = connectionString;
    }

    /// <summary>The new database's connection string, for the server's <c>ConnectionStrings:BindingServer</c>.</summary>
    public string ConnectionString { get; }

    /// <summary>Creates it through <paramref name="maintenance"/>, a connection string whose user may create databases.</summary>
    public static async Task<BenchDatabase> CreateAsync(string maintenance)
    {
        var name = "bindingserver_bench_" + Guid.NewGuid().ToString("N")[..12];
        await ExecuteAsync(maintenance, $"CREATE DATABASE {name} TEMPLATE template0");
        var connectionString = new NpgsqlConnectionStringBuilder(maintenance) { Database = name }.ConnectionString;
        return new BenchDatabase(maintenance, name, connectionString);
    }

    /// <summary>Npgsql's errors as the bench's own, so a refused connection fails the phase rather than the run.</summary>
    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        try
        {
            // No pooling: the maintenance connection is used twice per database, and a pooled one would keep it open.
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException failure)
        {
            throw new InvalidOperationException($"PostgreSQL: {sql}: {failure.Message}", failure);
        }
    }

    public async ValueTask DisposeAsync() =>
        // FORCE (PostgreSQL 13+) ends connections a killed server may have left behind.
        await ExecuteAsync(_maintenance, $"DROP DATABASE IF EXISTS {_name} WITH (FORCE)");
}
