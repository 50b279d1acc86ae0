using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace BindingServer.Storage;

/// <summary>
/// The shared store: PostgreSQL, written by every replica. One global revision comes from a counter row that each write
/// transaction locks (<c>FOR UPDATE</c>) and advances, so revisions are gap-free in commit order and writes serialize as
/// on etcd's leader; each commit announces its revision with NOTIFY, which the other replicas follow.
/// </summary>
internal sealed class PostgresBackend : StoreBackend
{
    /// <summary>The NOTIFY channel; the payload is the committed revision.</summary>
    public const string Channel = "bindingserver_changes";

    private readonly NpgsqlDataSource _dataSource;
    private readonly DbContextOptions<PostgresStoreDbContext> _dbOptions;

    public PostgresBackend(string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new StoreUnavailableException("Store:Provider=PostgreSQL needs the Npgsql connection string in ConnectionStrings:BindingServer");
        }

        _dataSource = NpgsqlDataSource.Create(connectionString);
        _dbOptions = new DbContextOptionsBuilder<PostgresStoreDbContext>().UseNpgsql(_dataSource).Options;
        try
        {
            // EF Core's migrator holds a database lock while it runs, so replicas starting together do not race.
            using var db = NewContext();
            db.Database.Migrate();
        }
        catch (Exception error) when (error is NpgsqlException or InvalidOperationException)
        {
            throw new StoreUnavailableException($"the PostgreSQL store cannot be opened: {error.Message}", error);
        }
    }

    public override bool Shared => true;

    public override StoreDbContext NewContext() => new PostgresStoreDbContext(_dbOptions);

    public override async Task<(long Current, long Compacted)> ReadRevisionAsync(CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("SELECT current, compacted FROM revision WHERE id = 1");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    public override async IAsyncEnumerable<StoredEntry> ReadObjectsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("SELECT key, revision, body FROM objects ORDER BY key");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new StoredEntry(reader.GetString(0), reader.GetInt64(1), reader.GetFieldValue<byte[]>(2));
        }
    }

    public override async Task<List<StoreChange>> ReadChangesAsync(long revision, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(ChangesAfter);
        command.Parameters.AddWithValue("revision", revision);
        return await ReadChangesAsync(command, cancellationToken);
    }

    private const string ChangesAfter = "SELECT revision, key, type, body FROM changes WHERE revision > @revision ORDER BY revision";

    public override async Task<WriteBatch> BeginAsync(CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT current, compacted FROM revision WHERE id = 1 FOR UPDATE", connection, transaction);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            return new Batch(connection, transaction, (reader.GetInt64(0), reader.GetInt64(1)));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public override async Task CompactAsync(long revision, long since, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(CompactionSql('@'), connection, transaction);
        command.Parameters.AddWithValue("revision", revision);
        command.Parameters.AddWithValue("since", since);
        await command.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Calls <paramref name="changed"/> with each revision another process announces, and once a second anyway (a
    /// notification is lost while the connection is down); reconnects until <paramref name="stopping"/> is cancelled.
    /// </summary>
    public async Task ListenAsync(Func<long, Task> changed, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _dataSource.OpenConnectionAsync(stopping);
                var announced = 0L;
                connection.Notification += (_, e) => announced = Math.Max(announced, long.Parse(e.Payload, CultureInfo.InvariantCulture));
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stopping);
                }

                // What was committed before LISTEN took effect is caught up by the first pass.
                await changed(0);
                while (!stopping.IsCancellationRequested)
                {
                    var notified = await connection.WaitAsync(TimeSpan.FromSeconds(1), stopping);
                    await changed(notified ? announced : 0);
                }
            }
            catch (Exception error) when (error is NpgsqlException or TimeoutException or IOException && !stopping.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), stopping);
            }
        }
    }

    public override ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private sealed class Batch(NpgsqlConnection connection, NpgsqlTransaction transaction, (long Current, long Compacted) database) : WriteBatch
    {
        public override (long Current, long Compacted)? Database => database;

        public override async Task<List<StoreChange>> ReadChangesAsync(long revision, CancellationToken cancellationToken)
        {
            await using var command = new NpgsqlCommand(ChangesAfter, connection, transaction);
            command.Parameters.AddWithValue("revision", revision);
            return await StoreBackend.ReadChangesAsync(command, cancellationToken);
        }

        public override async Task CommitAsync(IReadOnlyList<StoreChange> changes, CancellationToken cancellationToken)
        {
            // One round trip for the whole batch: the rows, the counter, and the announcement delivered at commit.
            await using var batch = new NpgsqlBatch(connection, transaction);
            foreach (var change in changes)
            {
                batch.BatchCommands.Add(change.Type == ChangeType.Deleted
                    ? Command("DELETE FROM objects WHERE key = @key", ("key", change.Key))
                    : Command("INSERT INTO objects (key, revision, body) VALUES (@key, @revision, @body) ON CONFLICT (key) DO UPDATE SET revision = excluded.revision, body = excluded.body",
                        ("key", change.Key), ("revision", change.Revision), ("body", change.Body)));
                batch.BatchCommands.Add(Command("INSERT INTO changes (revision, key, type, body) VALUES (@revision, @key, @type, @body)",
                    ("revision", change.Revision), ("key", change.Key), ("type", change.Type.ToString()), ("body", change.Body)));
            }

            var last = changes[^1].Revision;
            batch.BatchCommands.Add(Command("UPDATE revision SET current = @revision WHERE id = 1", ("revision", last)));
            batch.BatchCommands.Add(Command($"SELECT pg_notify('{Channel}', @revision)", ("revision", last.ToString(CultureInfo.InvariantCulture))));
            await batch.ExecuteNonQueryAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        private static NpgsqlBatchCommand Command(string sql, params (string Name, object Value)[] parameters)
        {
            var command = new NpgsqlBatchCommand(sql);
            foreach (var (name, value) in parameters)
            {
                command.Parameters.AddWithValue(name, value);
            }

            return command;
        }

        public override async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
