using System.Collections.Immutable;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
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

    public ObjectStore(IOptions<StoreOptions> options, StoreKeyResolver keys)
    {
        _options = options.Value;
        _resourceOfKey = keys.ResourcePrefixOf;
        _hasNestedPrefix = keys.HasNestedPrefix;
        _backend = _options.UsesPostgres ? new PostgresBackend(_options.ConnectionString) : new SqliteBackend(_options);
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
        Volatile.Write(ref _snapshot, new Snapshot(current, byResource.ToImmutableDictionary(p => p.Key, p => p.Value.ToImmutable(), StringComparer.Ordinal)));
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

        Volatile.Write(ref _snapshot, working);
        Volatile.Write(ref _compacted, Math.Max(_compacted, compacted));
        foreach (var change in applied)
        {
            Publish(change);
        }
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
        WriteBatch? transaction = null;
        try
        {
            transaction = await _backend.BeginAsync(CancellationToken.None);
            if (transaction.Database is { } database)
            {
                // Another replica committed meanwhile: decide against its changes too, as they come before this batch.
                if (database.Compacted > _snapshot.Revision)
                {
                    await LoadAsync(CancellationToken.None);
                }
                else if (database.Current > _snapshot.Revision)
                {
                    ApplyLocked(await transaction.ReadChangesAsync(_snapshot.Revision, CancellationToken.None), database.Compacted);
                }
            }
        }
#pragma warning disable CA1031 // Every write of the batch is told why it was not committed; the writer goes on with the next batch.
        catch (Exception error)
#pragma warning restore CA1031
        {
            if (transaction is not null)
            {
                await transaction.DisposeAsync();
            }

            var failure = new StoreCommitException(error.Message, error);
            batch.ForEach(write => write.Done.TrySetException(failure));
            return;
        }

        await using var _ = transaction;
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
                await transaction.CommitAsync(all, CancellationToken.None);
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
                catch (System.Data.Common.DbException)
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
