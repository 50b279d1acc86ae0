using System.Collections.Immutable;
using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace BindingServer.Storage;

/// <summary>
/// The revisioned object store. One writer stamps each write with the next global revision; the writes that queue up
/// while a commit runs are committed together in one transaction (group commit), then the new snapshot and the changes
/// are published to watchers in revision order. Reads of the current state come from the snapshot, not the database.
/// The rows live behind a <see cref="StoreBackend"/>: SQLite in the process, or PostgreSQL shared by several replicas,
/// whose changes each replica follows.
/// </summary>
public sealed partial class ObjectStore : IAsyncDisposable
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly Channel<PendingWrite> _queue = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private readonly StoreBackend _backend;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _follower = Task.CompletedTask;
    private readonly StoreOptions _options;
    private readonly List<Channel<StoreChange>> _watchers = [];
    private readonly Func<string, string> _resourceOfKey;
    private readonly Func<string, bool> _hasNestedPrefix;
    private Snapshot _snapshot = new(1, ImmutableDictionary<string, ImmutableSortedDictionary<string, StoredEntry>>.Empty);
    private long _compacted;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="template">For an in-memory store: the database it starts as a copy of (a tenant's start state).</param>
    public ObjectStore(IOptions<StoreOptions> options, StoreKeyResolver keys, StoreTemplate? template = null)
    {
        _options = options.Value;
        _resourceOfKey = keys.ResourcePrefixOf;
        _hasNestedPrefix = keys.HasNestedPrefix;
        _backend = _options.UsesPostgres ? new PostgresBackend(_options.ConnectionString) : new SqliteBackend(_options, template);
        try
        {
            // Start-up only, with no synchronization context to deadlock on.
            LoadAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
        catch
        {
            _backend.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }

        _writer = Task.Run(WriteLoopAsync);
        if (_backend is PostgresBackend shared)
        {
            _follower = Task.Run(() => shared.ListenAsync(CatchUpToAsync, _stopping.Token));
        }
    }

    private StoreDbContext NewContext() => _backend.NewContext();

    /// <summary>Makes <paramref name="snapshot"/> the current state and wakes whoever waits for a change.</summary>
    private void PublishSnapshot(Snapshot snapshot)
    {
        Volatile.Write(ref _snapshot, snapshot);
        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>
    /// Completes once an object of one of the resources differs from <paramref name="seen"/>: background loops wait on
    /// it rather than wake on a timer to find nothing changed (a hundred idle tenants would otherwise keep a core busy).
    /// </summary>
    public async Task ChangedAsync(Snapshot seen, IReadOnlyList<string> resourcePrefixes, CancellationToken cancellationToken)
    {
        while (true)
        {
            // The signal is read before the state: a publish between the two has completed the signal read.
            var changed = Volatile.Read(ref _changed);
            var now = Volatile.Read(ref _snapshot);

            // A resource's objects are an immutable dictionary replaced on each change to it, so identity tells.
            if (resourcePrefixes.Any(prefix => !ReferenceEquals(seen.Objects(prefix), now.Objects(prefix))))
            {
                return;
            }

            await changed.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Copies an embedded store's database, between writes, into <paramref name="target"/>.</summary>
    internal void CopyDatabaseTo(Microsoft.Data.Sqlite.SqliteConnection target)
    {
        if (_backend is not SqliteBackend sqlite)
        {
            throw new InvalidOperationException("only an embedded store can be copied");
        }

        _lock.Wait();
        try
        {
            sqlite.CopyTo(target);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Reads the database's current state into a new snapshot (at start, and when a replica fell behind compaction).</summary>
    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        var (current, compacted) = await _backend.ReadRevisionAsync(cancellationToken);
        var byResource = new Dictionary<string, ImmutableSortedDictionary<string, StoredEntry>.Builder>(StringComparer.Ordinal);
        string? resource = null;
        var nested = false;
        ImmutableSortedDictionary<string, StoredEntry>.Builder? builder = null;
        // In key order, so each resource's objects come together and its prefix is looked up once per run of keys.
        await foreach (var entry in _backend.ReadObjectsAsync(cancellationToken))
        {
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

        Volatile.Write(ref _compacted, compacted);
        PublishSnapshot(new Snapshot(current, byResource.ToImmutableDictionary(p => p.Key, p => p.Value.ToImmutable(), StringComparer.Ordinal)));
    }

    /// <summary>
    /// On a shared store, brings this replica's snapshot up to the database's revision before a read that asks for the
    /// latest state, as the apiserver's consistent reads wait for its cache; nothing to do on an embedded store.
    /// </summary>
    public async Task SyncAsync(CancellationToken cancellationToken)
    {
        if (!_backend.Shared)
        {
            return;
        }

        var (current, _) = await _backend.ReadRevisionAsync(cancellationToken);
        await CatchUpToAsync(current);
    }

    private async Task CatchUpToAsync(long revision)
    {
        if (revision != 0 && revision <= Volatile.Read(ref _snapshot).Revision)
        {
            return;
        }

        await _lock.WaitAsync(_stopping.Token);
        try
        {
            var (current, compacted) = await _backend.ReadRevisionAsync(_stopping.Token);
            if (compacted > _snapshot.Revision)
            {
                await LoadAsync(_stopping.Token);
            }
            else if (current > _snapshot.Revision)
            {
                ApplyLocked(await _backend.ReadChangesAsync(_snapshot.Revision, _stopping.Token), compacted);
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Takes in changes other replicas committed, in revision order, and passes them on to this replica's watchers.</summary>
    private void ApplyLocked(List<StoreChange> changes, long compacted)
    {
        var working = _snapshot;
        var applied = new List<StoreChange>(changes.Count);
        foreach (var change in changes.Where(c => c.Revision > working.Revision))
        {
            var resource = _resourceOfKey(change.Key);
            applied.Add(change with { Previous = working.Get(resource, change.Key)?.Body });
            working = working.With(resource, change.Key, change.Type == ChangeType.Deleted ? null : new StoredEntry(change.Key, change.Revision, change.Body), change.Revision);
        }

        PublishSnapshot(working);
        Volatile.Write(ref _compacted, Math.Max(_compacted, compacted));
        foreach (var change in applied)
        {
            Publish(change);
        }
    }

    public Snapshot Current => Volatile.Read(ref _snapshot);

    public long CompactedRevision => Volatile.Read(ref _compacted);

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
        await _stopping.CancelAsync();
        try
        {
            await _follower;
        }
#pragma warning disable CA1031 // Stopping: whatever ended the follower (the cancellation, a connection closing) changes nothing now.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        lock (_watchers)
        {
            foreach (var watcher in _watchers)
            {
                watcher.Writer.TryComplete();
            }
        }

        await _backend.DisposeAsync();
        _stopping.Dispose();
        _lock.Dispose();
    }
}
