using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Model;

namespace BindingServer.Kubernetes.Patching;

/// <summary>
/// Server-side apply's merge: checks an applied configuration against the fields other managers own, merges it
/// into the live object as the schema says, and removes the fields its manager stopped applying.
/// </summary>
public static class ApplyMerge
{
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
        var applied = FieldPaths.FieldsOf(intent, type, subresource == "status");
        var others = new List<(ManagedFieldsEntry Entry, HashSet<string> Fields)>();
        var previous = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in entries ?? [])
        {
            if (entry.Manager == manager && entry.Operation == "Apply" && (entry.Subresource ?? "") == (subresource ?? ""))
            {
                previous = FieldPaths.FromTrie(entry.FieldsV1);
            }
            else
            {
                others.Add((entry, FieldPaths.FromTrie(entry.FieldsV1)));
            }
        }

        var conflicts = new List<(ManagedFieldsEntry Entry, string Path)>();
        if (live is not null)
        {
            foreach (var (entry, fields) in others)
            {
                foreach (var path in applied.Where(fields.Contains).Order(StringComparer.Ordinal))
                {
                    if (!JsonNode.DeepEquals(FieldPaths.ValueAt(defaultedIntent, path), FieldPaths.ValueAt(live, path)) && FieldPaths.IsLeaf(path, applied))
                    {
                        conflicts.Add((entry, path));
                    }
                }
            }
        }

        if (conflicts.Count > 0 && !force)
        {
            throw ManagedFields.ConflictError(conflicts);
        }

        var conflicting = conflicts.Select(c => c.Path).ToHashSet(StringComparer.Ordinal);
        var stillOwned = others.SelectMany(o => o.Fields.Where(p => !conflicting.Contains(p))).ToHashSet(StringComparer.Ordinal);
        var merged = (JsonObject)(live?.DeepClone() ?? new JsonObject());
        foreach (var path in previous.Where(p => !applied.Contains(p) && !stillOwned.Contains(p)).OrderByDescending(p => p.Length))
        {
            FieldPaths.RemoveAt(merged, path);
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
                result.Add(ManagedFields.WithFields(entry, kept));
            }
        }

        if (applied.Count > 0)
        {
            result.Add(ManagedFields.WithFields(new ManagedFieldsEntry { Manager = manager, Operation = "Apply", ApiVersion = apiVersion, Time = now, Subresource = subresource },
                applied));
        }

        return (merged, result);
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
