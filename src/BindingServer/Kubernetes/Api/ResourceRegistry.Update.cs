using System.Text.Json;
using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.Patching;
using BindingServer.Storage;

namespace BindingServer.Kubernetes.Api;

/// <summary>The update path and the writes built on it: PUT, the non-apply patches, and the server's own updates.</summary>
public sealed partial class ResourceRegistry
{
    /// <summary>Builds the new object from the current one; null current means the object does not exist.</summary>
    internal delegate KubeObject Transform(KubeObject? current);

    /// <summary>PUT: the object takes the URL's name and namespace, then the update path, which may create it.</summary>
    public Task<(KubeObject Result, bool Created)> ReplaceAsync(ResourceDefinition definition, string? ns, string name, KubeObject obj,
        WriteOptions options, List<string> warnings, CancellationToken cancellationToken)
    {
        CheckIdentity(definition, obj, ns, name);
        return UpdateAsync(definition, ns, name, _ => obj, options, warnings, "Update", cancellationToken);
    }

    /// <summary>A JSON, merge or strategic merge patch (<paramref name="mediaType"/> names which) of an existing object.</summary>
    public async Task<KubeObject> PatchAsync(ResourceDefinition definition, string? ns, string name, string mediaType, byte[] patch,
        WriteOptions options, List<string> warnings, CancellationToken cancellationToken)
    {
        var patchNode = mediaType == "application/json-patch+json" ? null : ParsePatch(patch);
        var (result, _) = await UpdateAsync(definition, ns, name, current =>
        {
            var document = KubeJson.ToNode(current!);
            var patched = mediaType switch
            {
                "application/json-patch+json" => JsonPatch.Apply(document, patch),
                "application/merge-patch+json" => (JsonObject)MergePatch.Apply(document, patchNode)!,
                _ => StrategicPatch(document, patchNode!, definition.ObjectType),
            };
            var patchedObject = BodyDecoder.DecodeObject(definition, patched, options.FieldValidation, warnings, [], strictAsPatch: true);
            definition.Strategy.ApplyDefaults(patchedObject);
            CheckIdentity(definition, patchedObject, ns, name);
            return patchedObject;
        }, options, warnings, "Update", cancellationToken, allowCreate: false);
        return result;
    }

    /// <summary>A merge or strategic merge patch document, or the apiserver's 400 for one that is not a JSON object.</summary>
    internal static JsonObject ParsePatch(byte[] patch)
    {
        try
        {
            return JsonNode.Parse(patch) as JsonObject ?? throw StatusErrors.BadRequest("error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}");
        }
        catch (JsonException error)
        {
            throw StatusErrors.BadRequest($"error decoding patch: {error.Message}");
        }
    }

    private static JsonObject StrategicPatch(JsonObject document, JsonObject patch, Type type)
    {
        StrategicMergePatch.Apply(document, patch, type);
        return document;
    }

    /// <summary>
    /// The update path shared by PUT and the non-apply patches: optimistic concurrency, immutable fields,
    /// validation, managedFields, no-op detection and finalizer-driven deletion, in one store transaction.
    /// </summary>
    internal async Task<(KubeObject Result, bool Created)> UpdateAsync(ResourceDefinition definition, string? ns, string name,
        Transform transform, WriteOptions options, List<string> warnings, string operation, CancellationToken cancellationToken,
        bool allowCreate = true)
    {
        var key = definition.Key(ns, name);
        var current = store.Current.Get(definition.KeyPrefix, key);
        if (current is null)
        {
            if (!allowCreate || !definition.Strategy.AllowCreateOnUpdate)
            {
                throw StatusErrors.NotFound(definition.GroupResource, name);
            }

            var fresh = transform(null);
            CheckNamespaceExists(definition, fresh.Metadata.Namespace);
            return (await CreateNewAsync(definition, fresh, options, warnings, cancellationToken), true);
        }

        KubeObject? result = null;
        await store.MutateAsync(key, (entry, revision) =>
        {
            if (entry is null)
            {
                throw StatusErrors.NotFound(definition.GroupResource, name);
            }

            var old = ObjectCodec.Decode(definition, entry.Body);
            var updated = transform(old);
            Admit(definition, updated, old, options);
            var meta = updated.Metadata;
            if (!string.IsNullOrEmpty(meta.ResourceVersion) && meta.ResourceVersion != old.Metadata.ResourceVersion)
            {
                throw StatusErrors.Conflict(definition.GroupResource, name, StatusErrors.ModifiedMessage);
            }

            meta.Uid = string.IsNullOrEmpty(meta.Uid) ? old.Metadata.Uid : meta.Uid;
            meta.CreationTimestamp = old.Metadata.CreationTimestamp;
            meta.DeletionTimestamp = old.Metadata.DeletionTimestamp;
            meta.DeletionGracePeriodSeconds = old.Metadata.DeletionGracePeriodSeconds;
            meta.Generation = old.Metadata.Generation;
            meta.SelfLink = null;
            meta.ResourceVersion = old.Metadata.ResourceVersion;
            definition.Strategy.PrepareForUpdate(updated, old);
            Validate(definition, name, definition.Strategy.ValidateUpdate(updated, old));

            // A write that changes nothing is not a write: same resourceVersion, no event (kubectl prints "(no change)").
            var appliedFields = meta.ManagedFields;
            meta.ManagedFields = old.Metadata.ManagedFields;
            var unchanged = ObjectCodec.Encode(updated).AsSpan().SequenceEqual(entry.Body) &&
                            (operation == "Update" || SameOwnership(appliedFields, old.Metadata.ManagedFields));
            if (unchanged)
            {
                result = old;
                return Mutation.None;
            }

            meta.ManagedFields = operation == "Update"
                ? ManagedFields.RecordUpdate(old.Metadata.ManagedFields, KubeJson.ToNode(old), KubeJson.ToNode(updated),
                    definition.ObjectType, options.FieldManager, definition.ApiVersion, Now, definition.Subresource)
                : appliedFields;

            meta.ResourceVersion = revision.ToString(System.Globalization.CultureInfo.InvariantCulture);
            result = updated;
            if (meta.DeletionTimestamp is not null && definition.Strategy.ReadyToRemove(updated))
            {
                return new Mutation.Delete(ObjectCodec.Encode(updated));
            }

            return new Mutation.Put(ObjectCodec.Encode(updated));
        }, options.DryRun, cancellationToken);
        return (result!, false);
    }

