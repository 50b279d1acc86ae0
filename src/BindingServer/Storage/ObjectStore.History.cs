using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace BindingServer.Storage;

/// <summary>The store's history: following changes from a revision, lists at past revisions, and compaction.</summary>
public sealed partial class ObjectStore
{
    /// <summary>
    /// Starts following changes after <paramref name="afterRevision"/>: returns the logged changes already
    /// committed and a channel for the rest, with no gap and no overlap between them.
    /// Null when that revision has been compacted away. A client's watch (<paramref name="bounded"/>) holds at most
    /// <c>Store:WatchBufferSize</c> undelivered changes: past that its channel is closed, and the watch ends as the
    /// apiserver ends an unresponsive watcher's, so the client watches again from where it was; the server's own
    /// controllers follow unbounded.
    /// </summary>
    public async Task<WatchFeed?> FollowAsync(long afterRevision, CancellationToken cancellationToken, bool bounded = false)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (afterRevision < _compacted)
            {
                return null;
            }

            await using var db = NewContext();
            // Up to the snapshot: what other replicas committed since comes live, when this one catches up.
            var upTo = _snapshot.Revision;
            var backlog = await db.Changes.AsNoTracking().Where(c => c.Revision > afterRevision && c.Revision <= upTo).OrderBy(c => c.Revision)
                .Select(c => new { c.Revision, c.Type, c.Key, c.Body })
                .ToListAsync(cancellationToken);
            return Subscribe(_snapshot, backlog.Select(c => new StoreChange(c.Revision, Enum.Parse<ChangeType>(c.Type), c.Key, c.Body)).ToList(), bounded);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Starts following changes after the current snapshot, which is returned for the initial state.</summary>
    public async Task<WatchFeed> FollowFromNowAsync(CancellationToken cancellationToken, bool bounded = false)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            return Subscribe(_snapshot, [], bounded);
        }
        finally
        {
            _lock.Release();
        }
    }

    private WatchFeed Subscribe(Snapshot snapshot, IReadOnlyList<StoreChange> backlog, bool bounded)
    {
        var channel = bounded
            ? Channel.CreateBounded<StoreChange>(new BoundedChannelOptions(_options.WatchBufferSize) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait })
            : Channel.CreateUnbounded<StoreChange>(new UnboundedChannelOptions { SingleReader = true });
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

        await _backend.CompactAsync(revision, _compacted, cancellationToken);
        Volatile.Write(ref _compacted, revision);
    }

}
