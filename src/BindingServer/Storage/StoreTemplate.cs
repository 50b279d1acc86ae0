using System.Text;
using BindingServer.Kubernetes.Json;
using Microsoft.Data.Sqlite;

namespace BindingServer.Storage;

/// <summary>
/// A finished in-memory database that new in-memory stores start as a copy of, page for page (SQLite's online
/// backup), instead of creating the schema and writing their start state object by object. Tenants start from one:
/// copying their start state costs a fraction of a millisecond, writing it through the create paths tens.
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
        _writtenAt = [.. writtenAt.Select(Encoding.UTF8.GetBytes)];
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
        command.CommandText = "UPDATE objects SET body = bindingserver_own(body); UPDATE changes SET body = bindingserver_own(body);";
        command.ExecuteNonQuery();
    }

    /// <summary>The body with each uid replaced by the copy's own for it, and the template's times by <paramref name="now"/>.</summary>
    private byte[] Own(byte[] body, Dictionary<string, byte[]> uids, byte[] now)
    {
        var source = body.AsSpan();
        using var result = new MemoryStream(body.Length + 64);
        var copied = 0;
        var at = 0;
        while (source[at..].IndexOf((byte)'"') is var offset and >= 0)
        {
            var quote = at + offset;
            var rest = source[quote..];
            if (rest.StartsWith(UidField) && rest.Length >= UidField.Length + UidLength)
            {
                var old = Encoding.UTF8.GetString(rest.Slice(UidField.Length, UidLength));
                if (!uids.TryGetValue(old, out var fresh))
                {
                    fresh = Encoding.UTF8.GetBytes(Guid.NewGuid().ToString());
                    uids[old] = fresh;
                }

                result.Write(source[copied..(quote + UidField.Length)]);
                result.Write(fresh);
                at = copied = quote + UidField.Length + UidLength;
            }
            else if (WrittenAt(rest[1..]) is { } time)
            {
                result.Write(source[copied..(quote + 1)]);
                result.Write(now);
                at = copied = quote + 1 + time.Length;
            }
            else
            {
                at = quote + 1;
            }
        }

        result.Write(source[copied..]);
        return result.ToArray();
    }

    /// <summary>The template time <paramref name="text"/> starts with, as a whole JSON string, or null.</summary>
    private byte[]? WrittenAt(ReadOnlySpan<byte> text)
    {
        foreach (var time in _writtenAt)
        {
            if (text.StartsWith(time) && text.Length > time.Length && text[time.Length] == (byte)'"')
            {
                return time;
            }
        }

        return null;
    }

    public void Dispose() => _database.Dispose();
}
