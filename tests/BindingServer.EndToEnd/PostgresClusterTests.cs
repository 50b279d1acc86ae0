using System.Diagnostics;
using Npgsql;
using Xunit.Abstractions;
using BindingServer.TestSupport;

namespace BindingServer.EndToEnd;

/// <summary>The throwaway PostgreSQL cluster that the PostgreSQL store's tests stand on, checked against the real server.</summary>
public sealed class PostgresClusterTests(PostgresCluster cluster, ITestOutputHelper output) : IClassFixture<PostgresCluster>
{
    [Fact]
    public async Task Databases_AreSeparate_AndNotificationsReachAnotherConnection()
    {
        var first = await cluster.CreateDatabaseAsync("cluster_first");
        var second = await cluster.CreateDatabaseAsync("cluster_second");

        await using var listener = new NpgsqlConnection(first);
        await listener.OpenAsync();
        await using var notifier = new NpgsqlConnection(first);
        await notifier.OpenAsync();
        await using var other = new NpgsqlConnection(second);
        await other.OpenAsync();

        Assert.StartsWith("PostgreSQL ", await ScalarAsync<string>(listener, "SELECT version()"));
        Assert.Equal("cluster_first", await ScalarAsync<string>(listener, "SELECT current_database()"));
        Assert.Equal("cluster_second", await ScalarAsync<string>(other, "SELECT current_database()"));
        Assert.Equal("UTF8", await ScalarAsync<string>(other, "SHOW server_encoding"));

        // A table made in one database is not seen from the other.
        await ExecuteAsync(listener, "CREATE TABLE marker (id int)");
        Assert.Equal("marker", await ScalarAsync<string>(notifier, "SELECT to_regclass('marker')::text"));
        Assert.IsType<DBNull>(await ScalarAsync<object>(other, "SELECT to_regclass('marker')::text"));

        var received = new TaskCompletionSource<NpgsqlNotificationEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.Notification += (_, notification) => received.TrySetResult(notification);
        await ExecuteAsync(listener, "LISTEN binding_events");
        await using (var notify = new NpgsqlCommand("SELECT pg_notify('binding_events', @payload)", notifier))
        {
            notify.Parameters.AddWithValue("payload", "binding 42 changed");
            await notify.ExecuteNonQueryAsync();
        }

        // WaitAsync returns once the listener has read a notification from its socket, which raises the event.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await listener.WaitAsync(timeout.Token);
        var delivered = await received.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("binding_events", delivered.Channel);
        Assert.Equal("binding 42 changed", delivered.Payload);
        Assert.Equal(notifier.ProcessID, delivered.PID);
    }

    [Fact]
    public async Task Dispose_StopsTheServer_AndDeletesItsFolder()
    {
        var own = new PostgresCluster();
        var clock = Stopwatch.StartNew();
        await own.InitializeAsync();
        output.WriteLine($"started in {clock.ElapsedMilliseconds} ms");
        var folder = own.Folder;
        var probe = new NpgsqlConnectionStringBuilder(own.ConnectionString) { Pooling = false, Timeout = 5 }.ConnectionString;
        try
        {
            await using var connection = new NpgsqlConnection(probe);
            await connection.OpenAsync();
            Assert.Equal(1, await ScalarAsync<int>(connection, "SELECT 1"));
        }
        finally
        {
            // Stopped even when the check above fails, so no server outlives the test run.
            clock.Restart();
            await own.DisposeAsync();
            output.WriteLine($"stopped in {clock.ElapsedMilliseconds} ms");
        }

        Assert.False(Directory.Exists(folder));
        await using var refused = new NpgsqlConnection(probe);
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => refused.OpenAsync());
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
