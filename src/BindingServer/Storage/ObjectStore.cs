using System.Collections.Immutable;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace BindingServer.Storage;

/// <summary>
/// The revisioned object store. One writer stamps each write with the next global revision; the writes that queue up
/// while a commit runs are committed together in one transaction (group commit), then the new snapshot and the changes
/// are published to watchers in revision order. Reads of the current state never touch SQLite.
/// </summary>
public sealed partial class ObjectStore : IAsyncDisposable
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly Channel<PendingWrite> _queue = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private readonly FileStream? _folderLock;
    private readonly SqliteConnection _connection;
    private readonly Lazy<DbContextOptions<StoreDbContext>> _dbOptions;
    private readonly StoreOptions _options;
    private readonly List<Channel<StoreChange>> _watchers = [];
    private readonly Func<string, string> _resourceOfKey;
    private readonly Func<string, bool> _hasNestedPrefix;
    private Snapshot _snapshot = new(1, ImmutableDictionary<string, ImmutableSortedDictionary<string, StoredEntry>>.Empty);
    private long _compacted;
    private WriteStatements? _statements;

    public ObjectStore(IOptions<StoreOptions> options, StoreKeyResolver keys)
    {
        _options = options.Value;
        _resourceOfKey = keys.ResourcePrefixOf;
        _hasNestedPrefix = keys.HasNestedPrefix;
        _folderLock = LockFolder(_options);
        _connection = new SqliteConnection(ConnectionString(_options));
        _connection.Open();
        Pragma(_options.InMemory ? "PRAGMA journal_mode=MEMORY;" : $"PRAGMA journal_mode=WAL; PRAGMA synchronous={(_options.SynchronousFull ? "FULL" : "NORMAL")};");
        if (_options.QuotaMegabytes > 0)
        {
            // SQLite refuses to grow the file past this many pages with SQLITE_FULL, exactly as when the disk is full.
            Pragma($"PRAGMA max_page_count = {_options.QuotaMegabytes * 1024L * 1024L / PageSize()};");
        }

        // EF Core serves only migrations of older databases and history queries; building it is left until one needs it.
        _dbOptions = new(() => new DbContextOptionsBuilder<StoreDbContext>().UseSqlite(_connection).UseModel(CompiledModel.StoreDbContextModel.Instance).Options);
        StoreSchema.Ensure(_connection, NewContext);
        Load();
        _writer = Task.Run(WriteLoopAsync);
    }

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

    private StoreDbContext NewContext() => new(_dbOptions.Value);

    /// <summary>Reads the current state into the first snapshot; plain SQL, as EF's first query compilation is slow at start-up.</summary>
    private void Load()
    {
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT current, compacted FROM revision WHERE id = 1";
            using var reader = command.ExecuteReader();
            reader.Read();
            _compacted = reader.GetInt64(1);
            _snapshot = new Snapshot(reader.GetInt64(0), ImmutableDictionary<string, ImmutableSortedDictionary<string, StoredEntry>>.Empty);
        }

        var byResource = new Dictionary<string, ImmutableSortedDictionary<string, StoredEntry>.Builder>(StringComparer.Ordinal);
        using (var command = _connection.CreateCommand())
        {
            // In key order, so each resource's objects come together and its prefix is looked up once per run of keys.
            command.CommandText = "SELECT key, revision, body FROM objects ORDER BY key";
            using var reader = command.ExecuteReader();
            string? resource = null;
            var nested = false;
            ImmutableSortedDictionary<string, StoredEntry>.Builder? builder = null;
            while (reader.Read())
            {
                var entry = new StoredEntry(reader.GetString(0), reader.GetInt64(1), reader.GetFieldValue<byte[]>(2));
                if (resource is null || !entry.Key.StartsWith(resource, StringComparison.Ordinal) || (nested && _resourceOfKey(entry.Key) != resource))
                {
                    resource = _resourceOfKey(entry.Key);
                    nested = _hasNestedPrefix(resource);
                    if (!byResource.TryGetValue(resource, out builder))
                    {
                        builder = ImmutableSortedDictionary.CreateBuilder<string, StoredEntry>(StringComparer.Ordinal);
                        byResource[resource] = builder;
                    }
                }

                builder![entry.Key] = entry;
            }
        }

        _snapshot = new Snapshot(_snapshot.Revision, byResource.ToImmutableDictionary(p => p.Key, p => p.Value.ToImmutable(), StringComparer.Ordinal));
    }

    public Snapshot Current => Volatile.Read(ref _snapshot);

    public long CompactedRevision => Volatile.Read(ref _compacted);

    /// <summary>
    /// Atomic read-modify-write of one key. <paramref name="decide"/> runs on the writer against the latest state
    /// (including the writes batched before it); what it returns is committed with its batch (or only computed, for dry runs).
    /// </summary>
    public async Task<StoreChange?> MutateAsync(string key, Decide decide, bool dryRun, CancellationToken cancellationToken)
    {
        var resource = _resourceOfKey(key);
        if (dryRun)
        {
            await _lock.WaitAsync(cancellationToken);
            try
            {
                var snapshot = _snapshot;
                return Change(key, snapshot.Get(resource, key), decide(snapshot.Get(resource, key), snapshot.Revision + 1), snapshot.Revision + 1);
            }
            finally
            {
                _lock.Release();
            }
        }

        var changes = await EnqueueAsync(snapshot =>
        {
            var current = snapshot.Get(resource, key);
            return [(key, decide(current, snapshot.Revision + 1))];
        }, cancellationToken);
        return changes.Count == 0 ? null : changes[0];
    }

    private static StoreChange? Change(string key, StoredEntry? current, Mutation mutation, long revision) => mutation switch
    {
        Mutation.Put put => new StoreChange(revision, current is null ? ChangeType.Added : ChangeType.Modified, key, put.Body, current?.Body),
        Mutation.Delete delete when current is not null => new StoreChange(revision, ChangeType.Deleted, key, delete.FinalBody, current.Body),
        _ => null,
    };

    /// <summary>
    /// Atomic read-modify-write of several keys: <paramref name="decide"/> runs on the writer against the latest state
    /// and names what to write; all of it commits in one transaction, each change with the next revision, or nothing does.
    /// </summary>
    public Task<IReadOnlyList<StoreChange>> MutateManyAsync(Func<Snapshot, IReadOnlyList<(string Key, Mutation Mutation)>> decide,
        CancellationToken cancellationToken) => EnqueueAsync(decide, cancellationToken);

    /// <summary>A write waiting for the writer: what it decides, and who waits for its changes.</summary>
    private sealed class PendingWrite(Func<Snapshot, IReadOnlyList<(string Key, Mutation Mutation)>> decide, CancellationToken cancellation)
    {
        public Func<Snapshot, IReadOnlyList<(string Key, Mutation Mutation)>> Decide { get; } = decide;
        public CancellationToken Cancellation { get; } = cancellation;
        public TaskCompletionSource<IReadOnlyList<StoreChange>> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private Task<IReadOnlyList<StoreChange>> EnqueueAsync(Func<Snapshot, IReadOnlyList<(string Key, Mutation Mutation)>> decide, CancellationToken cancellationToken)
    {
        var write = new PendingWrite(decide, cancellationToken);
        ObjectDisposedException.ThrowIf(!_queue.Writer.TryWrite(write), this);
        return write.Done.Task;
    }

    /// <summary>
    /// Group commit: the writer takes every write queued meanwhile (up to <see cref="MaxBatch"/>), decides each in order
    /// against the state the ones before it leave, commits them in one SQLite transaction, then publishes the new
    /// snapshot and every change in revision order and acknowledges each write. A write whose decision throws fails
    /// alone; a failed commit fails only the writes of its batch.
    /// </summary>
    private async Task WriteLoopAsync()
    {
        var batch = new List<PendingWrite>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var write))
            {
                batch.Add(write);
            }

            await _lock.WaitAsync();
            try
            {
                await CommitBatchAsync(batch);
            }
            finally
            {
                _lock.Release();
            }
        }
    }

    private const int MaxBatch = 256;

    private async Task CommitBatchAsync(List<PendingWrite> batch)
    {
        var start = _snapshot;
        var working = start;
        var decided = new List<(PendingWrite Write, List<StoreChange> Changes)>(batch.Count);
        var all = new List<StoreChange>();
        foreach (var write in batch)
        {
            if (write.Cancellation.IsCancellationRequested)
            {
                write.Done.TrySetCanceled(write.Cancellation);
                continue;
            }

            try
            {
                var next = working;
                var changes = new List<StoreChange>();
                foreach (var (key, mutation) in write.Decide(working))
                {
                    var resource = _resourceOfKey(key);
                    if (Change(key, next.Get(resource, key), mutation, next.Revision + 1) is not { } change)
                    {
                        continue;
                    }

                    changes.Add(change);
                    next = next.With(resource, key, change.Type == ChangeType.Deleted ? null : new StoredEntry(key, change.Revision, change.Body), change.Revision);
                }

                working = next;
                decided.Add((write, changes));
                all.AddRange(changes);
            }
#pragma warning disable CA1031 // The decision's error (a conflict, a validation) belongs to its caller, not to the batch.
            catch (Exception error)
#pragma warning restore CA1031
            {
                write.Done.TrySetException(error);
            }
        }

        if (all.Count > 0)
        {
            try
            {
                await PersistAsync(all, CancellationToken.None);
            }
#pragma warning disable CA1031 // Every write of the batch is told why it was not committed.
            catch (Exception error)
#pragma warning restore CA1031
            {
                var failure = new StoreCommitException(error is SqliteException { SqliteErrorCode: SQLitePCL.raw.SQLITE_FULL }
                    ? StoreCommitException.SpaceExceeded : error.Message, error);
                foreach (var (write, _) in decided)
                {
                    write.Done.TrySetException(failure);
                }

                return;
            }

            Volatile.Write(ref _snapshot, working);
            foreach (var change in all)
            {
                Publish(change);
            }

            if (start.Revision / 1000 != working.Revision / 1000)
            {
                try
                {
                    await CompactLockedAsync(working.Revision - _options.RetainedRevisions, CancellationToken.None);
                }
                catch (SqliteException)
                {
                    // The writes are committed and published; compaction only tidies, and the next thousand retries it.
                }
            }
        }

        foreach (var (write, changes) in decided)
        {
            write.Done.TrySetResult(changes);
        }
    }

    /// <summary>
    /// Commits a batch of changes: for each, the object row and the change-log row, then the revision counter, in one transaction.
    /// This is the hot path of every write, so it uses prepared SQL on the store's connection rather than EF change tracking.
    /// </summary>
    private async Task PersistAsync(IReadOnlyList<StoreChange> changes, CancellationToken cancellationToken)
    {
        await using var transaction = (SqliteTransaction)await _connection.BeginTransactionAsync(cancellationToken);
        var statements = _statements ??= new WriteStatements(_connection);
        foreach (var change in changes)
        {
            statements.Bind(transaction, change);
            if (change.Type == ChangeType.Deleted)
            {
                await statements.DeleteObject.ExecuteNonQueryAsync(cancellationToken);
            }
            else
            {
                await statements.UpsertObject.ExecuteNonQueryAsync(cancellationToken);
            }

            await statements.AppendChange.ExecuteNonQueryAsync(cancellationToken);
            if (ReferenceEquals(change, changes[^1]))
            {
                await statements.SetRevision.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        await transaction.CommitAsync(cancellationToken);
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

    /// <summary>Hands a change to every watcher; one whose bounded buffer is full is closed and dropped instead of growing.</summary>
    private void Publish(StoreChange change)
    {
        lock (_watchers)
        {
            for (var i = _watchers.Count - 1; i >= 0; i--)
            {
                if (!_watchers[i].Writer.TryWrite(change))
                {
                    _watchers[i].Writer.TryComplete();
                    _watchers.RemoveAt(i);
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer;
        lock (_watchers)
        {
            foreach (var watcher in _watchers)
            {
                watcher.Writer.TryComplete();
            }
        }

        await _connection.DisposeAsync();
        if (_folderLock is not null)
        {
            await _folderLock.DisposeAsync();
        }

        _lock.Dispose();
    }
}

