using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.OpenApi;
using BindingServer.Kubernetes.Tables;
using BindingServer.Kubernetes.Validation;

namespace BindingServer.Kubernetes.Resources.Core;

[SchemaName("io.k8s.api.core.v1.Event")]
[Description("A report of something that happened to an object, such as a scheduling decision.")]
public sealed class Event : KubeObject
{
    [Required]
    [Description("The object the event is about.")]
    public ObjectReference? InvolvedObject { get; set; }

    [Description("Why it happened, in one word.")]
    public string? Reason { get; set; }

    [Description("What happened, for people.")]
    public string? Message { get; set; }

    [Description("Who reported it (the legacy field).")]
    public EventSource? Source { get; set; }

    [EmitEmpty]
    [Description("When it was first seen.")]
    public DateTimeOffset? FirstTimestamp { get; set; }

    [EmitEmpty]
    [Description("When it was last seen.")]
    public DateTimeOffset? LastTimestamp { get; set; }

    [Description("How many times it was seen.")]
    public int? Count { get; set; }

    [Description("Normal or Warning.")]
    public string? Type { get; set; }

    [EmitEmpty]
    [JsonConverter(typeof(MicroTimeConverter))]
    [Description("When it happened, to the microsecond (events from the events.k8s.io API carry it).")]
    public DateTimeOffset? EventTime { get; set; }

    [Description("How often a recurring event has been seen.")]
    public JsonObject? Series { get; set; }

    [Description("What was done, or failed to be done.")]
    public string? Action { get; set; }

    [Description("A second object involved.")]
    public ObjectReference? Related { get; set; }

    [EmitEmpty]
    [Description("The controller that reported it.")]
    public string ReportingComponent { get; set; } = "";

    [EmitEmpty]
    [Description("The instance of that controller.")]
    public string ReportingInstance { get; set; } = "";
}

[SchemaName("io.k8s.api.core.v1.EventSource")]
[Description("The component (and host) that reported an event.")]
public sealed class EventSource
{
    [Description("The reporting component.")]
    public string? Component { get; set; }

    [Description("The node it runs on.")]
    public string? Host { get; set; }
}

/// <summary>Go's <c>metav1.MicroTime</c>: RFC 3339 with exactly six fractional digits, in UTC.</summary>
public sealed class MicroTimeConverter : JsonConverter<DateTimeOffset>
{
    public const string Format = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
            ? parsed.ToUniversalTime()
            : throw new JsonException($"parsing time \"{text}\" as \"2006-01-02T15:04:05.000000Z07:00\": cannot parse \"{text}\" as \"2006\"");
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture));
}

/// <summary>
/// core/v1 events (<c>pkg/registry/core/event</c>), which schedulers and controllers write and <c>kubectl describe</c>
/// and <c>kubectl get events</c> read. Validated as the apiserver validates v1 events; kept until deleted (the
/// apiserver's one-hour TTL is not modelled).
/// </summary>
public sealed class EventStrategy : ResourceStrategy<Event>
{
    public static ResourceDefinition Definition { get; } = new()
    {
        Group = "",
        Version = "v1",
        Kind = "Event",
        Plural = "events",
        Singular = "event",
        Namespaced = true,
        ShortNames = ["ev"],
        Strategy = new EventStrategy(),
    };

    public override DeleteResponse DeleteResponse => DeleteResponse.Status;

    public override string UnsupportedFieldSelector(string field) => $"field label not supported: {field}";

    public override IReadOnlyDictionary<string, Func<KubeObject, string>> SelectableFields { get; } =
        new Dictionary<string, Func<KubeObject, string>>
        {
            ["involvedObject.kind"] = o => ((Event)o).InvolvedObject?.Kind ?? "",
            ["involvedObject.namespace"] = o => ((Event)o).InvolvedObject?.Namespace ?? "",
            ["involvedObject.name"] = o => ((Event)o).InvolvedObject?.Name ?? "",
            ["involvedObject.uid"] = o => ((Event)o).InvolvedObject?.Uid ?? "",
            ["involvedObject.apiVersion"] = o => ((Event)o).InvolvedObject?.ApiVersion ?? "",
            ["involvedObject.resourceVersion"] = o => ((Event)o).InvolvedObject?.ResourceVersion ?? "",
            ["involvedObject.fieldPath"] = o => ((Event)o).InvolvedObject?.FieldPath ?? "",
            ["reason"] = o => ((Event)o).Reason ?? "",
            ["reportingComponent"] = o => ((Event)o).ReportingComponent,
            ["source"] = o => ((Event)o).Source?.Component ?? "",
            ["type"] = o => ((Event)o).Type ?? "",
        };

    public override TableDefinition Table { get; } = new([
        new TableColumn("Last Seen", "string", "", "The time at which the most recent occurrence of this event was recorded.", 0, (o, now) => Row((Event)o, now).LastSeen),
        new TableColumn("Type", "string", "", "Type of this event (Normal, Warning), new types could be added in the future", 0, (o, _) => ((Event)o).Type ?? ""),
        new TableColumn("Reason", "string", "", "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.", 0,
            (o, _) => ((Event)o).Reason ?? ""),
        new TableColumn("Object", "string", "", "The object that this event is about.", 0, (o, _) => Target((Event)o)),
        new TableColumn("Subobject", "string", "", "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. For example, if the object reference is to a container within a pod, this would take on a value like: \"spec.containers{name}\" (where \"name\" refers to the name of the container that triggered the event) or if no container name is specified \"spec.containers[2]\" (container with index 2 in this pod). This syntax is chosen only to have some well-defined way of referencing a part of an object.", 1,
            (o, _) => ((Event)o).InvolvedObject?.FieldPath ?? ""),
        new TableColumn("Source", "string", "", "The component reporting this event. Should be a short machine understandable string.", 1, (o, _) => Source((Event)o)),
        new TableColumn("Message", "string", "", "A human-readable description of the status of this operation.", 0, (o, _) => (((Event)o).Message ?? "").Trim()),
        new TableColumn("First Seen", "string", "", "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)", 1,
            (o, now) => Row((Event)o, now).FirstSeen),
        new TableColumn("Count", "string", "", "The number of times this event has occurred.", 1, (o, now) => Row((Event)o, now).Count),
        new TableColumn("Name", "string", "name", TableDefinition.NameDescription, 1, (o, _) => o.Metadata.Name ?? ""),
    ]);

