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

public sealed class StoreDbContext(DbContextOptions<StoreDbContext> options) : DbContext(options)
{
    public DbSet<ObjectRecord> Objects => Set<ObjectRecord>();
    public DbSet<ChangeRecord> Changes => Set<ChangeRecord>();
    public DbSet<RevisionRecord> Revisions => Set<RevisionRecord>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<ObjectRecord>(e =>
        {
            e.ToTable("objects");
            e.HasKey(o => o.Key);
            e.Property(o => o.Key).HasColumnName("key").UseCollation("BINARY");
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
