using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Model;

namespace BindingServer.Kubernetes.Tables;

/// <summary>One printed column: how kubectl's <c>get</c> shows a field.</summary>
public sealed record TableColumn(string Name, string Type, string Format, string Description, int Priority,
    Func<KubeObject, DateTimeOffset, object> Cell);

public sealed record TableDefinition(IReadOnlyList<TableColumn> Columns)
{
    public const string NameDescription =
        "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";

    public const string CreationTimestampDescription =
        "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

    public static TableColumn NameColumn { get; } =
        new("Name", "string", "name", NameDescription, 0, (o, _) => o.Metadata.Name ?? "");

    public static TableColumn AgeColumn { get; } =
        new("Age", "string", "", CreationTimestampDescription, 0, (o, now) => HumanDuration.Since(o.Metadata.CreationTimestamp, now));

    /// <summary>The apiserver's default convertor for kinds without a printer: name and creation time.</summary>
    public static TableDefinition Default { get; } = new([
        NameColumn,
        new TableColumn("Created At", "date", "", CreationTimestampDescription, 0,
            (o, _) => o.Metadata.CreationTimestamp is { } t ? KubeTimeConverter.ToText(t) : ""),
    ]);

    /// <summary>Builds the <c>meta.k8s.io Table</c> body; <paramref name="withHeaders"/> is false for watch events after the first.</summary>
    public JsonObject Render(IEnumerable<KubeObject> objects, ListMeta listMeta, string tableVersion, string includeObject,
        bool withHeaders, DateTimeOffset now)
    {
        var rows = new JsonArray();
        foreach (var obj in objects)
        {
            var row = new JsonObject { ["cells"] = new JsonArray(Columns.Select(c => JsonValue.Create(c.Cell(obj, now))).ToArray<JsonNode?>()) };
            row["object"] = includeObject switch
            {
                "None" => null,
                "Object" => KubeJson.ToNode(obj),
                _ => new JsonObject
                {
                    ["kind"] = "PartialObjectMetadata",
                    ["apiVersion"] = $"meta.k8s.io/{tableVersion}",
                    ["metadata"] = KubeJson.ToNode(obj.Metadata),
                },
            };
            rows.Add(row);
        }

        return new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = $"meta.k8s.io/{tableVersion}",
            ["metadata"] = KubeJson.ToNode(listMeta),
            ["columnDefinitions"] = withHeaders
                ? new JsonArray(Columns.Select(c => (JsonNode)new JsonObject
                {
                    ["name"] = c.Name,
                    ["type"] = c.Type,
                    ["format"] = c.Format,
                    ["description"] = c.Description,
                    ["priority"] = c.Priority,
                }).ToArray())
                : null,
            ["rows"] = rows,
        };
    }
}

/// <summary>apimachinery's <c>duration.HumanDuration</c>, the AGE column.</summary>
public static class HumanDuration
{
    public static string Since(DateTimeOffset? start, DateTimeOffset now) =>
        start is null ? "<unknown>" : Format(now - start.Value);

    public static string Format(TimeSpan elapsed)
    {
        var seconds = (long)Math.Floor(elapsed.TotalSeconds);
        if (seconds < -1)
        {
            return "<invalid>";
        }

        if (seconds < 0)
        {
            return "0s";
        }

        if (seconds < 120)
        {
            return $"{seconds}s";
        }

        var minutes = seconds / 60;
        if (minutes < 10)
        {
            var s = seconds % 60;
            return s == 0 ? $"{minutes}m" : $"{minutes}m{s}s";
        }

        if (minutes < 180)
        {
            return $"{minutes}m";
        }

        var hours = minutes / 60;
        if (hours < 8)
        {
            var m = minutes % 60;
            return m == 0 ? $"{hours}h" : $"{hours}h{m}m";
        }

        if (hours < 48)
        {
            return $"{hours}h";
        }

        if (hours < 192)
        {
            var h = hours % 24;
            return h == 0 ? $"{hours / 24}d" : $"{hours / 24}d{h}h";
        }

        if (hours < 24 * 365 * 2)
        {
            return $"{hours / 24}d";
        }

        if (hours < 24 * 365 * 8)
        {
            var dy = hours / 24 % 365;
            return dy == 0 ? $"{hours / 24 / 365}y" : $"{hours / 24 / 365}y{dy}d";
        }

        return $"{hours / 24 / 365}y";
    }
}
