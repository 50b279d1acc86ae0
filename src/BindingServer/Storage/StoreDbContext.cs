using Microsoft.EntityFrameworkCore;

namespace BindingServer.Storage;

/// <summary>The current state of one object: its storage key, revision and JSON body.</summary>
public sealed class ObjectRecord
{
    public required string Key { get; set; }
    public long Revision { get; set; }
    public required byte[] Body { get; set; }
}

/// <summary>One committed change; the append-only log that watch and historical lists read.</summary>
public sealed class ChangeRecord
{
    public long Revision { get; set; }
    public required string Key { get; set; }
    public required string Type { get; set; }
    public required byte[] Body { get; set; }
}

/// <summary>The single row holding the global revision counter and the compaction watermark.</summary>
public sealed class RevisionRecord
{
    public int Id { get; set; }
    public long Current { get; set; }
    public long Compacted { get; set; }
}

/// <summary>The store's tables on SQLite; <see cref="PostgresStoreDbContext"/> is the same model on PostgreSQL, with its own migrations.</summary>
public class StoreDbContext : DbContext
{
    public StoreDbContext(DbContextOptions<StoreDbContext> options)
        : base(options)
    {
    }

    protected StoreDbContext(DbContextOptions options)
        : base(options)
    {
    }

    private const string PostgresProvider = "Npgsql.EntityFrameworkCore.PostgreSQL";

    public DbSet<ObjectRecord> Objects => Set<ObjectRecord>();
    public DbSet<ChangeRecord> Changes => Set<ChangeRecord>();
    public DbSet<RevisionRecord> Revisions => Set<RevisionRecord>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<ObjectRecord>(e =>
        {
            e.ToTable("objects");
            e.HasKey(o => o.Key);
            // Byte order, so the database lists keys in the order the snapshot ranges them (ordinal).
            e.Property(o => o.Key).HasColumnName("key").UseCollation(Database.ProviderName == PostgresProvider ? "C" : "BINARY");
            e.Property(o => o.Revision).HasColumnName("revision");
            e.Property(o => o.Body).HasColumnName("body");
        });
        modelBuilder.Entity<ChangeRecord>(e =>
        {
            e.ToTable("changes");
            e.HasKey(c => c.Revision);
            e.Property(c => c.Revision).HasColumnName("revision").ValueGeneratedNever();
            e.Property(c => c.Key).HasColumnName("key");
            e.Property(c => c.Type).HasColumnName("type");
            e.Property(c => c.Body).HasColumnName("body");
            e.HasIndex(c => new { c.Key, c.Revision });
        });
        modelBuilder.Entity<RevisionRecord>(e =>
        {
            e.ToTable("revision");
            e.HasKey(r => r.Id);
            e.Property(r => r.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(r => r.Current).HasColumnName("current");
            e.Property(r => r.Compacted).HasColumnName("compacted");
            e.HasData(new RevisionRecord { Id = 1, Current = 1, Compacted = 0 });
        });
    }
}

public sealed class PostgresStoreDbContext(DbContextOptions<PostgresStoreDbContext> options) : StoreDbContext(options);
