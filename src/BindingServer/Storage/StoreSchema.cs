using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace BindingServer.Storage;

/// <summary>
/// Applies the EF Core migrations at start. A new database (always the case in memory) gets the SQL those
/// migrations generate, embedded at build time, because EF's runtime migrator costs about half a second of
/// start-up; a database that is behind goes through <c>Database.Migrate()</c>. A test keeps the embedded SQL
/// equal to what EF generates.
/// </summary>
public static class StoreSchema
{
    /// <summary>
    /// The newest migration: the last one the embedded script records (a test keeps that script equal to EF's), read
    /// there because finding the migration types by reflection cost ~20 ms of every start.
    /// </summary>
    public static string LatestMigration { get; } = LastRecordedMigration(Script());

    private static string LastRecordedMigration(string script)
    {
        const string Values = "VALUES ('";
        var start = script.LastIndexOf(Values, StringComparison.Ordinal) + Values.Length;
        return script[start..script.IndexOf('\'', start)];
    }

    public static string Script()
    {
        using var stream = typeof(StoreSchema).Assembly.GetManifestResourceStream("BindingServer.schema.sql")!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static void Ensure(SqliteConnection connection, Func<StoreDbContext> newContext)
    {
        var applied = AppliedMigrations(connection);
        if (applied.Count == 0 && !HasTables(connection))
        {
            using var command = connection.CreateCommand();
            command.CommandText = Script();
            command.ExecuteNonQuery();
            return;
        }

        if (!applied.Contains(LatestMigration))
        {
            using var db = newContext();
            db.Database.Migrate();
        }
    }

    private static HashSet<string> AppliedMigrations(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '__EFMigrationsHistory'";
        if (command.ExecuteScalar() is null)
        {
            return [];
        }

        command.CommandText = "SELECT MigrationId FROM __EFMigrationsHistory";
        using var reader = command.ExecuteReader();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    private static bool HasTables(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table'";
        return (long)command.ExecuteScalar()! > 0;
    }
}
