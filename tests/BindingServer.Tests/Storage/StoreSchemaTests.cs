using BindingServer.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace BindingServer.Tests.Storage;

[Trait("Category", "Fast")]
public sealed class StoreSchemaTests
{
    private static StoreDbContext Context(SqliteConnection connection) =>
        new(new DbContextOptionsBuilder<StoreDbContext>().UseSqlite(connection).Options);

    [Fact]
    public void The_embedded_schema_is_exactly_what_the_ef_migrations_generate()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        using var db = Context(connection);

        var generated = db.GetService<IMigrator>().GenerateScript();

        Assert.Equal(Normalize(generated), Normalize(StoreSchema.Script()));
    }

    [Fact]
    public void A_database_made_from_the_embedded_schema_has_no_pending_migrations()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        StoreSchema.Ensure(connection, () => Context(connection));

        using var db = Context(connection);
        Assert.Empty(db.Database.GetPendingMigrations());
        Assert.Equal(StoreSchema.LatestMigration, db.Database.GetAppliedMigrations().Last());
    }

    private static string Normalize(string sql) =>
        string.Join("\n", sql.TrimStart('\uFEFF').Replace("\r\n", "\n").Split('\n').Select(l => l.TrimEnd())).Trim();
}
