using Microsoft.Data.Sqlite;

namespace BindingServer.Storage;

/// <summary>
/// The store's writes: read-modify-writes of one key or several, queued to the one writer, which decides them in
/// order against the latest state and commits them in groups.
/// </summary>
public sealed partial class ObjectStore
{
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

            PublishSnapshot(working);
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
}
