using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace BindingServer.Storage;

public sealed record StoredEntry(string Key, long Revision, byte[] Body);

public enum ChangeType
{
    Added,
    Modified,
    Deleted,
}

/// <summary>A committed change; <c>Previous</c> is the body it replaced, when known (live changes carry it).</summary>
public sealed record StoreChange(long Revision, ChangeType Type, string Key, byte[] Body, byte[]? Previous = null);

/// <summary>What a read-modify-write decided to do with the object under its key.</summary>
public abstract record Mutation
{
    public static readonly Mutation None = new NoChange();

    public sealed record NoChange : Mutation;

    public sealed record Put(byte[] Body) : Mutation;

    public sealed record Delete(byte[] FinalBody) : Mutation;
}

/// <summary>Decides a write given the current entry (null when absent) and the revision the write will take.</summary>
public delegate Mutation Decide(StoredEntry? current, long nextRevision);

/// <summary>An immutable view of every object at one revision; lists and gets read it without locks.</summary>
public sealed class Snapshot(long revision, ImmutableDictionary<string, ImmutableSortedDictionary<string, StoredEntry>> byResource)
{
    public long Revision { get; } = revision;

    public StoredEntry? Get(string resourcePrefix, string key) =>
        byResource.TryGetValue(resourcePrefix, out var objects) && objects.TryGetValue(key, out var entry) ? entry : null;

    /// <summary>Objects of one resource whose key starts with <paramref name="keyPrefix"/>, in key order.</summary>
    public IEnumerable<StoredEntry> List(string resourcePrefix, string keyPrefix) =>
        !byResource.TryGetValue(resourcePrefix, out var objects) ? []
        : keyPrefix == resourcePrefix ? objects.Values
        : Range(resourcePrefix, keyPrefix, keyPrefix);

    /// <summary>
    /// The objects of one resource whose key starts with <paramref name="keyPrefix"/> and is not before
    /// <paramref name="startKey"/>, in key order, as a list that is found by binary search and read on demand, so a
    /// page costs the same however many objects the resource holds.
    /// </summary>
    public KeyRange Range(string resourcePrefix, string keyPrefix, string startKey)
    {
        if (!byResource.TryGetValue(resourcePrefix, out var objects))
        {
            return KeyRange.Empty;
        }

        var keys = SortedKeys.GetValue(objects, static o => [.. o.Keys]);
        var from = LowerBound(keys, string.CompareOrdinal(startKey, keyPrefix) > 0 ? startKey : keyPrefix);
        var to = LowerBound(keys, keyPrefix + char.MaxValue);
        return new KeyRange(objects, keys, from, Math.Max(from, to));
    }

    /// <summary>Each resource's keys in order, computed once per state of that resource (its dictionary is immutable).</summary>
    private static readonly ConditionalWeakTable<ImmutableSortedDictionary<string, StoredEntry>, string[]> SortedKeys = new();

    private static int LowerBound(string[] keys, string key)
    {
        int low = 0, high = keys.Length;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (string.CompareOrdinal(keys[middle], key) < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    /// <summary>Every object of one resource: the same instance until one of them changes, so an index built from it can be reused.</summary>
    public IReadOnlyDictionary<string, StoredEntry>? Objects(string resourcePrefix) => byResource.GetValueOrDefault(resourcePrefix);

    internal Snapshot With(string resourcePrefix, string key, StoredEntry? entry, long revision)
    {
        var objects = byResource.GetValueOrDefault(resourcePrefix) ?? ImmutableSortedDictionary.Create<string, StoredEntry>(StringComparer.Ordinal);
        objects = entry is null ? objects.Remove(key) : objects.SetItem(key, entry);
        return new Snapshot(revision, byResource.SetItem(resourcePrefix, objects));
    }
}

/// <summary>A run of consecutive keys of one resource; each object is looked up when it is read.</summary>
public sealed class KeyRange : IReadOnlyList<StoredEntry>
{
    public static readonly KeyRange Empty = new(ImmutableSortedDictionary<string, StoredEntry>.Empty, [], 0, 0);

    private readonly ImmutableSortedDictionary<string, StoredEntry> _objects;
    private readonly string[] _keys;
    private readonly int _from;

    internal KeyRange(ImmutableSortedDictionary<string, StoredEntry> objects, string[] keys, int from, int to)
    {
        _objects = objects;
        _keys = keys;
        _from = from;
        Count = to - from;
    }

    public int Count { get; }

    public StoredEntry this[int index] => (uint)index < (uint)Count ? _objects[_keys[_from + index]] : throw new ArgumentOutOfRangeException(nameof(index));

    public IEnumerator<StoredEntry> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>A watch's view of the store: the state it started from, the logged backlog, then live changes.</summary>
public sealed class WatchFeed(Snapshot start, IReadOnlyList<StoreChange> backlog, ChannelReader<StoreChange> live, Action unsubscribe) : IDisposable
{
    public Snapshot Start { get; } = start;
    public IReadOnlyList<StoreChange> Backlog { get; } = backlog;
    public ChannelReader<StoreChange> Live { get; } = live;

    public void Dispose() => unsubscribe();
}

/// <summary>The store cannot be opened: its folder is another process's, or its database is unreadable. The message says which.</summary>
public sealed class StoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A batch of writes could not be committed (the disk or the quota is full, an I/O error): nothing of it was stored or
/// published. The message is what the API answers, as the apiserver passes on etcd's error.
/// </summary>
public sealed class StoreCommitException(string message, Exception inner) : Exception(message, inner)
{
    /// <summary>etcd's words for a full backend, which client code and people searching for it know.</summary>
    public const string SpaceExceeded = "etcdserver: mvcc: database space exceeded";
}

/// <summary>Maps a storage key to the key prefix of its resource (<c>/group/plural/</c>).</summary>
public sealed class StoreKeyResolver(IEnumerable<string> resourcePrefixes)
{
    private readonly string[] _prefixes = resourcePrefixes.OrderByDescending(p => p.Length).ToArray();

    /// <summary>Whether another resource's prefix starts with this one (so a key under it may belong to that other resource).</summary>
    public bool HasNestedPrefix(string prefix) => _prefixes.Any(p => p.Length > prefix.Length && p.StartsWith(prefix, StringComparison.Ordinal));

    public string ResourcePrefixOf(string key) =>
        _prefixes.FirstOrDefault(p => key.StartsWith(p, StringComparison.Ordinal))
        ?? throw new InvalidOperationException($"no resource is registered for key {key}");
}