    /// <summary>The times and count as the apiserver's event printer works them out, series and new-API events included.</summary>
    private static (string LastSeen, string FirstSeen, long Count) Row(Event e, DateTimeOffset now)
    {
        var first = e.FirstTimestamp is { } firstTime ? HumanDuration.Since(firstTime, now) : e.EventTime is { } eventTime ? HumanDuration.Since(eventTime, now) : "<unknown>";
        var last = e.LastTimestamp is { } lastTime ? HumanDuration.Since(lastTime, now) : first;
        long count = e.Count ?? 0;
        if (e.Series is { } series)
        {
            last = KubeJson.Text(series["lastObservedTime"]) is { } observed && DateTimeOffset.TryParse(observed, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
                ? HumanDuration.Since(at, now)
                : "<unknown>";
            count = series["count"] is JsonValue value && value.TryGetValue<long>(out var seriesCount) ? seriesCount : 0;
        }
        else if (count == 0)
        {
            count = 1;
        }

        return (last, first, count);
    }

    private static string Target(Event e)
    {
        var kind = (e.InvolvedObject?.Kind ?? "").ToLowerInvariant();
        return e.InvolvedObject?.Name is { Length: > 0 } name ? $"{kind}/{name}" : kind;
    }

    private static string Source(Event e)
    {
        var component = e.Source?.Component is { Length: > 0 } c ? c : e.ReportingComponent;
        var instance = e.Source?.Host is { Length: > 0 } h ? h : e.ReportingInstance;
        return instance.Length == 0 ? component : $"{component}, {instance}";
    }

    protected override void ApplyDefaults(Event e)
    {
        e.InvolvedObject ??= new ObjectReference();
        e.Source ??= new EventSource();
    }

    protected override IReadOnlyList<FieldError> Validate(Event e)
    {
        var errors = MetadataValidation.ValidateCreate(e.Metadata, namespaced: true, NameRule);
        errors.AddRange(ValidateV1(e));
        return errors;
    }

    protected override IReadOnlyList<FieldError> ValidateUpdate(Event e, Event old)
    {
        var errors = MetadataValidation.ValidateUpdate(e.Metadata, old.Metadata);
        errors.AddRange(ValidateV1(e));
        return errors;
    }

    /// <summary>
    /// The apiserver's checks of an event written through core/v1: an old-style event (no eventTime) must name its
    /// own namespace; a new-style one needs its reporting controller, instance, action and reason.
    /// </summary>
    private static List<FieldError> ValidateV1(Event e)
    {
        var errors = new List<FieldError>();
        var ns = e.Metadata.Namespace ?? "";
        var involvedNamespace = e.InvolvedObject?.Namespace ?? "";
        if (e.EventTime is null)
        {
            if (involvedNamespace.Length == 0 ? ns is not ("" or "default") : ns != involvedNamespace)
            {
                errors.Add(FieldError.Invalid("involvedObject.namespace", involvedNamespace, "does not match event.namespace"));
            }
        }
        else
        {
            if (involvedNamespace.Length == 0 && ns is not ("default" or "kube-system"))
            {
                errors.Add(FieldError.Invalid("involvedObject.namespace", involvedNamespace, "does not match event.namespace"));
            }

            if (e.ReportingComponent.Length == 0)
            {
                errors.Add(FieldError.Required("reportingComponent"));
            }

            foreach (var message in NameRules.IsQualifiedName(e.ReportingComponent))
            {
                errors.Add(FieldError.Invalid("reportingComponent", e.ReportingComponent, message));
            }

            if (e.ReportingInstance.Length == 0)
            {
                errors.Add(FieldError.Required("reportingInstance"));
            }
            else if (e.ReportingInstance.Length > 128)
            {
                errors.Add(FieldError.Invalid("reportingInstance", "", "can have at most 128 characters"));
            }

            if (string.IsNullOrEmpty(e.Action))
            {
                errors.Add(FieldError.Required("action"));
            }
            else if (e.Action.Length > 128)
            {
                errors.Add(FieldError.Invalid("action", "", "can have at most 128 characters"));
            }

            if (string.IsNullOrEmpty(e.Reason))
            {
                errors.Add(FieldError.Required("reason"));
            }
            else if (e.Reason.Length > 128)
            {
                errors.Add(FieldError.Invalid("reason", "", "can have at most 128 characters"));
            }

            if (e.Message?.Length > 1024)
            {
                errors.Add(FieldError.Invalid("message", "", "can have at most 1024 characters"));
            }
        }

        foreach (var message in NameRules.IsDns1123Subdomain(ns))
        {
            errors.Add(FieldError.Invalid("namespace", ns, message));
        }

        return errors;
    }
}
