using System.Text.Json;
using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.Validation;

namespace BindingServer.Kubernetes.Api;

/// <summary><c>DeleteOptions</c>, from the JSON body kubectl sends or, when the body is empty, from the query.</summary>
public sealed record DeleteOptions(bool DryRun, long? GracePeriodSeconds, string? PreconditionUid, string? PreconditionResourceVersion,
    string? PropagationPolicy, bool? OrphanDependents)
{
    public static async Task<DeleteOptions> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var body = await KubeHttp.ReadBodyAsync(request, cancellationToken);
        JsonObject? json = null;
        if (body.Length > 0)
        {
            JsonNode? parsed;
            try
            {
                // As any body: JSON, YAML or protobuf, and a 415 for another media type.
                parsed = JsonNode.Parse(KubeHttp.BodyAsJson(request, body));
            }
            catch (JsonException error)
            {
                throw StatusErrors.BadRequest($"couldn't get version/kind; json parse error: {error.Message}");
            }

            // The decoder first reads apiVersion and kind, which fails on anything but an object with string values there.
            json = parsed is null ? [] : parsed as JsonObject ?? throw KindUnreadable(parsed, "Go value of type struct { APIVersion string; Kind string }");
            foreach (var field in new[] { "apiVersion", "kind" })
            {
                if (json[field] is { } value && value.GetValueKind() != JsonValueKind.String)
                {
                    throw KindUnreadable(value, $"Go struct field .{field} of type string");
                }
            }
        }

        var errors = new List<FieldError>();
        bool dryRun;
        long? grace;
        string? policy;
        bool? orphan;
        string? uid = null, resourceVersion = null;
        if (json is not null)
        {
            dryRun = WriteOptions.ParseDryRun(new Microsoft.Extensions.Primitives.StringValues(
                Field<JsonArray>(json["dryRun"], "dryRun", "[]string")?.Select(v => Field<string>(v, "dryRun", "string")).ToArray() ?? []), errors);
            grace = Field<long?>(json["gracePeriodSeconds"], "gracePeriodSeconds", "int64");
            policy = Field<string>(json["propagationPolicy"], "propagationPolicy", "v1.DeletionPropagation");
            orphan = Field<bool?>(json["orphanDependents"], "orphanDependents", "bool");
            var preconditions = Field<JsonObject>(json["preconditions"], "preconditions", "v1.Preconditions");
            uid = Field<string>(preconditions?["uid"], "preconditions.uid", "types.UID", "Preconditions");
            resourceVersion = Field<string>(preconditions?["resourceVersion"], "preconditions.resourceVersion", "string", "Preconditions");
        }
        else
        {
            var query = request.Query;
            dryRun = WriteOptions.ParseDryRun(query["dryRun"], errors);
            grace = ListOptions.QueryInt64(query["gracePeriodSeconds"]);
            policy = query.ContainsKey("propagationPolicy") ? query["propagationPolicy"].ToString() : null;
            orphan = query.ContainsKey("orphanDependents") ? WriteOptions.ParseBool(query["orphanDependents"]) : null;
        }

        if (policy is not null && orphan is not null)
        {
            errors.Add(FieldError.Invalid("propagationPolicy", policy, "orphanDependents and deletionPropagation cannot be both set"));
        }
        else if (policy is not null and not ("Foreground" or "Background" or "Orphan"))
        {
            errors.Add(FieldError.NotSupported("propagationPolicy", policy, "Foreground", "Background", "Orphan", "nil"));
        }

        if (errors.Count > 0)
        {
            throw StatusErrors.InvalidOptions("DeleteOptions", [.. errors]);
        }

        if (orphan == true)
        {
            policy = "Orphan";
        }

        return new DeleteOptions(dryRun, grace, uid, resourceVersion, policy, orphan);
    }

    private static KubeApiException KindUnreadable(JsonNode? node, string target) =>
        StatusErrors.BadRequest($"couldn't get version/kind; json parse error: json: cannot unmarshal {BodyDecoder.GoJsonType(node)} into {target}");

    /// <summary>
    /// A field of the body read as its Go type. A body of the wrong shape fails to decode, which the apiserver reports
    /// as a plain error (500) with Go's decoder message, since it is not an API status.
    /// </summary>
    private static T? Field<T>(JsonNode? node, string path, string goType, string goStruct = "DeleteOptions")
    {
        if (node is null)
        {
            return default;
        }

        var fits = node switch
        {
            JsonArray => typeof(T) == typeof(JsonArray),
            JsonObject => typeof(T) == typeof(JsonObject),
            JsonValue value => value.GetValueKind() switch
            {
                JsonValueKind.String => typeof(T) == typeof(string),
                JsonValueKind.True or JsonValueKind.False => typeof(T) == typeof(bool?),
                JsonValueKind.Number => typeof(T) == typeof(long?) && value.TryGetValue<long>(out _),
                _ => false,
            },
            _ => false,
        };
        if (!fits)
        {
            throw StatusErrors.PlainError($"json: cannot unmarshal {BodyDecoder.GoJsonType(node)} into Go struct field {goStruct}.{path} of type {goType}");
        }

        return typeof(T) == typeof(long?) ? (T)(object)node.GetValue<long>()
            : typeof(T) == typeof(bool?) ? (T)(object)node.GetValue<bool>()
            : typeof(T) == typeof(string) ? (T)(object)node.GetValue<string>()
            : (T)(object)node;
    }

    /// <summary>The storage layer's precondition check, with its StorageError text.</summary>
    public void CheckPreconditions(ResourceDefinition definition, KubeObject obj, string key)
    {
        string? failure = null;
        if (PreconditionUid is not null && PreconditionUid != obj.Metadata.Uid)
        {
            failure = $"Precondition failed: UID in precondition: {PreconditionUid}, UID in object meta: {obj.Metadata.Uid}";
        }
        else if (PreconditionResourceVersion is not null && PreconditionResourceVersion != obj.Metadata.ResourceVersion)
        {
            failure = $"Precondition failed: ResourceVersion in precondition: {PreconditionResourceVersion}, ResourceVersion in object meta: {obj.Metadata.ResourceVersion}";
        }

        if (failure is not null)
        {
            throw StatusErrors.Conflict(definition.GroupResource, obj.Metadata.Name ?? "",
                $"StorageError: invalid object, Code: 4, Key: /registry{key}, ResourceVersion: 0, AdditionalErrorMsg: {failure}");
        }
    }
}
