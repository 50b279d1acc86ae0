using System.Collections.Immutable;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace BindingServer.Storage;

public sealed record StoredEntry(string Key, long Revision, byte[] Body);

public enum ChangeType
{
    Added,
    Modified,
    Deleted,
}

/// <summary>A committed change; <c>Previous</c> is the body it replaced, when known (live changes carry it).</summary>
public sealed record StoreChange(long Revision, ChangeType Type, string Key, byte[] Body, byte[]? Previous = null);

/// <summary>What a read-modify-write decided to do with the object under its key.</summary>
public abstract record Mutation
{
    public static readonly Mutation None = new NoChange();

    public sealed record NoChange : Mutation;

    public sealed record Put(byte[] Body) : Mutation;

    public sealed record Delete(byte[] FinalBody) : Mutation;
}

/// <summary>Decides a write given the current entry (null when absent) and the revision the write will take.</summary>
public delegate Mutation Decide(StoredEntry? current, long nextRevision);

/// <summary>An immutable view of every object at one revision; lists and gets read it without locks.</summary>
public sealed class Snapshot(long revision, ImmutableDictionary<string, ImmutableSortedDictionary<string, StoredEntry>> byResource)
{
    public long Revision { get; } = revision;

    public StoredEntry? Get(string resourcePrefix, string key) =>
        byResource.TryGetValue(resourcePrefix, out var objects) && objects.TryGetValue(key, out var entry) ? entry : null;

    /// <summary>Objects of one resource whose key starts with <paramref name="keyPrefix"/>, in key order.</summary>
    public IEnumerable<StoredEntry> List(string resourcePrefix, string keyPrefix) =>
        byResource.TryGetValue(resourcePrefix, out var objects)
            ? objects.Values.Where(e => e.Key.StartsWith(keyPrefix, StringComparison.Ordinal))
            : [];

    /// <summary>Every object of one resource: the same instance until one of them changes, so an index built from it can be reused.</summary>
    public IReadOnlyDictionary<string, StoredEntry>? Objects(string resourcePrefix) => byResource.GetValueOrDefault(resourcePrefix);

    internal Snapshot With(string resourcePrefix, string key, StoredEntry? entry, long revision)
    {
        var objects = byResource.GetValueOrDefault(resourcePrefix) ?? ImmutableSortedDictionary.Create<string, StoredEntry>(StringComparer.Ordinal);
        objects = entry is null ? objects.Remove(key) : objects.SetItem(key, entry);
        return new Snapshot(revision, byResource.SetItem(resourcePrefix, objects));
    }
}

