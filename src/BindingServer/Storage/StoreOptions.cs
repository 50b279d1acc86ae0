namespace BindingServer.Storage;

/// <summary>Configuration section <c>Store</c>.</summary>
public sealed class StoreOptions
{
    public const string Section = "Store";

    /// <summary>Keep everything in memory (nothing survives a restart); the choice for CI.</summary>
    public bool InMemory { get; set; }

    /// <summary>Folder for the SQLite file; relative paths are taken from the working directory.</summary>
    public string DataPath { get; set; } = "data";

    /// <summary>How many revisions of change log to keep for watches and paged lists before compacting.</summary>
    public int RetainedRevisions { get; set; } = 10_000;

    /// <summary>
    /// Changes a client's watch may have waiting before the server ends it for being too slow (the client then
    /// watches again from its last resourceVersion, or re-lists after a 410).
    /// </summary>
    public int WatchBufferSize { get; set; } = 10_000;

    /// <summary>
    /// SQLite's <c>synchronous=FULL</c>: every commit is on disk before it is acknowledged, so acknowledged writes
    /// survive a power loss too. Off by default (<c>NORMAL</c>): in WAL mode that already survives a crash of the
    /// process, and costs fewer disk flushes.
    /// </summary>
    public bool SynchronousFull { get; set; }

    /// <summary>
    /// The most the database may grow to, in MiB (0: no limit), as etcd's <c>--quota-backend-bytes</c>: past it a
    /// write is refused with etcd's "database space exceeded" (a 500), reads go on, and deletes and compaction make room.
    /// </summary>
    public int QuotaMegabytes { get; set; }

    /// <summary><c>Sqlite</c> (the embedded store, one process) or <c>PostgreSQL</c> (shared by several replicas).</summary>
    public string Provider { get; set; } = "Sqlite";

    /// <summary>The Npgsql connection string of the PostgreSQL store, from <c>ConnectionStrings:BindingServer</c>.</summary>
    public string ConnectionString { get; set; } = "";

    public bool UsesPostgres => string.Equals(Provider, "PostgreSQL", StringComparison.OrdinalIgnoreCase);
}
