using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Model;

namespace BindingServer.Kubernetes.Patching;

/// <summary>
/// Field ownership (<c>metadata.managedFields</c>): which manager owns which field paths, how an Update moves
/// ownership, and the conflict an apply meets when it changes fields another manager owns.
/// </summary>
public static class ManagedFields
{
    /// <summary>
    /// Records an Update by <paramref name="manager"/>: it takes ownership of every field it set or changed,
    /// and other managers lose the fields it changed or removed.
    /// </summary>
    /// <param name="subresource">The subresource written through ("status"), which keeps an entry of its own.</param>
    public static List<ManagedFieldsEntry>? RecordUpdate(List<ManagedFieldsEntry>? entries, JsonObject? old, JsonObject updated,
        Type type, string manager, string apiVersion, DateTimeOffset now, string? subresource = null)
    {
        var newFields = FieldPaths.FieldsOf(updated, type, subresource == "status");
        var oldFields = old is null ? [] : FieldPaths.FieldsOf(old, type, subresource == "status");
        // As structured-merge-diff compares: a map, struct or list item is changed only when it appears; a change
        // inside it changes the leaves, not the node (so its "." stays with its owner).
        var changed = newFields.Where(p => !oldFields.Contains(p) ||
                                           (FieldPaths.IsLeaf(p, newFields) && !JsonNode.DeepEquals(FieldPaths.ValueAt(updated, p), FieldPaths.ValueAt(old!, p))))
            .ToHashSet(StringComparer.Ordinal);
        var removed = oldFields.Where(p => !newFields.Contains(p)).ToHashSet(StringComparer.Ordinal);

        var result = new List<ManagedFieldsEntry>();
        HashSet<string>? mine = null;
        foreach (var entry in entries ?? [])
        {
            var owned = FieldPaths.FromTrie(entry.FieldsV1);
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

    internal static ManagedFieldsEntry WithFields(ManagedFieldsEntry entry, IEnumerable<string> fields) => new()
    {
        Manager = entry.Manager,
        Operation = entry.Operation,
        ApiVersion = entry.ApiVersion,
        Time = entry.Time,
        FieldsType = "FieldsV1",
        FieldsV1 = FieldPaths.ToTrie(fields),
        Subresource = entry.Subresource,
    };

    /// <summary>The 409 for an apply that changes fields other managers own, worded as the apiserver words it.</summary>
    internal static KubeApiException ConflictError(List<(ManagedFieldsEntry Entry, string Path)> conflicts)
    {
        static string Who(ManagedFieldsEntry entry) => entry.Operation == "Update"
            ? $"\"{entry.Manager}\" using {entry.ApiVersion}"
            : $"\"{entry.Manager}\"";

        string message;
        if (conflicts.Count == 1)
        {
            message = $"Apply failed with 1 conflict: conflict with {Who(conflicts[0].Entry)}: {FieldPaths.Display(conflicts[0].Path)}";
        }
        else
        {
            var lines = conflicts.GroupBy(c => Who(c.Entry)).OrderBy(g => g.Key, StringComparer.Ordinal)
                .SelectMany(g => g.Select(c => "- " + FieldPaths.Display(c.Path)).Prepend($"conflicts with {g.Key}:"));
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
                    Field = FieldPaths.Display(c.Path),
                }).ToList(),
            },
        });
        return error;
    }
}
