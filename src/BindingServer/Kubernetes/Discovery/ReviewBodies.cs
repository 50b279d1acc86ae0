using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.Patching;
using BindingServer.Kubernetes.Validation;

namespace BindingServer.Kubernetes.Discovery;

/// <summary>The create path the review endpoints share with the apiserver's generic create handler.</summary>
internal static class ReviewBodies
{
    public static ResourceDefinition Definition<T>(string group, string kind, string plural, bool namespaced) where T : KubeObject => new()
    {
        Group = group, Version = "v1", Kind = kind, Plural = plural, Singular = kind.ToLowerInvariant(), Namespaced = namespaced,
        Strategy = new ReviewStrategy<T>(), Verbs = ["create"],
    };

    /// <summary>
    /// Reads the create options and the body as the typed review (Go's decoding errors, unknown-field handling), then
    /// clears the system fields of its metadata as every create does.
    /// </summary>
    public static async Task<(T Review, WriteOptions Options, List<string> Warnings)> ReadAsync<T>(HttpContext context, ResourceDefinition definition)
        where T : KubeObject
    {
        var options = WriteOptions.Parse(context.Request, "CreateOptions");
        var body = KubeHttp.BodyAsJson(context.Request, await KubeHttp.ReadBodyAsync(context.Request, context.RequestAborted));
        var warnings = new List<string>();
        var review = (T)BodyDecoder.Decode(definition, body, options.FieldValidation, warnings);
        review.Metadata ??= new ObjectMeta();
        var meta = review.Metadata;
        (meta.CreationTimestamp, meta.Uid, meta.DeletionTimestamp, meta.DeletionGracePeriodSeconds, meta.SelfLink) = (null, null, null, null, null);
        return (review, options, warnings);
    }

    /// <summary>A namespaced create takes the URL's namespace; a different one in the body is the apiserver's 400.</summary>
    public static void AssignNamespace(ObjectMeta meta, string ns)
    {
        if (string.IsNullOrEmpty(meta.Namespace))
        {
            meta.Namespace = ns;
        }
        else if (meta.Namespace != ns)
        {
            throw StatusErrors.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }
    }

    /// <summary>
    /// The managedFields entry the field manager records for the request body: the fields set that an empty review
    /// does not have, with optional structs that are present marked as owned themselves (<c>"."</c>).
    /// </summary>
    public static List<ManagedFieldsEntry>? ManagedFieldsFor(KubeObject review, KubeObject empty, string manager, TimeProvider clock)
    {
        var type = review.GetType();
        var node = KubeJson.ToNode(review);
        var baseline = KubeJson.ToNode(empty);
        var before = FieldPaths.FieldsOf(baseline, type, withStatus: true);
        var changed = FieldPaths.FieldsOf(node, type, withStatus: true)
            .Where(p => !before.Contains(p) || !JsonNode.DeepEquals(FieldPaths.ValueAt(node, p), FieldPaths.ValueAt(baseline, p)))
            .ToList();
        foreach (var optional in OptionalStructs)
        {
            if (changed.Any(p => p.StartsWith(optional + "\n", StringComparison.Ordinal)))
            {
                changed.Add(optional);
            }
        }

        if (changed.Count == 0)
        {
            return null;
        }

        return
        [
            new ManagedFieldsEntry
            {
                Manager = manager, Operation = "Update", ApiVersion = review.ApiVersion, Time = KubeTimeConverter.Truncate(clock.GetUtcNow()),
                FieldsType = "FieldsV1", FieldsV1 = FieldPaths.ToTrie(changed),
            },
        ];
    }

    /// <summary>Pointer fields of the review types: the field manager owns them as a node when a client sets them.</summary>
    private static readonly string[] OptionalStructs =
    [
        "f:spec\nf:resourceAttributes", "f:spec\nf:nonResourceAttributes",
        "f:spec\nf:resourceAttributes\nf:fieldSelector", "f:spec\nf:resourceAttributes\nf:labelSelector",
    ];

    /// <summary>Whether metadata equals an empty ObjectMeta (ignoring managedFields), nil and empty collections alike.</summary>
    public static bool MetadataEmpty(ObjectMeta meta, bool ignoreNamespace) =>
        string.IsNullOrEmpty(meta.Name) && string.IsNullOrEmpty(meta.GenerateName) && (ignoreNamespace || string.IsNullOrEmpty(meta.Namespace)) &&
        string.IsNullOrEmpty(meta.SelfLink) && string.IsNullOrEmpty(meta.Uid) && string.IsNullOrEmpty(meta.ResourceVersion) &&
        (meta.Generation ?? 0) == 0 && meta.CreationTimestamp is null && meta.DeletionTimestamp is null && meta.DeletionGracePeriodSeconds is null &&
        meta.Labels is not { Count: > 0 } && meta.Annotations is not { Count: > 0 } && meta.OwnerReferences is not { Count: > 0 } &&
        meta.Finalizers is not { Count: > 0 };

