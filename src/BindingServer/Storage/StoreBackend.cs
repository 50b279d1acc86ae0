using System.Data.Common;

namespace BindingServer.Storage;

/// <summary>
/// The database under the <see cref="ObjectStore"/>: the object rows, the change log and the revision counter, in one
/// dialect. The store keeps the snapshot, the group commit and the watchers; a backend only reads and writes rows.
/// </summary>
internal abstract class StoreBackend : IAsyncDisposable
{
    /// <summary>Whether other processes write to the same database, so the snapshot must follow their changes.</summary>
    public abstract bool Shared { get; }

    /// <summary>The revision counter and the compaction watermark.</summary>
    public abstract Task<(long Current, long Compacted)> ReadRevisionAsync(CancellationToken cancellationToken);

    /// <summary>Every object row in key order (ordinal), for the first snapshot.</summary>
    public abstract IAsyncEnumerable<StoredEntry> ReadObjectsAsync(CancellationToken cancellationToken);

    /// <summary>The change-log rows after <paramref name="revision"/>, in revision order, without their prior bodies.</summary>
    public abstract Task<List<StoreChange>> ReadChangesAsync(long revision, CancellationToken cancellationToken);

    /// <summary>
    /// Opens the transaction of one batch of writes. A shared backend also takes the database's write lock here, so the
    /// batch decides against every change committed before it, by any process.
    /// </summary>
    public abstract Task<WriteBatch> BeginAsync(CancellationToken cancellationToken);

    /// <summary>Drops change-log history up to <paramref name="revision"/> (etcd's rule: each key keeps its latest change).</summary>
    public abstract Task CompactAsync(long revision, long since, CancellationToken cancellationToken);

    /// <summary>An EF Core context for the history queries.</summary>
    public abstract StoreDbContext NewContext();

    public abstract ValueTask DisposeAsync();

    /// <summary>The SQL of compaction, the same in both dialects but for how parameters are named.</summary>
    protected static string CompactionSql(char parameter) => $"""
        DELETE FROM changes WHERE revision IN (
            SELECT c.revision FROM (SELECT DISTINCT key FROM changes WHERE revision > {parameter}since AND revision <= {parameter}revision) touched
            JOIN changes c ON c.key = touched.key AND c.revision <= {parameter}revision
            WHERE c.type = 'Deleted' OR c.revision < (SELECT MAX(m.revision) FROM changes m WHERE m.key = touched.key AND m.revision <= {parameter}revision));
        UPDATE revision SET compacted = {parameter}revision WHERE id = 1;
        """;

    protected static async Task<List<StoreChange>> ReadChangesAsync(DbCommand command, CancellationToken cancellationToken)
    {
        var changes = new List<StoreChange>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            changes.Add(new StoreChange(reader.GetInt64(0), Enum.Parse<ChangeType>(reader.GetString(2)), reader.GetString(1), reader.GetFieldValue<byte[]>(3)));
        }

        return changes;
    }
}

/// <summary>One open write transaction: the changes others committed meanwhile (shared backends), then this batch's rows.</summary>
internal abstract class WriteBatch : IAsyncDisposable
{
    /// <summary>The database's revision and watermark once the write lock is held; null when no one else writes.</summary>
    public abstract (long Current, long Compacted)? Database { get; }

    /// <summary>The changes after <paramref name="revision"/> committed by others, read inside this transaction.</summary>
    public abstract Task<List<StoreChange>> ReadChangesAsync(long revision, CancellationToken cancellationToken);

    /// <summary>Writes each change's object row and change-log row, then the revision counter, and commits.</summary>
    public abstract Task CommitAsync(IReadOnlyList<StoreChange> changes, CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();
}
