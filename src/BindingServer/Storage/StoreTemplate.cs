using Microsoft.Data.Sqlite;

namespace BindingServer.Storage;

/// <summary>
/// A finished in-memory database that new in-memory stores start as a copy of, page for page (SQLite's online
/// backup), instead of creating the schema and writing their start state object by object. Tenants start from one:
/// copying their start state costs a fraction of a millisecond, writing it through the create path tens.
/// </summary>
public sealed class StoreTemplate : IDisposable
{
    private readonly SqliteConnection _database = new("Data Source=:memory:");
    private readonly Lock _gate = new();

    private StoreTemplate()
    {
        _database.Open();
    }

    /// <summary>Takes a copy of an idle store's database; the store goes on as it was.</summary>
    public static StoreTemplate From(ObjectStore store)
    {
        var template = new StoreTemplate();
        store.CopyDatabaseTo(template._database);
        return template;
    }

    /// <summary>Makes <paramref name="target"/> (a new, empty in-memory database) a copy of the template.</summary>
    internal void CopyTo(SqliteConnection target)
    {
        // One backup at a time reads the template's connection.
        lock (_gate)
        {
            _database.BackupDatabase(target);
        }
    }

    public void Dispose() => _database.Dispose();
}
