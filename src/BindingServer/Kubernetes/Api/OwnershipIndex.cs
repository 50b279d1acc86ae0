using System.Text.Json;

namespace BindingServer.Kubernetes.Api;

/// <summary>
/// The garbage collector's view of who owns whom, kept up to date from the change feed as kube-controller-manager keeps
/// its graph: the keys of the objects naming each owner uid. Looking up an owner's dependents then costs what they are,
/// not a decode of every stored object for every deletion. Only objects with owner references are held, so a store of
/// unowned objects costs the index nothing; owners themselves are found by their references' coordinates.
/// </summary>
internal sealed class OwnershipIndex
{
    private readonly Dictionary<string, string[]> _ownersByKey = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _dependentsByOwner = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> DependentsOf(string ownerUid) =>
        _dependentsByOwner.TryGetValue(ownerUid, out var keys) ? [.. keys] : [];

    public void Put(string key, byte[] body)
    {
        Remove(key);
        var owners = Read(body);
        if (owners.Length == 0)
        {
            return;
        }

        _ownersByKey[key] = owners;
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
        if (!_ownersByKey.Remove(key, out var owners))
        {
            return;
        }

        foreach (var owner in owners)
        {
            if (_dependentsByOwner.TryGetValue(owner, out var dependents) && dependents.Remove(key) && dependents.Count == 0)
            {
                _dependentsByOwner.Remove(owner);
            }
        }
    }

    /// <summary>The uids of metadata.ownerReferences, read straight from the stored JSON.</summary>
    private static string[] Read(byte[] body)
    {
        var reader = new Utf8JsonReader(body);
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
                    if (!inOwners)
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

        return owners?.ToArray() ?? [];
    }
}