    /// <summary>
    /// An extra map's values must be string lists (Go's <c>map[string]ExtraValue</c>); the generic decoder only checks
    /// that it is an object, so the rest is checked here with Go's wording.
    /// </summary>
    public static void CheckExtra(ResourceDefinition definition, JsonObject? extra)
    {
        foreach (var (_, value) in extra ?? [])
        {
            var mismatch = value switch
            {
                null => null,
                JsonArray items => items.FirstOrDefault(i => i is not null && (i is not JsonValue v || v.GetValueKind() != JsonValueKind.String)) is { } bad
                    ? $"json: cannot unmarshal {BodyDecoder.GoJsonType(bad)} into Go struct field SubjectAccessReviewSpec.spec.extra of type string"
                    : null,
                _ => $"json: cannot unmarshal {BodyDecoder.GoJsonType(value)} into Go struct field SubjectAccessReviewSpec.spec.extra of type v1.ExtraValue",
            };
            if (mismatch is not null)
            {
                throw BodyDecoder.CannotHandle(definition, mismatch);
            }
        }
    }

    public static IReadOnlyDictionary<string, IReadOnlyList<string>> ExtraOf(JsonObject? extra) =>
        (extra ?? []).ToDictionary(e => e.Key, e => (IReadOnlyList<string>)(e.Value as JsonArray ?? []).Select(v => v?.GetValue<string>() ?? "").ToList(),
            StringComparer.Ordinal);

    /// <summary>A string-list map as Go writes it: keys sorted, and left out when empty.</summary>
    public static JsonObject? SortedExtra(IEnumerable<KeyValuePair<string, JsonNode?>> extra)
    {
        var sorted = new JsonObject();
        foreach (var (key, value) in extra.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            sorted[key] = value?.DeepClone();
        }

        return sorted.Count == 0 ? null : sorted;
    }

    public static Task WriteAsync(HttpContext context, KubeObject review, List<string> warnings)
    {
        KubeHttp.AddWarnings(context.Response, warnings);
        return KubeHttp.WriteJsonAsync(context, 201, KubeJson.SerializeToUtf8(review));
    }
}

/// <summary>Reviews are never stored: the strategy only lets the generic decoder read them.</summary>
internal sealed class ReviewStrategy<T> : ResourceStrategy<T> where T : KubeObject;

/// <summary>
/// Go's <c>%#v</c> of the metadata a review was sent with, as the "must be empty" error prints it (after the create
/// handler cleared its system fields and the field manager filled managedFields).
/// </summary>
internal sealed record GoObjectMeta(ObjectMeta Meta) : IGoValue
{
    // Pointers print as addresses in Go; any stable heap-looking value stands in for one.
    private const string Address = "0xc000b3e3c0";

    public string GoSyntax()
    {
        var m = Meta;
        var text = new StringBuilder("v1.ObjectMeta{");
        text.Append(CultureInfo.InvariantCulture,
            $"Name:{Q(m.Name)}, GenerateName:{Q(m.GenerateName)}, Namespace:{Q(m.Namespace)}, SelfLink:{Q(m.SelfLink)}, UID:{Q(m.Uid)}, ");
        text.Append(CultureInfo.InvariantCulture, $"ResourceVersion:{Q(m.ResourceVersion)}, Generation:{m.Generation ?? 0}, ");
        text.Append("CreationTimestamp:time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC), DeletionTimestamp:<nil>, DeletionGracePeriodSeconds:(*int64)(nil), ");
        text.Append(CultureInfo.InvariantCulture, $"Labels:{Map(m.Labels)}, Annotations:{Map(m.Annotations)}, ");
        text.Append("OwnerReferences:").Append(m.OwnerReferences is null ? "[]v1.OwnerReference(nil)"
            : "[]v1.OwnerReference{" + string.Join(", ", m.OwnerReferences.Select(o =>
                $"v1.OwnerReference{{APIVersion:{Q(o.ApiVersion)}, Kind:{Q(o.Kind)}, Name:{Q(o.Name)}, UID:{Q(o.Uid)}, Controller:{Flag(o.Controller)}, BlockOwnerDeletion:{Flag(o.BlockOwnerDeletion)}}}")) + "}");
        text.Append(", Finalizers:").Append(m.Finalizers is null ? "[]string(nil)" : "[]string{" + string.Join(", ", m.Finalizers.Select(GoFormat.Quote)) + "}");
        text.Append(", ManagedFields:").Append(m.ManagedFields is null ? "[]v1.ManagedFieldsEntry(nil)"
            : "[]v1.ManagedFieldsEntry{" + string.Join(", ", m.ManagedFields.Select(Entry)) + "}");
        return text.Append('}').ToString();
    }

    private static string Q(string? value) => GoFormat.Quote(value ?? "");

    private static string Flag(bool? value) => value is null ? "(*bool)(nil)" : $"(*bool)({Address})";

    private static string Map(Dictionary<string, string>? map) => map is null
        ? "map[string]string(nil)"
        : "map[string]string{" + string.Join(", ", map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{Q(p.Key)}:{Q(p.Value)}")) + "}";

    private static string Entry(ManagedFieldsEntry e)
    {
        var t = (e.Time ?? DateTimeOffset.UnixEpoch).UtcDateTime;
        var month = CultureInfo.InvariantCulture.DateTimeFormat.GetMonthName(t.Month);
        return string.Create(CultureInfo.InvariantCulture,
            $"v1.ManagedFieldsEntry{{Manager:{Q(e.Manager)}, Operation:{Q(e.Operation)}, APIVersion:{Q(e.ApiVersion)}, Time:time.Date({t.Year}, time.{month}, {t.Day}, {t.Hour}, {t.Minute}, {t.Second}, 0, time.Local), FieldsType:{Q(e.FieldsType)}, FieldsV1:(*v1.FieldsV1)({Address}), Subresource:{Q(e.Subresource)}}}");
    }
}
