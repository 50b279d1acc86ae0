using System.Text;
using BindingServer.Kubernetes.Json;
using Microsoft.Data.Sqlite;

namespace BindingServer.Storage;

/// <summary>
/// A finished in-memory database that new in-memory stores start as a copy of, page for page (SQLite's online
/// backup), instead of creating the schema and writing their start state object by object. Tenants start from one:
/// copying their start state and making it their own costs a few milliseconds, writing it through the create paths tens.
/// </summary>
/// <remarks>
/// Each copy is made a cluster of its own as it is taken: every uid in it is replaced by a fresh one (the same new uid
/// wherever the old one stands, in the objects and in the change log), and the times the template was written at
/// become the copy's own, so a tenant's system namespaces are as old as the tenant, as a new cluster's are.
/// </remarks>
public sealed class StoreTemplate : IDisposable
{
    private static readonly byte[] UidField = "\"uid\":\""u8.ToArray();
    private const int UidLength = 36;

    private readonly SqliteConnection _database = new("Data Source=:memory:");
    private readonly Lock _gate = new();
    private readonly TimeProvider _clock;
    private readonly byte[][] _writtenAt;

    private StoreTemplate(TimeProvider clock, IEnumerable<string> writtenAt)
    {
        _clock = clock;
        _writtenAt = [.. writtenAt.Select(time => Encoding.UTF8.GetBytes($"\"{time}\""))];
        _database.Open();
    }

    /// <summary>
    /// Takes a copy of an idle store's database, written since <paramref name="since"/> (by <paramref name="clock"/>);
    /// the store goes on as it was.
    /// </summary>
    public static StoreTemplate From(ObjectStore store, TimeProvider clock, DateTimeOffset since)
    {
        // Times are stored in whole seconds: every second from the first write to now may stand in the bodies.
        var seconds = new List<string>();
        for (var second = since.AddTicks(-(since.Ticks % TimeSpan.TicksPerSecond)); second <= clock.GetUtcNow(); second = second.AddSeconds(1))
        {
            seconds.Add(KubeTimeConverter.ToText(second));
        }

        var template = new StoreTemplate(clock, seconds);
        store.CopyDatabaseTo(template._database);
        return template;
    }

    /// <summary>Makes <paramref name="target"/> (a new, empty in-memory database) a copy of the template, with its own uids and times.</summary>
    internal void CopyTo(SqliteConnection target)
    {
        // One backup at a time reads the template's connection.
        lock (_gate)
        {
            _database.BackupDatabase(target);
        }

        var now = Encoding.UTF8.GetBytes(KubeTimeConverter.ToText(_clock.GetUtcNow()));
        var uids = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        target.CreateFunction("bindingserver_own", (byte[] body) => Own(body, uids, now));
        using var command = target.CreateCommand();
        // A change that made an object as it is now holds the object's body: that is copied, only the rest rewritten.
        command.CommandText = """
            UPDATE objects SET body = bindingserver_own(body);
            UPDATE changes SET body = coalesce(
                (SELECT objects.body FROM objects WHERE objects.key = changes.key AND objects.revision = changes.revision),
                bindingserver_own(body));
            """;
        command.ExecuteNonQuery();
    }

    /// <summary>The body with each uid replaced by the copy's own for it, and the template's times by <paramref name="now"/>.</summary>
    private byte[] Own(byte[] body, Dictionary<string, byte[]> uids, byte[] now)
    {
        // Where each replacement goes, found with vectorized searches for the few needles rather than byte by byte.
        var edits = new List<(int At, int Length, byte[] With)>();
        foreach (var at in Occurrences(body, UidField))
        {
            var start = at + UidField.Length;
            if (start + UidLength <= body.Length)
            {
                var old = Encoding.UTF8.GetString(body, start, UidLength);
                if (!uids.TryGetValue(old, out var fresh))
                {
                    fresh = Encoding.UTF8.GetBytes(Guid.NewGuid().ToString());
                    uids[old] = fresh;
                }

                edits.Add((start, UidLength, fresh));
            }
        }

        foreach (var time in _writtenAt)
        {
            edits.AddRange(Occurrences(body, time).Select(at => (at + 1, time.Length - 2, now)));
        }

        if (edits.Count == 0)
        {
            return body;
        }

        edits.Sort((a, b) => a.At.CompareTo(b.At));
        using var result = new MemoryStream(body.Length + 64);
        var copied = 0;
        foreach (var (at, length, with) in edits)
        {
            result.Write(body, copied, at - copied);
            result.Write(with);
            copied = at + length;
        }

        result.Write(body, copied, body.Length - copied);
        return result.ToArray();
    }

    private static IEnumerable<int> Occurrences(byte[] haystack, byte[] needle)
    {
        for (var from = 0; from < haystack.Length && haystack.AsSpan(from).IndexOf(needle) is var offset and >= 0; from += offset + needle.Length)
        {
            yield return from + offset;
        }
    }

    public void Dispose() => _database.Dispose();
}
