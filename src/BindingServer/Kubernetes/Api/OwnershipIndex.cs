using System.Text.Json;

namespace BindingServer.Kubernetes.Api;

/// <summary>
/// The garbage collector's view of who owns whom, kept up to date from the change feed as kube-controller-manager keeps
/// its graph: each object's uid, and the keys of the objects naming each owner. Looking up an owner's dependents then
/// costs what they are, not a decode of every stored object for every deletion.
/// </summary>
internal sealed class OwnershipIndex
{
    private readonly Dictionary<string, string> _keyByUid = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Uid, string[] Owners)> _byKey = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _dependentsByOwner = new(StringComparer.Ordinal);

    public bool IsLive(string uid) => _keyByUid.ContainsKey(uid);

    public string? KeyOf(string uid) => _keyByUid.GetValueOrDefault(uid);

    public IReadOnlyCollection<string> DependentsOf(string ownerUid) =>
        _dependentsByOwner.TryGetValue(ownerUid, out var keys) ? [.. keys] : [];

    public void Put(string key, byte[] body)
    {
        var (uid, owners) = Read(body);
        Remove(key);
        _byKey[key] = (uid, owners);
        _keyByUid[uid] = key;
        foreach (var owner in owners)
        {
            if (!_dependentsByOwner.TryGetValue(owner, out var dependents))
            {
                _dependentsByOwner[owner] = dependents = new HashSet<string>(StringComparer.Ordinal);
            }

            dependents.Add(key);
        }
    }

    public void Remove(string key)
    {
        if (!_byKey.Remove(key, out var old))
        {
            return;
        }

        if (_keyByUid.TryGetValue(old.Uid, out var current) && current == key)
        {
            _keyByUid.Remove(old.Uid);
        }

        foreach (var owner in old.Owners)
        {
            if (_dependentsByOwner.TryGetValue(owner, out var dependents) && dependents.Remove(key) && dependents.Count == 0)
            {
                _dependentsByOwner.Remove(owner);
            }
        }
    }

    /// <summary>metadata.uid and the uids of metadata.ownerReferences, read straight from the stored JSON.</summary>
    private static (string Uid, string[] Owners) Read(byte[] body)
    {
        var reader = new Utf8JsonReader(body);
        var uid = "";
        List<string>? owners = null;
        // Depth 1: the object's fields; depth 2: metadata's; depth 4: an owner reference's.
        var inMetadata = false;
        var inOwners = false;
        while (reader.Read())
        {
            if (reader.TokenType != JsonTokenType.PropertyName)
            {
                if (reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == 1 && inMetadata)
                {
                    break;
                }

                if (reader.TokenType == JsonTokenType.EndArray && reader.CurrentDepth == 2)
                {
                    inOwners = false;
                }

                continue;
            }

            switch (reader.CurrentDepth)
            {
                case 1:
                    inMetadata = reader.ValueTextEquals("metadata"u8);
                    if (!inMetadata)
                    {
                        reader.Read();
                        reader.Skip();
                    }

                    break;
                case 2 when inMetadata:
                    inOwners = reader.ValueTextEquals("ownerReferences"u8);
                    if (reader.ValueTextEquals("uid"u8))
                    {
                        reader.Read();
                        uid = reader.GetString() ?? "";
                    }
                    else if (!inOwners)
                    {
                        reader.Read();
                        reader.Skip();
                    }

                    break;
                case 4 when inOwners && reader.ValueTextEquals("uid"u8):
                    reader.Read();
                    (owners ??= []).Add(reader.GetString() ?? "");
                    break;
            }
        }

        return (uid, owners?.ToArray() ?? []);
    }
}
