using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Model;

namespace BindingServer.Kubernetes.Patching;

/// <summary>
/// Sets of field paths, the unit server-side apply counts ownership in: the paths an object sets, their fieldsV1
/// form, and reading, removing and printing the field at a path. A path is its fieldsV1 segments
/// (<c>f:name</c>, <c>k:{"key":value}</c>, <c>v:value</c>) joined by newlines.
/// </summary>
public static class FieldPaths
{
    private const char Separator = '\n';
    private static readonly string[] OwnedMetadata = ["labels", "annotations", "finalizers", "ownerReferences"];

    /// <summary>Every field path set in <paramref name="obj"/>, as server-side apply counts them.</summary>
    public static HashSet<string> FieldsOf(JsonObject obj, Type type, bool withStatus = false)
    {
        var paths = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, value) in obj)
        {
            // Status is owned only through the status subresource; writes of the main resource leave it alone.
            if (name is "kind" or "apiVersion" || (name == "status" && !withStatus) || value is null)
            {
                continue;
            }

            if (name == "metadata" && value is JsonObject metadata)
            {
                foreach (var owned in OwnedMetadata)
                {
                    if (metadata[owned] is { } field)
                    {
                        Walk(field, Schema.Field(typeof(ObjectMeta), owned), $"f:metadata{Separator}f:{owned}", paths);
                    }
                }

                continue;
            }

            Walk(value, Schema.Field(type, name), "f:" + name, paths);
        }

        return paths;
    }

    private static void Walk(JsonNode? value, FieldSchema schema, string path, HashSet<string> paths)
    {
        switch (schema.Shape)
        {
            case FieldShape.Struct when value is JsonObject obj && obj.Count > 0:
                foreach (var (name, child) in obj)
                {
                    if (child is not null)
                    {
                        Walk(child, Schema.Field(schema.Type, name), $"{path}{Separator}f:{name}", paths);
                    }
                }

                break;
            case FieldShape.Map when value is JsonObject map:
                paths.Add(path);
                foreach (var (key, _) in map)
                {
                    paths.Add($"{path}{Separator}f:{key}");
                }

                break;
            case FieldShape.KeyedList when value is JsonArray list:
                foreach (var item in list.OfType<JsonObject>())
                {
                    var itemPath = $"{path}{Separator}{KeySegment(schema.MergeKey!, item)}";
                    paths.Add(itemPath);
                    foreach (var (name, child) in item)
                    {
                        if (child is not null)
                        {
                            Walk(child, Schema.Field(schema.ElementType!, name), $"{itemPath}{Separator}f:{name}", paths);
                        }
                    }
                }

                break;
            case FieldShape.SetList when value is JsonArray set:
                paths.Add(path);
                foreach (var item in set)
                {
                    paths.Add($"{path}{Separator}v:{item?.ToJsonString()}");
                }

                break;
            default:
                paths.Add(path);
                break;
        }
    }

    private static string KeySegment(string key, JsonObject item) =>
        "k:" + new JsonObject { [key] = item[key]?.DeepClone() }.ToJsonString();

    /// <summary>The fieldsV1 trie of a path set: a leaf is <c>{}</c>, <c>"."</c> marks a node that is itself set.</summary>
    public static JsonObject ToTrie(IEnumerable<string> paths)
    {
        var root = new JsonObject();
        var set = paths.ToHashSet(StringComparer.Ordinal);
        foreach (var path in set.Order(StringComparer.Ordinal))
        {
            var node = root;
            foreach (var segment in path.Split(Separator))
            {
                if (node[segment] is not JsonObject child)
                {
                    child = new JsonObject();
                    node[segment] = child;
                }

                node = child;
            }
        }

        MarkSelf(root, "", set);
        return root;
    }

    private static void MarkSelf(JsonObject node, string path, HashSet<string> set)
    {
        foreach (var (segment, child) in node.ToList())
        {
            var childPath = path.Length == 0 ? segment : path + Separator + segment;
            if (child is JsonObject obj && obj.Count > 0)
            {
                MarkSelf(obj, childPath, set);
                if (set.Contains(childPath))
                {
                    var sorted = new JsonObject { ["."] = new JsonObject() };
                    foreach (var (k, v) in obj.ToList())
                    {
                        obj.Remove(k);
                        sorted[k] = v;
                    }

                    node[segment] = sorted;
                }
            }
        }
    }

    public static HashSet<string> FromTrie(JsonObject? trie)
    {
        var paths = new HashSet<string>(StringComparer.Ordinal);
        if (trie is not null)
        {
            Collect(trie, "", paths);
        }

        return paths;
    }

    private static void Collect(JsonObject node, string path, HashSet<string> paths)
    {
        foreach (var (segment, child) in node)
        {
            if (segment == ".")
            {
                paths.Add(path);
                continue;
            }

            var childPath = path.Length == 0 ? segment : path + Separator + segment;
            if (child is JsonObject obj && obj.Count > 0)
            {
                Collect(obj, childPath, paths);
            }
            else
            {
                paths.Add(childPath);
            }
        }
    }

    /// <summary>The value at a field path, or null when absent.</summary>
    public static JsonNode? ValueAt(JsonObject obj, string path)
    {
        JsonNode? node = obj;
        foreach (var segment in path.Split(Separator))
        {
            node = segment[0] switch
            {
                'f' => (node as JsonObject)?[segment[2..]],
                'k' => node is JsonArray list && JsonNode.Parse(segment[2..]) is JsonObject key && key.First() is var (k, v)
                    ? Schema.FindByKey(list, k, v)
                    : null,
                'v' => node is JsonArray set ? set.FirstOrDefault(item => JsonNode.DeepEquals(item, JsonNode.Parse(segment[2..]))) : null,
                _ => null,
            };
            if (node is null)
            {
                return null;
            }
        }

        return node;
    }

    /// <summary>Removes the field at a path (used when an applier stops specifying a field it alone owned).</summary>
    public static void RemoveAt(JsonObject obj, string path)
    {
        var segments = path.Split(Separator);
        var parentPath = string.Join(Separator, segments[..^1]);
        var parent = segments.Length == 1 ? obj : ValueAt(obj, parentPath);
        var last = segments[^1];
        switch (last[0])
        {
            case 'f' when parent is JsonObject o:
                o.Remove(last[2..]);
                break;
            case 'k' or 'v' when parent is JsonArray list:
                var item = ValueAt(obj, path);
                if (item is not null)
                {
                    list.Remove(item);
                }

                break;
        }
    }

    /// <summary>The path as server-side apply prints it in conflicts: <c>.metadata.labels.app</c>.</summary>
    public static string Display(string path) => string.Concat(path.Split(Separator).Select(segment => segment[0] switch
    {
        'f' => "." + segment[2..],
        'k' => "[" + string.Join(",", JsonNode.Parse(segment[2..])!.AsObject().Select(p => $"{p.Key}={p.Value?.ToJsonString()}")) + "]",
        'v' => $"[={segment[2..]}]",
        _ => segment,
    }));

    /// <summary>Whether no other path of <paramref name="paths"/> lies below <paramref name="path"/>.</summary>
    internal static bool IsLeaf(string path, HashSet<string> paths) =>
        !paths.Any(p => p.Length > path.Length && p.StartsWith(path + Separator, StringComparison.Ordinal));
}
