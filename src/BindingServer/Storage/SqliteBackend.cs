using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace BindingServer.Storage;

/// <summary>
/// The embedded store: one SQLite file (WAL) in the data folder, or a database in memory, owned by this process alone.
/// Writes use prepared SQL on one connection, as they are the hot path; EF Core serves only migrations and history.
/// </summary>
internal sealed class SqliteBackend : StoreBackend
{
    private readonly FileStream? _folderLock;
    private readonly SqliteConnection _connection;
    private readonly Lazy<DbContextOptions<StoreDbContext>> _dbOptions;
    private WriteStatements? _statements;

    public SqliteBackend(StoreOptions options, StoreTemplate? template = null)
    {
        _folderLock = LockFolder(options);
        _connection = new SqliteConnection(ConnectionString(options));
        _connection.Open();
        if (template is not null && options.InMemory)
        {
            template.CopyTo(_connection);
        }

        Pragma(options.InMemory ? "PRAGMA journal_mode=MEMORY;" : $"PRAGMA journal_mode=WAL; PRAGMA synchronous={(options.SynchronousFull ? "FULL" : "NORMAL")};");
        if (options.QuotaMegabytes > 0)
        {
            // SQLite refuses to grow the file past this many pages with SQLITE_FULL, exactly as when the disk is full.
            Pragma($"PRAGMA max_page_count = {options.QuotaMegabytes * 1024L * 1024L / PageSize()};");
        }

        // EF Core serves only migrations of older databases and history queries; building it is left until one needs it.
        _dbOptions = new(() => new DbContextOptionsBuilder<StoreDbContext>().UseSqlite(_connection).UseModel(CompiledModel.StoreDbContextModel.Instance).Options);
        StoreSchema.Ensure(_connection, NewContext);
    }

    public override bool Shared => false;