    private static bool SameOwnership(List<ManagedFieldsEntry>? a, List<ManagedFieldsEntry>? b)
    {
        static string Shape(List<ManagedFieldsEntry>? entries) => string.Join("|", (entries ?? [])
            .Select(e => $"{e.Manager}/{e.Operation}/{e.Subresource}/{e.FieldsV1?.ToJsonString()}").Order(StringComparer.Ordinal));
        return Shape(a) == Shape(b);
    }

    /// <summary>Update for another API view: the generic update path, never creating.</summary>
    public async Task<KubeObject> UpdateObjectAsync(ResourceDefinition definition, string? ns, string name, Func<KubeObject, KubeObject> change,
        WriteOptions options, List<string> warnings, CancellationToken cancellationToken)
    {
        var (result, _) = await UpdateAsync(definition, ns, name, current => change(current!), options, warnings, "Update", cancellationToken,
            allowCreate: false);
        return result;
    }

    /// <summary>A metadata-only update made by the server itself (the garbage collector's finalizer and owner changes).</summary>
    public Task UpdateMetadataAsync(ResourceDefinition definition, KubeObject target, Action<ObjectMeta> change, CancellationToken cancellationToken) =>
        UpdateAsync(definition, target.Metadata.Namespace, target.Metadata.Name!, current =>
        {
            var copy = KubeJson.Clone(current!);
            copy.Metadata.ResourceVersion = null;
            change(copy.Metadata);
            return copy;
        }, new WriteOptions(false, "kube-controller-manager", FieldValidation.Ignore, false), [], "Update", cancellationToken, allowCreate: false);

    /// <summary>A server-side apply made by the server itself (a controller's), forcing its ownership.</summary>
    public Task<(KubeObject Result, bool Created)> ApplyObjectAsync(ResourceDefinition definition, string? ns, string name, JsonObject intent,
        string fieldManager, CancellationToken cancellationToken) =>
        ServerSideApply.ApplyAsync(this, definition, ns, name, System.Text.Encoding.UTF8.GetBytes(intent.ToJsonString()),
            new WriteOptions(false, fieldManager, FieldValidation.Strict, true), [], cancellationToken);

    /// <summary>
    /// A write to a part of the object that normal updates keep from storage (a subresource such as
    /// <c>namespaces/finalize</c>): no strategy preparation, but the same store transaction, no-op and removal rules.
    /// </summary>
    public async Task<KubeObject> UpdateSubresourceAsync(ResourceDefinition definition, string? ns, string name, Action<KubeObject> change,
        CancellationToken cancellationToken)
    {
        var key = definition.Key(ns, name);
        KubeObject? result = null;
        await store.MutateAsync(key, (entry, revision) =>
        {
            if (entry is null)
            {
                throw StatusErrors.NotFound(definition.GroupResource, name);
            }

            var obj = ObjectCodec.Decode(definition, entry.Body);
            change(obj);
            result = obj;
            if (ObjectCodec.Encode(obj).AsSpan().SequenceEqual(entry.Body))
            {
                return Mutation.None;
            }

            obj.Metadata.ResourceVersion = revision.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return obj.Metadata.DeletionTimestamp is not null && definition.Strategy.ReadyToRemove(obj)
                ? new Mutation.Delete(ObjectCodec.Encode(obj))
                : new Mutation.Put(ObjectCodec.Encode(obj));
        }, dryRun: false, cancellationToken);
        return result!;
    }
}
