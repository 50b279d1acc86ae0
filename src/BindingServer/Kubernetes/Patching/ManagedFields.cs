using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Model;

namespace BindingServer.Kubernetes.Patching;

/// <summary>
/// Field ownership (<c>metadata.managedFields</c>) as sets of field paths. A path is its fieldsV1 segments
/// (<c>f:name</c>, <c>k:{"key":value}</c>, <c>v:value</c>) joined by newlines.
/// </summary>
public static class ManagedFields
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

    /// <summary>
    /// Records an Update by <paramref name="manager"/>: it takes ownership of every field it set or changed,
    /// and other managers lose the fields it changed or removed.
    /// </summary>
    /// <param name="subresource">The subresource written through ("status"), which keeps an entry of its own.</param>
    public static List<ManagedFieldsEntry>? RecordUpdate(List<ManagedFieldsEntry>? entries, JsonObject? old, JsonObject updated,
        Type type, string manager, string apiVersion, DateTimeOffset now, string? subresource = null)
    {
        var newFields = FieldsOf(updated, type, subresource == "status");
        var oldFields = old is null ? [] : FieldsOf(old, type, subresource == "status");
        // As structured-merge-diff compares: a map, struct or list item is changed only when it appears; a change
        // inside it changes the leaves, not the node (so its "." stays with its owner).
        var changed = newFields.Where(p => !oldFields.Contains(p) || (IsLeaf(p, newFields) && !JsonNode.DeepEquals(ValueAt(updated, p), ValueAt(old!, p))))
            .ToHashSet(StringComparer.Ordinal);
        var removed = oldFields.Where(p => !newFields.Contains(p)).ToHashSet(StringComparer.Ordinal);

        var result = new List<ManagedFieldsEntry>();
        HashSet<string>? mine = null;
        foreach (var entry in entries ?? [])
        {
            var owned = FromTrie(entry.FieldsV1);
            if (entry.Manager == manager && entry.Operation == "Update" && (entry.Subresource ?? "") == (subresource ?? ""))
            {
                mine = owned;
                continue;
            }

            var kept = owned.Where(p => !changed.Contains(p) && !removed.Contains(p)).ToList();
            if (kept.Count == owned.Count)
            {
                result.Add(entry);
            }
            else if (kept.Count > 0)
            {
                result.Add(WithFields(entry, kept));
            }
        }

        var mineNow = (mine ?? []).Union(changed).Where(newFields.Contains).ToList();
        if (mineNow.Count > 0)
        {
            var entry = new ManagedFieldsEntry
            {
                Manager = manager, Operation = "Update", ApiVersion = apiVersion, Time = now, FieldsType = "FieldsV1", Subresource = subresource,
            };
            result.Add(WithFields(entry, mineNow));
        }

        return result.Count == 0 ? null : result;
    }

    private static ManagedFieldsEntry WithFields(ManagedFieldsEntry entry, IEnumerable<string> fields) => new()
    {
        Manager = entry.Manager,
        Operation = entry.Operation,
        ApiVersion = entry.ApiVersion,
        Time = entry.Time,
        FieldsType = "FieldsV1",
        FieldsV1 = ToTrie(fields),
        Subresource = entry.Subresource,
    };

    /// <summary>
    /// Server-side apply of <paramref name="intent"/> by <paramref name="manager"/> onto <paramref name="live"/> (null
    /// when creating). Returns the merged object and its new managedFields, or throws the 409 conflict.
    /// </summary>
    /// <param name="defaultedIntent">The intent after defaulting: values are compared in that form, so a field the
    /// server defaults (a subject's apiGroup) is not a conflict when both managers left it out.</param>
    public static (JsonObject Merged, List<ManagedFieldsEntry> Entries) Apply(JsonObject? live, List<ManagedFieldsEntry>? entries,
        JsonObject intent, JsonObject defaultedIntent, Type type, string manager, string apiVersion, bool force, DateTimeOffset now,
        string? subresource = null)
    {
        var applied = FieldsOf(intent, type, subresource == "status");
        var others = new List<(ManagedFieldsEntry Entry, HashSet<string> Fields)>();
        var previous = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in entries ?? [])
        {
            if (entry.Manager == manager && entry.Operation == "Apply" && (entry.Subresource ?? "") == (subresource ?? ""))
            {
                previous = FromTrie(entry.FieldsV1);
            }
            else
            {
                others.Add((entry, FromTrie(entry.FieldsV1)));
            }
        }

        var conflicts = new List<(ManagedFieldsEntry Entry, string Path)>();
        if (live is not null)
        {
            foreach (var (entry, fields) in others)
            {
                foreach (var path in applied.Where(fields.Contains).Order(StringComparer.Ordinal))
                {
                    if (!JsonNode.DeepEquals(ValueAt(defaultedIntent, path), ValueAt(live, path)) && IsLeaf(path, applied))
                    {
                        conflicts.Add((entry, path));
                    }
                }
            }
        }

        if (conflicts.Count > 0 && !force)
        {
            throw ConflictError(conflicts);
        }

        var conflicting = conflicts.Select(c => c.Path).ToHashSet(StringComparer.Ordinal);
        var stillOwned = others.SelectMany(o => o.Fields.Where(p => !conflicting.Contains(p))).ToHashSet(StringComparer.Ordinal);
        var merged = (JsonObject)(live?.DeepClone() ?? new JsonObject());
        foreach (var path in previous.Where(p => !applied.Contains(p) && !stillOwned.Contains(p)).OrderByDescending(p => p.Length))
        {
            RemoveAt(merged, path);
        }

        Merge(merged, intent, type);

        var result = new List<ManagedFieldsEntry>();
        foreach (var (entry, fields) in others)
        {
            var kept = fields.Where(p => !conflicting.Contains(p)).ToList();
            if (kept.Count == fields.Count)
            {
                result.Add(entry);
            }
            else if (kept.Count > 0)
            {
                result.Add(WithFields(entry, kept));
            }
        }

        if (applied.Count > 0)
        {
            result.Add(WithFields(new ManagedFieldsEntry { Manager = manager, Operation = "Apply", ApiVersion = apiVersion, Time = now, Subresource = subresource },
                applied));
        }

        return (merged, result);
    }

    private static bool IsLeaf(string path, HashSet<string> paths) =>
        !paths.Any(p => p.Length > path.Length && p.StartsWith(path + Separator, StringComparison.Ordinal));

    private static KubeApiException ConflictError(List<(ManagedFieldsEntry Entry, string Path)> conflicts)
    {
        static string Who(ManagedFieldsEntry entry) => entry.Operation == "Update"
            ? $"\"{entry.Manager}\" using {entry.ApiVersion}"
            : $"\"{entry.Manager}\"";

        string message;
        if (conflicts.Count == 1)
        {
            message = $"Apply failed with 1 conflict: conflict with {Who(conflicts[0].Entry)}: {Display(conflicts[0].Path)}";
        }
        else
        {
            var lines = conflicts.GroupBy(c => Who(c.Entry)).OrderBy(g => g.Key, StringComparer.Ordinal)
                .SelectMany(g => g.Select(c => "- " + Display(c.Path)).Prepend($"conflicts with {g.Key}:"));
            message = $"Apply failed with {conflicts.Count} conflicts: {string.Join("\n", lines)}";
        }

        var error = new KubeApiException(new Status
        {
            Outcome = "Failure",
            Code = 409,
            Reason = "Conflict",
            Message = message,
            Details = new StatusDetails
            {
                Causes = conflicts.Select(c => new StatusCause
                {
                    Reason = "FieldManagerConflict",
                    Message = $"conflict with {Who(c.Entry)}",
                    Field = Display(c.Path),
                }).ToList(),
            },
        });
        return error;
    }

    /// <summary>Merges an applied configuration into the live object, field by field as the schema says.</summary>
    public static void Merge(JsonObject target, JsonObject source, Type type)
    {
        foreach (var (name, value) in source)
        {
            if (value is null)
            {
                continue;
            }

            var schema = name == "metadata" ? new FieldSchema(FieldShape.Struct, typeof(ObjectMeta), null, null) : Schema.Field(type, name);
            MergeField(target, name, value, schema);
        }
    }

    private static void MergeField(JsonObject target, string name, JsonNode value, FieldSchema schema)
    {
        switch (schema.Shape)
        {
            case FieldShape.Struct when value is JsonObject obj && target[name] is JsonObject existing:
                Merge(existing, obj, schema.Type);
                break;
            case FieldShape.Map when value is JsonObject map && target[name] is JsonObject existingMap:
                foreach (var (key, entry) in map)
                {
                    existingMap[key] = entry?.DeepClone();
                }

                break;
            case FieldShape.KeyedList when value is JsonArray list && target[name] is JsonArray existingList:
                foreach (var item in list.OfType<JsonObject>())
                {
                    var match = Schema.FindByKey(existingList, schema.MergeKey!, item[schema.MergeKey!]);
                    if (match is null)
                    {
                        existingList.Add(item.DeepClone());
                    }
                    else
                    {
                        Merge(match, item, schema.ElementType!);
                    }
                }

                break;
            case FieldShape.SetList when value is JsonArray set && target[name] is JsonArray existingSet:
                foreach (var item in set.Where(i => !existingSet.Any(e => JsonNode.DeepEquals(e, i))))
                {
                    existingSet.Add(item?.DeepClone());
                }

                break;
            default:
                target[name] = value.DeepClone();
                break;
        }
    }
}