    /// <summary>
    /// One process per data folder: a second one would serve its own diverging copy of the same database. The lock is an
    /// open file no one else may open (an advisory lock on Linux), released when the process ends, however it ends.
    /// </summary>
    private static FileStream? LockFolder(StoreOptions options)
    {
        if (options.InMemory)
        {
            return null;
        }

        var folder = Path.GetFullPath(options.DataPath);
        try
        {
            Directory.CreateDirectory(folder);
            return new FileStream(Path.Combine(folder, "bindingserver.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (UnauthorizedAccessException error)
        {
            throw new StoreUnavailableException($"the data folder {folder} cannot be written: {error.Message}", error);
        }
        catch (IOException error) when (Directory.Exists(folder))
        {
            throw new StoreUnavailableException($"another BindingServer process is using the data folder {folder}; stop it, or give this one another Store:DataPath", error);
        }
        catch (IOException error)
        {
            throw new StoreUnavailableException($"the data folder {folder} cannot be created: {error.Message}", error);
        }
    }

    private static string ConnectionString(StoreOptions options)
    {
        if (options.InMemory)
        {
            return "Data Source=:memory:";
        }

        Directory.CreateDirectory(options.DataPath);
        return new SqliteConnectionStringBuilder { DataSource = Path.Combine(options.DataPath, "bindingserver.db"), Pooling = false }.ToString();
    }

    private void Pragma(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private long PageSize()
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "PRAGMA page_size;";
        return (long)command.ExecuteScalar()!;
    }

    public override StoreDbContext NewContext() => new(_dbOptions.Value);

    /// <summary>Copies the whole database into another connection's (for a <see cref="StoreTemplate"/>).</summary>
    public void CopyTo(SqliteConnection target) => _connection.BackupDatabase(target);

    public override Task<(long Current, long Compacted)> ReadRevisionAsync(CancellationToken cancellationToken)
    {
        // Plain SQL, synchronously: SQLite answers at once, and EF's first query compilation is slow at start-up.
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT current, compacted FROM revision WHERE id = 1";
        using var reader = command.ExecuteReader();
        reader.Read();
        return Task.FromResult((reader.GetInt64(0), reader.GetInt64(1)));
    }

    public override async IAsyncEnumerable<StoredEntry> ReadObjectsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = _connection.CreateCommand();
        command.CommandText = "SELECT key, revision, body FROM objects ORDER BY key";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (reader.Read())
        {
            yield return new StoredEntry(reader.GetString(0), reader.GetInt64(1), reader.GetFieldValue<byte[]>(2));
        }
    }

    public override async Task<List<StoreChange>> ReadChangesAsync(long revision, CancellationToken cancellationToken)
    {
        await using var command = _connection.CreateCommand();
        command.CommandText = "SELECT revision, key, type, body FROM changes WHERE revision > $revision ORDER BY revision";
        command.Parameters.AddWithValue("$revision", revision);
        return await ReadChangesAsync(command, cancellationToken);
    }

    public override async Task<WriteBatch> BeginAsync(CancellationToken cancellationToken) =>
        new Batch(this, (SqliteTransaction)await _connection.BeginTransactionAsync(cancellationToken));

    public override async Task CompactAsync(long revision, long since, CancellationToken cancellationToken)
    {
        // Plain SQL on the store's connection: it runs every thousand writes, and EF would compile its queries each time.
        await using var transaction = (SqliteTransaction)await _connection.BeginTransactionAsync(cancellationToken);
        await using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = CompactionSql('$');
        command.Parameters.AddWithValue("$revision", revision);
        command.Parameters.AddWithValue("$since", since);
        await command.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public override async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync();
        if (_folderLock is not null)
        {
            await _folderLock.DisposeAsync();
        }
    }

    /// <summary>A batch on the one connection: no one else writes, so there is nothing to catch up with.</summary>
    private sealed class Batch(SqliteBackend backend, SqliteTransaction transaction) : WriteBatch
    {
        public override (long Current, long Compacted)? Database => null;

        public override Task<List<StoreChange>> ReadChangesAsync(long revision, CancellationToken cancellationToken) =>
            Task.FromResult(new List<StoreChange>());

        public override async Task CommitAsync(IReadOnlyList<StoreChange> changes, CancellationToken cancellationToken)
        {
            var statements = backend._statements ??= new WriteStatements(backend._connection);
            foreach (var change in changes)
            {
                statements.Bind(transaction, change);
                await (change.Type == ChangeType.Deleted ? statements.DeleteObject : statements.UpsertObject).ExecuteNonQueryAsync(cancellationToken);
                await statements.AppendChange.ExecuteNonQueryAsync(cancellationToken);
                if (ReferenceEquals(change, changes[^1]))
                {
                    await statements.SetRevision.ExecuteNonQueryAsync(cancellationToken);
                }
            }

            await transaction.CommitAsync(cancellationToken);
        }

        public override ValueTask DisposeAsync() => transaction.DisposeAsync();
    }

    /// <summary>The prepared statements of a write, created once and rebound per change.</summary>
    private sealed class WriteStatements
    {
        public WriteStatements(SqliteConnection connection)
        {
            UpsertObject = Command(connection,
                "INSERT INTO objects (key, revision, body) VALUES ($key, $revision, $body) ON CONFLICT(key) DO UPDATE SET revision = excluded.revision, body = excluded.body");
            DeleteObject = Command(connection, "DELETE FROM objects WHERE key = $key");
            AppendChange = Command(connection, "INSERT INTO changes (revision, key, type, body) VALUES ($revision, $key, $type, $body)");
            SetRevision = Command(connection, "UPDATE revision SET current = $revision WHERE id = 1");
        }

        public SqliteCommand UpsertObject { get; }
        public SqliteCommand DeleteObject { get; }
        public SqliteCommand AppendChange { get; }
        public SqliteCommand SetRevision { get; }

        private static SqliteCommand Command(SqliteConnection connection, string sql)
        {
            var command = connection.CreateCommand();
            command.CommandText = sql;
            return command;
        }

        public void Bind(SqliteTransaction transaction, StoreChange change)
        {
            foreach (var command in new[] { UpsertObject, DeleteObject, AppendChange, SetRevision })
            {
                command.Transaction = transaction;
                command.Parameters.Clear();
                command.Parameters.AddWithValue("$key", change.Key);
                command.Parameters.AddWithValue("$revision", change.Revision);
                command.Parameters.AddWithValue("$body", change.Body);
                command.Parameters.AddWithValue("$type", change.Type.ToString());
            }
        }
    }
}