/// <summary>
/// The revisioned object store. One writer at a time (a process-wide lock) stamps each committed write with the
/// next global revision, writes the object row and its change-log row in one transaction, then publishes the
/// new snapshot and the change to watchers. Reads of the current state never touch SQLite.
/// </summary>
public sealed class ObjectStore : IAsyncDisposable
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly SqliteConnection _connection;
    private readonly DbContextOptions<StoreDbContext> _dbOptions;
    private readonly StoreOptions _options;
    private readonly List<Channel<StoreChange>> _watchers = [];
    private readonly Func<string, string> _resourceOfKey;
    private Snapshot _snapshot = new(1, ImmutableDictionary<string, ImmutableSortedDictionary<string, StoredEntry>>.Empty);
    private long _compacted;
    private WriteStatements? _statements;

    public ObjectStore(IOptions<StoreOptions> options, StoreKeyResolver keys)
    {
        _options = options.Value;
        _resourceOfKey = keys.ResourcePrefixOf;
        _connection = new SqliteConnection(ConnectionString(_options));
        _connection.Open();
        Pragma(_options.InMemory ? "PRAGMA journal_mode=MEMORY;" : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
        _dbOptions = new DbContextOptionsBuilder<StoreDbContext>().UseSqlite(_connection).UseModel(CompiledModel.StoreDbContextModel.Instance).Options;
        StoreSchema.Ensure(_connection, NewContext);
        Load();
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

    private StoreDbContext NewContext() => new(_dbOptions);

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
            command.CommandText = "SELECT key, revision, body FROM objects";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var entry = new StoredEntry(reader.GetString(0), reader.GetInt64(1), (byte[])reader.GetValue(2));
                var resource = _resourceOfKey(entry.Key);
                if (!byResource.TryGetValue(resource, out var builder))
                {
                    builder = ImmutableSortedDictionary.CreateBuilder<string, StoredEntry>(StringComparer.Ordinal);
                    byResource[resource] = builder;
                }

                builder[entry.Key] = entry;
            }
        }

        _snapshot = new Snapshot(_snapshot.Revision, byResource.ToImmutableDictionary(p => p.Key, p => p.Value.ToImmutable(), StringComparer.Ordinal));
    }

    public Snapshot Current => Volatile.Read(ref _snapshot);

    public long CompactedRevision => Volatile.Read(ref _compacted);

    /// <summary>
    /// Atomic read-modify-write of one key. <paramref name="decide"/> runs under the write lock against the
    /// latest committed state; what it returns is committed in one transaction (or only computed, for dry runs).
    /// </summary>
    public async Task<StoreChange?> MutateAsync(string key, Decide decide, bool dryRun, CancellationToken cancellationToken)
    {
        var resource = _resourceOfKey(key);
        await _lock.WaitAsync(cancellationToken);
        try
        {
            var snapshot = _snapshot;
            var current = snapshot.Get(resource, key);
            var revision = snapshot.Revision + 1;
            var mutation = decide(current, revision);
            StoreChange change;
            switch (mutation)
            {
                case Mutation.Put put:
                    change = new StoreChange(revision, current is null ? ChangeType.Added : ChangeType.Modified, key, put.Body, current?.Body);
                    break;
                case Mutation.Delete delete when current is not null:
                    change = new StoreChange(revision, ChangeType.Deleted, key, delete.FinalBody, current.Body);
                    break;
                default:
                    return null;
            }

            if (dryRun)
            {
                return change;
            }

            await PersistAsync([change], cancellationToken);
            var entry = change.Type == ChangeType.Deleted ? null : new StoredEntry(key, revision, change.Body);
            Volatile.Write(ref _snapshot, snapshot.With(resource, key, entry, revision));
            Publish(change);
            if (revision % 1000 == 0)
            {
                await CompactLockedAsync(revision - _options.RetainedRevisions, CancellationToken.None);
            }

            return change;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// Atomic read-modify-write of several keys: <paramref name="decide"/> runs under the write lock against the
    /// latest committed state and names what to write; all of it commits in one transaction, each change with the
    /// next revision, or nothing does.
    /// </summary>
    public async Task<IReadOnlyList<StoreChange>> MutateManyAsync(Func<Snapshot, IReadOnlyList<(string Key, Mutation Mutation)>> decide,
        CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            var snapshot = _snapshot;
            var next = snapshot;
            var changes = new List<StoreChange>();
            foreach (var (key, mutation) in decide(snapshot))
            {
                var resource = _resourceOfKey(key);
                var current = next.Get(resource, key);
                var revision = next.Revision + 1;
                StoreChange? change = mutation switch
                {
                    Mutation.Put put => new StoreChange(revision, current is null ? ChangeType.Added : ChangeType.Modified, key, put.Body, current?.Body),
                    Mutation.Delete delete when current is not null => new StoreChange(revision, ChangeType.Deleted, key, delete.FinalBody, current.Body),
                    _ => null,
                };
                if (change is null)
                {
                    continue;
                }

                changes.Add(change);
                next = next.With(resource, key, change.Type == ChangeType.Deleted ? null : new StoredEntry(key, revision, change.Body), revision);
            }

            if (changes.Count == 0)
            {
                return changes;
            }

            await PersistAsync(changes, cancellationToken);
            Volatile.Write(ref _snapshot, next);
            foreach (var change in changes)
            {
                Publish(change);
            }

            if (snapshot.Revision / 1000 != next.Revision / 1000)
            {
                await CompactLockedAsync(next.Revision - _options.RetainedRevisions, CancellationToken.None);
            }

            return changes;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// Commits one change: the object row, the change-log row and the revision counter in one transaction.
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
            await statements.SetRevision.ExecuteNonQueryAsync(cancellationToken);
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

    private void Publish(StoreChange change)
    {
        lock (_watchers)
        {
            foreach (var watcher in _watchers)
            {
                watcher.Writer.TryWrite(change);
            }
        }
    }

    /// <summary>
    /// Starts following changes after <paramref name="afterRevision"/>: returns the logged changes already
    /// committed and a channel for the rest, with no gap and no overlap between them.
    /// Null when that revision has been compacted away.
    /// </summary>
    public async Task<WatchFeed?> FollowAsync(long afterRevision, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (afterRevision < _compacted)
            {
                return null;
            }

            await using var db = NewContext();
            var backlog = await db.Changes.AsNoTracking().Where(c => c.Revision > afterRevision).OrderBy(c => c.Revision)
                .Select(c => new { c.Revision, c.Type, c.Key, c.Body })
                .ToListAsync(cancellationToken);
            return Subscribe(_snapshot, backlog.Select(c => new StoreChange(c.Revision, Enum.Parse<ChangeType>(c.Type), c.Key, c.Body)).ToList());
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Starts following changes after the current snapshot, which is returned for the initial state.</summary>
    public async Task<WatchFeed> FollowFromNowAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            return Subscribe(_snapshot, []);
        }
        finally
        {
            _lock.Release();
        }
    }

    private WatchFeed Subscribe(Snapshot snapshot, IReadOnlyList<StoreChange> backlog)
    {
        var channel = Channel.CreateUnbounded<StoreChange>(new UnboundedChannelOptions { SingleReader = true });
        lock (_watchers)
        {
            _watchers.Add(channel);
        }

        return new WatchFeed(snapshot, backlog, channel.Reader, () =>
        {
            lock (_watchers)
            {
                _watchers.Remove(channel);
            }
        });
    }

    /// <summary>
    /// The objects of one resource as they were at <paramref name="revision"/>, rebuilt from the change log
    /// (for continue tokens and exact-revision lists). Null when that revision has been compacted away.
    /// </summary>
    public async Task<IReadOnlyList<StoredEntry>?> ListAtAsync(string resourcePrefix, long revision, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (revision < _compacted)
            {
                return null;
            }

            var current = _snapshot;
            if (revision >= current.Revision)
            {
                return current.List(resourcePrefix, resourcePrefix).ToList();
            }

            await using var db = NewContext();
            var changedSince = await db.Changes.AsNoTracking()
                .Where(c => c.Revision > revision && c.Key.StartsWith(resourcePrefix))
                .Select(c => c.Key).Distinct().ToListAsync(cancellationToken);
            var changed = changedSince.ToHashSet(StringComparer.Ordinal);
            var result = current.List(resourcePrefix, resourcePrefix).Where(e => !changed.Contains(e.Key)).ToList();
            foreach (var key in changed)
            {
                var before = await db.Changes.AsNoTracking().Where(c => c.Key == key && c.Revision <= revision)
                    .OrderByDescending(c => c.Revision).FirstOrDefaultAsync(cancellationToken);
                if (before is not null && before.Type != nameof(ChangeType.Deleted))
                {
                    result.Add(new StoredEntry(key, before.Revision, before.Body));
                }
            }

            result.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
            return result;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// Drops change-log history up to <paramref name="revision"/>, keeping the latest change of each live key
    /// so that lists at later revisions can still be rebuilt (etcd's compaction rule).
    /// </summary>
    public async Task CompactAsync(long revision, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            await CompactLockedAsync(revision, cancellationToken);
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task CompactLockedAsync(long revision, CancellationToken cancellationToken)
    {
        revision = Math.Min(revision, _snapshot.Revision);
        if (revision <= _compacted)
        {
            return;
        }

        await using var db = NewContext();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Database.ExecuteSqlAsync(
            $"DELETE FROM changes WHERE revision <= {revision} AND (type = 'Deleted' OR revision NOT IN (SELECT MAX(revision) FROM changes WHERE revision <= {revision} GROUP BY key))",
            cancellationToken);
        await db.Revisions.Where(r => r.Id == 1).ExecuteUpdateAsync(s => s.SetProperty(r => r.Compacted, revision), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Volatile.Write(ref _compacted, revision);
    }

    public async ValueTask DisposeAsync()
    {
        lock (_watchers)
        {
            foreach (var watcher in _watchers)
            {
                watcher.Writer.TryComplete();
            }
        }

        await _connection.DisposeAsync();
        _lock.Dispose();
    }
}

/// <summary>A watch's view of the store: the state it started from, the logged backlog, then live changes.</summary>
public sealed class WatchFeed(Snapshot start, IReadOnlyList<StoreChange> backlog, ChannelReader<StoreChange> live, Action unsubscribe) : IDisposable
{
    public Snapshot Start { get; } = start;
    public IReadOnlyList<StoreChange> Backlog { get; } = backlog;
    public ChannelReader<StoreChange> Live { get; } = live;

    public void Dispose() => unsubscribe();
}

/// <summary>Maps a storage key to the key prefix of its resource (<c>/group/plural/</c>).</summary>
public sealed class StoreKeyResolver(IEnumerable<string> resourcePrefixes)
{
    private readonly string[] _prefixes = resourcePrefixes.OrderByDescending(p => p.Length).ToArray();

    public string ResourcePrefixOf(string key) =>
        _prefixes.FirstOrDefault(p => key.StartsWith(p, StringComparison.Ordinal))
        ?? throw new InvalidOperationException($"no resource is registered for key {key}");
}
