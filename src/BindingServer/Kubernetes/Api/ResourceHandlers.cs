using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.Patching;
using BindingServer.Storage;

namespace BindingServer.Kubernetes.Api;

/// <summary>
/// The generic verbs, written once for every kind: create, get, update, patch, delete and deletecollection.
/// Each follows the apiserver's order of checks so the first error a client sees is the one a real server gives.
/// </summary>
public sealed class ResourceHandlers(ObjectStore store, ResourceCatalog catalog, TimeProvider clock, IEnumerable<IWriteAdmission> admissions)
{
    private const string GenerateNameAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    private DateTimeOffset Now => KubeTimeConverter.Truncate(clock.GetUtcNow());

    public async Task CreateAsync(HttpContext context, ResourceDefinition definition, string? ns)
    {
        var options = WriteOptions.Parse(context.Request, "CreateOptions");
        var body = KubeHttp.BodyAsJson(context.Request, await KubeHttp.ReadBodyAsync(context.Request, context.RequestAborted));
        var warnings = new List<string>();
        var obj = DecodeAndDefault(definition, body, options.FieldValidation, warnings);
        AssignNamespace(definition, obj, ns);
        CheckNamespaceExists(definition, obj.Metadata.Namespace, obj.Metadata.Name);

        var created = await CreateAsync(definition, obj, options, warnings, context.RequestAborted);
        KubeHttp.AddWarnings(context.Response, warnings);
        await KubeHttp.WriteJsonAsync(context, 201, KubeJson.SerializeToUtf8(created));
    }

    private static KubeObject DecodeAndDefault(ResourceDefinition definition, byte[] json, FieldValidation validation, List<string> warnings)
    {
        var obj = BodyDecoder.Decode(definition, json, validation, warnings);
        definition.Strategy.ApplyDefaults(obj);
        return obj;
    }

    private static void AssignNamespace(ResourceDefinition definition, KubeObject obj, string? ns)
    {
        if (!definition.Namespaced)
        {
            obj.Metadata.Namespace = null;
            return;
        }

        if (string.IsNullOrEmpty(obj.Metadata.Namespace))
        {
            obj.Metadata.Namespace = ns;
        }
        else if (obj.Metadata.Namespace != ns)
        {
            throw StatusErrors.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }
    }

    /// <summary>The NamespaceLifecycle admission check: writes into a missing namespace are a 404.</summary>
    private void CheckNamespaceExists(ResourceDefinition definition, string? ns, string? name = null)
    {
        if (!definition.Namespaced || catalog.Namespaces is not { } namespaces)
        {
            return;
        }

        var entry = store.Current.Get(namespaces.KeyPrefix, namespaces.Key(null, ns ?? ""))
                    ?? throw StatusErrors.NotFound(namespaces.GroupResource, ns ?? "");
        if (ObjectCodec.Decode(namespaces, entry.Body).Metadata.DeletionTimestamp is not null)
        {
            throw NamespaceTerminating(definition, name, ns!);
        }
    }

    private static KubeApiException NamespaceTerminating(ResourceDefinition definition, string? name, string ns)
    {
        var error = StatusErrors.Forbidden(definition.GroupResource, name ?? "",
            $"unable to create new content in namespace {ns} because it is being terminated");
        error.Status.Details!.Causes =
        [
            new StatusCause { Reason = "NamespaceTerminating", Message = $"namespace {ns} is being terminated", Field = "metadata.namespace" },
        ];
        return error;
    }

    /// <summary>The create path shared by POST, PUT-creates and apply-creates: prepare, validate, store.</summary>
    private async Task<KubeObject> CreateAsync(ResourceDefinition definition, KubeObject obj, WriteOptions options, List<string> warnings,
        CancellationToken cancellationToken, List<ManagedFieldsEntry>? appliedFields = null)
    {
        Admit(definition, obj, null, options);
        var meta = obj.Metadata;
        var requestedVersion = meta.ResourceVersion;
        meta.Uid = null;
        meta.CreationTimestamp = null;
        meta.DeletionTimestamp = null;
        meta.DeletionGracePeriodSeconds = null;
        meta.SelfLink = null;
        meta.ResourceVersion = null;
        definition.Strategy.PrepareForCreate(obj);

        var generate = string.IsNullOrEmpty(meta.Name) && !string.IsNullOrEmpty(meta.GenerateName);
        for (var attempt = 0; ; attempt++)
        {
            if (generate)
            {
                meta.Name = GenerateName(meta.GenerateName!);
            }

            Validate(definition, meta.Name ?? "", definition.Strategy.Validate(obj));
            if (!string.IsNullOrEmpty(requestedVersion))
            {
                throw StatusErrors.PlainError("resourceVersion should not be set on objects to be created");
            }

            var now = Now;
            meta.Uid = Guid.NewGuid().ToString();
            meta.CreationTimestamp = now;
            meta.ManagedFields = appliedFields ?? ManagedFields.RecordUpdate(null, null, KubeJson.ToNode(obj), definition.ObjectType,
                options.FieldManager, definition.ApiVersion, now);
            var key = definition.Key(meta.Namespace, meta.Name!);
            try
            {
                await store.MutateAsync(key, (current, revision) =>
                {
                    if (current is not null)
                    {
                        var existing = ObjectCodec.Decode(definition, current.Body);
                        if (existing.Metadata.DeletionTimestamp is not null)
                        {
                            throw new KubeApiException(new Status
                            {
                                Outcome = "Failure", Code = 409, Reason = "AlreadyExists",
                                Message = $"object is being deleted: {definition.GroupResource} \"{meta.Name}\" already exists",
                                Details = new StatusDetails { Name = meta.Name, Group = definition.Group, Kind = definition.Plural },
                            });
                        }

                        throw generate && attempt >= 7
                            ? StatusErrors.GenerateNameConflict(definition.GroupResource, meta.Name!)
                            : StatusErrors.AlreadyExists(definition.GroupResource, meta.Name!);
                    }

                    meta.ResourceVersion = revision.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    return new Mutation.Put(ObjectCodec.Encode(obj));
                }, options.DryRun, cancellationToken);
            }
            catch (KubeApiException error) when (generate && attempt < 7 && error.Status.Reason == "AlreadyExists")
            {
                continue;
            }

            if (options.DryRun)
            {
                meta.ResourceVersion = null;
            }

            return obj;
        }
    }

    /// <summary>Checks that need the writer's identity (RBAC escalation prevention), before preparation and validation.</summary>
    private void Admit(ResourceDefinition definition, KubeObject obj, KubeObject? old, WriteOptions options)
    {
        if (options.User is null)
        {
            return;
        }

        foreach (var admission in admissions)
        {
            admission.Admit(definition, obj, old, options.User);
        }
    }

    private static string GenerateName(string prefix)
    {
        if (prefix.Length > 58)
        {
            prefix = prefix[..58];
        }

        Span<char> suffix = stackalloc char[5];
        for (var i = 0; i < suffix.Length; i++)
        {
            suffix[i] = GenerateNameAlphabet[RandomNumberGenerator.GetInt32(GenerateNameAlphabet.Length)];
        }

        return prefix + new string(suffix);
    }

    private static void Validate(ResourceDefinition definition, string name, IReadOnlyList<Validation.FieldError> errors)
    {
        if (errors.Count > 0)
        {
            throw StatusErrors.Invalid(definition.Kind, definition.Group, name, errors);
        }
    }

    public async Task GetAsync(HttpContext context, ResourceDefinition definition, string? ns, string name)
    {
        var output = KubeHttp.Negotiate(context.Request);
        var entry = store.Current.Get(definition.KeyPrefix, definition.Key(ns, name))
                    ?? throw StatusErrors.NotFound(definition.GroupResource, name);
        switch (output.Form)
        {
            case OutputForm.Table:
                var obj = ObjectCodec.Decode(definition, entry.Body);
                var includeObject = ListHandlers.IncludeObject(context.Request);
                await KubeHttp.WriteNodeAsync(context, 200, definition.Strategy.Table.Render([obj],
                    new ListMeta { ResourceVersion = obj.Metadata.ResourceVersion }, output.MetaVersion, includeObject, true, clock.GetUtcNow()));
                return;
            case OutputForm.PartialObjectMetadata:
                await KubeHttp.WriteNodeAsync(context, 200, ListHandlers.PartialMetadata(ObjectCodec.Decode(definition, entry.Body), output.MetaVersion));
                return;
            case OutputForm.PartialObjectMetadataList:
                throw StatusErrors.NotAcceptable($"you requested PartialObjectMetadataList, but the requested object is not a list (*v1.{definition.Kind})");
            default:
                await KubeHttp.WriteJsonAsync(context, 200, ObjectCodec.WithTypeMeta(definition, entry.Body));
                return;
        }
    }

    public async Task UpdateAsync(HttpContext context, ResourceDefinition definition, string? ns, string name)
    {
        var options = WriteOptions.Parse(context.Request, "UpdateOptions");
        var body = KubeHttp.BodyAsJson(context.Request, await KubeHttp.ReadBodyAsync(context.Request, context.RequestAborted));
        var warnings = new List<string>();
        var obj = DecodeAndDefault(definition, body, options.FieldValidation, warnings);
        CheckIdentity(definition, obj, ns, name);

        var (result, created) = await UpdateAsync(definition, ns, name, _ => obj, options, warnings, "Update", context.RequestAborted);
        KubeHttp.AddWarnings(context.Response, warnings);
        await KubeHttp.WriteJsonAsync(context, created ? 201 : 200, KubeJson.SerializeToUtf8(result));
    }

    private static void CheckIdentity(ResourceDefinition definition, KubeObject obj, string? ns, string name)
    {
        if (string.IsNullOrEmpty(obj.Metadata.Name))
        {
            obj.Metadata.Name = name;
        }
        else if (obj.Metadata.Name != name)
        {
            throw StatusErrors.BadRequest($"the name of the object ({obj.Metadata.Name}) does not match the name on the URL ({name})");
        }

        if (!definition.Namespaced)
        {
            obj.Metadata.Namespace = null;
        }
        else if (string.IsNullOrEmpty(obj.Metadata.Namespace))
        {
            obj.Metadata.Namespace = ns;
        }
        else if (obj.Metadata.Namespace != ns)
        {
            throw StatusErrors.BadRequest($"the namespace of the object ({obj.Metadata.Namespace}) does not match the namespace on the request ({ns})");
        }
    }

    /// <summary>Builds the new object from the current one; null current means the object does not exist.</summary>
    private delegate KubeObject Transform(KubeObject? current);

    /// <summary>
    /// The update path shared by PUT and the non-apply patches: optimistic concurrency, immutable fields,
    /// validation, managedFields, no-op detection and finalizer-driven deletion, in one store transaction.
    /// </summary>
    private async Task<(KubeObject Result, bool Created)> UpdateAsync(ResourceDefinition definition, string? ns, string name,
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
            return (await CreateAsync(definition, fresh, options, warnings, cancellationToken), true);
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

    /// <summary>Create for another API view of this kind (OpenShift's): admission, then the generic create path.</summary>
    public Task<KubeObject> CreateObjectAsync(ResourceDefinition definition, KubeObject obj, WriteOptions options, List<string> warnings,
        CancellationToken cancellationToken)
    {
        CheckNamespaceExists(definition, obj.Metadata.Namespace, obj.Metadata.Name);
        return CreateAsync(definition, obj, options, warnings, cancellationToken);
    }

    /// <summary>The <c>Exception.Data</c> key of the position in a batch of the object a batch create refused.</summary>
    public const string BatchIndex = "BindingServer.BatchIndex";

    /// <summary>
    /// Creates a batch of already decoded and defaulted objects in one store transaction, as fixtures are loaded: each is
    /// validated as a POST would validate it, objects whose key already exists are left as they are, and a namespaced
    /// object needs its namespace in the store or in the batch. Any failure leaves the store untouched.
    /// </summary>
    /// <param name="alongside">More writes for the same transaction, given the snapshot and the revision its first write takes.</param>
    /// <returns>Each object with whether it was created (false: it existed already).</returns>
    /// <exception cref="KubeApiException">The refusal of one object, with its position in the batch under <see cref="BatchIndex"/> in <c>Data</c>.</exception>
    public async Task<IReadOnlyList<(ResourceDefinition Definition, KubeObject Object, bool Created)>> CreateManyAsync(
        IReadOnlyList<(ResourceDefinition Definition, KubeObject Object)> batch, string fieldManager, CancellationToken cancellationToken,
        Func<Snapshot, long, IEnumerable<(string Key, Mutation Mutation)>>? alongside = null)
    {
        var now = Now;
        for (var index = 0; index < batch.Count; index++)
        {
            try
            {
                PrepareBatchItem(batch[index].Definition, batch[index].Object, fieldManager, now);
            }
            catch (KubeApiException error)
            {
                error.Data[BatchIndex] = index;
                throw;
            }
        }

        var results = new List<(ResourceDefinition, KubeObject, bool)>();
        await store.MutateManyAsync(snapshot =>
        {
            results.Clear();
            var writes = new List<(string, Mutation)>();
            var batchKeys = new HashSet<string>(StringComparer.Ordinal);
            var incoming = batch.Select(b => b.Definition.Key(b.Object.Metadata.Namespace, b.Object.Metadata.Name!)).ToHashSet(StringComparer.Ordinal);
            for (var index = 0; index < batch.Count; index++)
            {
                var (definition, obj) = batch[index];
                var key = definition.Key(obj.Metadata.Namespace, obj.Metadata.Name!);
                if (snapshot.Get(definition.KeyPrefix, key) is not null || !batchKeys.Add(key))
                {
                    results.Add((definition, obj, false));
                    continue;
                }

                if (definition.Namespaced && catalog.Namespaces is { } namespaces)
                {
                    var namespaceKey = namespaces.Key(null, obj.Metadata.Namespace ?? "");
                    if (snapshot.Get(namespaces.KeyPrefix, namespaceKey) is null && !incoming.Contains(namespaceKey))
                    {
                        var missing = StatusErrors.NotFound(namespaces.GroupResource, obj.Metadata.Namespace ?? "");
                        missing.Data[BatchIndex] = index;
                        throw missing;
                    }
                }

                // Each write of the transaction takes the next revision, in order.
                obj.Metadata.ResourceVersion = (snapshot.Revision + writes.Count + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
                writes.Add((key, new Mutation.Put(ObjectCodec.Encode(obj))));
                results.Add((definition, obj, true));
            }

            if (alongside is not null)
            {
                writes.AddRange(alongside(snapshot, snapshot.Revision + writes.Count + 1));
            }

            return writes;
        }, cancellationToken);
        return results;
    }

    /// <summary>What the create path does to an object before it is stored: server fields, preparation, validation.</summary>
    private static void PrepareBatchItem(ResourceDefinition definition, KubeObject obj, string fieldManager, DateTimeOffset now)
    {
        var meta = obj.Metadata;
        if (!string.IsNullOrEmpty(meta.ResourceVersion))
        {
            throw StatusErrors.PlainError("resourceVersion should not be set on objects to be created");
        }

        meta.DeletionTimestamp = null;
        meta.DeletionGracePeriodSeconds = null;
        meta.SelfLink = null;
        definition.Strategy.PrepareForCreate(obj);
        if (string.IsNullOrEmpty(meta.Name) && !string.IsNullOrEmpty(meta.GenerateName))
        {
            meta.Name = GenerateName(meta.GenerateName);
        }

        Validate(definition, meta.Name ?? "", definition.Strategy.Validate(obj));
        meta.Uid = Guid.NewGuid().ToString();
        meta.CreationTimestamp = now;
        meta.ManagedFields = ManagedFields.RecordUpdate(null, null, KubeJson.ToNode(obj), definition.ObjectType, fieldManager, definition.ApiVersion, now);
    }

    /// <summary>Update for another API view: the generic update path, never creating.</summary>
    public async Task<KubeObject> UpdateObjectAsync(ResourceDefinition definition, string? ns, string name, Func<KubeObject, KubeObject> change,
        WriteOptions options, List<string> warnings, CancellationToken cancellationToken)
    {
        var (result, _) = await UpdateAsync(definition, ns, name, current => change(current!), options, warnings, "Update", cancellationToken,
            allowCreate: false);
        return result;
    }

    /// <summary>Creates an object the server itself keeps present (the initial namespaces), unless it exists.</summary>
    public async Task EnsureExistsAsync(ResourceDefinition definition, KubeObject obj, CancellationToken cancellationToken)
    {
        if (store.Current.Get(definition.KeyPrefix, definition.Key(obj.Metadata.Namespace, obj.Metadata.Name!)) is not null)
        {
            return;
        }

        definition.Strategy.ApplyDefaults(obj);
        try
        {
            await CreateAsync(definition, obj, new WriteOptions(false, "kube-apiserver", FieldValidation.Ignore, false), [], cancellationToken);
        }
        catch (KubeApiException error) when (error.Status.Reason == "AlreadyExists")
        {
        }
    }

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

    /// <summary>A metadata-only update made by the server itself (the garbage collector's finalizer and owner changes).</summary>
    public Task UpdateMetadataAsync(ResourceDefinition definition, KubeObject target, Action<ObjectMeta> change, CancellationToken cancellationToken) =>
        UpdateAsync(definition, target.Metadata.Namespace, target.Metadata.Name!, current =>
        {
            var copy = KubeJson.Clone(current!);
            copy.Metadata.ResourceVersion = null;
            change(copy.Metadata);
            return copy;
        }, new WriteOptions(false, "kube-controller-manager", FieldValidation.Ignore, false), [], "Update", cancellationToken, allowCreate: false);

    public async Task PatchAsync(HttpContext context, ResourceDefinition definition, string? ns, string name)
    {
        var mediaType = KubeHttp.MediaType(context.Request);
        var isApply = mediaType == "application/apply-patch+yaml";
        if (mediaType is not ("application/json-patch+json" or "application/merge-patch+json" or "application/strategic-merge-patch+json") && !isApply)
        {
            throw StatusErrors.UnsupportedMediaType(
                "application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml");
        }

        var options = WriteOptions.Parse(context.Request, "PatchOptions", isApply);
        var patch = await KubeHttp.ReadBodyAsync(context.Request, context.RequestAborted);
        var warnings = new List<string>();
        KubeObject result;
        var created = false;
        if (isApply)
        {
            (result, created) = await ApplyAsync(definition, ns, name, patch, options, warnings, context.RequestAborted);
        }
        else
        {
            var patchNode = mediaType == "application/json-patch+json" ? null : ParsePatch(patch);
            (result, _) = await UpdateAsync(definition, ns, name, current =>
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
            }, options, warnings, "Update", context.RequestAborted, allowCreate: false);
        }

        KubeHttp.AddWarnings(context.Response, warnings);
        await KubeHttp.WriteJsonAsync(context, created ? 201 : 200, KubeJson.SerializeToUtf8(result));
    }

    private static JsonObject ParsePatch(byte[] patch)
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

    /// <summary>A server-side apply made by the server itself (a controller's), forcing its ownership.</summary>
    public Task<(KubeObject Result, bool Created)> ApplyObjectAsync(ResourceDefinition definition, string? ns, string name, JsonObject intent,
        string fieldManager, CancellationToken cancellationToken) =>
        ApplyAsync(definition, ns, name, System.Text.Encoding.UTF8.GetBytes(intent.ToJsonString()),
            new WriteOptions(false, fieldManager, FieldValidation.Strict, true), [], cancellationToken);

    private async Task<(KubeObject Result, bool Created)> ApplyAsync(ResourceDefinition definition, string? ns, string name, byte[] patch,
        WriteOptions options, List<string> warnings, CancellationToken cancellationToken)
    {
        if (YamlConversion.ToJson(patch) is not JsonObject intent)
        {
            throw StatusErrors.BadRequest("error decoding YAML: the applied configuration is not an object");
        }

        // Read as the apiserver reads an unstructured object: an apiVersion that is not a string is none.
        var apiVersion = KubeJson.Text(intent["apiVersion"]) ?? "";
        if (apiVersion != definition.ApiVersion)
        {
            throw StatusErrors.BadRequest(
                $"Incorrect version specified in apply patch. Specified patch version: {apiVersion}, expected: {definition.ApiVersion}");
        }

        if (intent["metadata"] is JsonObject metadata && metadata.ContainsKey("managedFields"))
        {
            throw StatusErrors.BadRequest("metadata.managedFields must be nil");
        }

        // Unknown fields in an apply configuration are a plain error (500) on the real server.
        var unknown = new List<string>();
        var typedIntent = BodyDecoder.DecodeObject(definition, intent, FieldValidation.Warn, unknown, [], strictAsPatch: false);
        definition.Strategy.ApplyDefaults(typedIntent);
        var defaultedIntent = KubeJson.ToNode(typedIntent);
        if (unknown.Count > 0)
        {
            var field = unknown[0]["unknown field \"".Length..^1];
            var gvk = definition.Group.Length == 0 ? $"/{definition.Version}, Kind={definition.Kind}" : $"{definition.ApiVersion}, Kind={definition.Kind}";
            throw StatusErrors.PlainError($"failed to create typed patch object ({ns}/{name}; {gvk}): .{field}: field not declared in schema");
        }

        var now = Now;
        var current = store.Current.Get(definition.KeyPrefix, definition.Key(ns, name));
        if (current is null && definition.Subresource is not null)
        {
            throw StatusErrors.NotFound(definition.GroupResource, name);
        }

        if (current is null)
        {
            var (merged, entries) = ManagedFields.Apply(null, null, intent, defaultedIntent, definition.ObjectType, options.FieldManager, definition.ApiVersion, false, now);
            var obj = BodyDecoder.DecodeObject(definition, merged, FieldValidation.Ignore, warnings, [], strictAsPatch: false);
            definition.Strategy.ApplyDefaults(obj);
            CheckIdentity(definition, obj, ns, name);
            CheckNamespaceExists(definition, obj.Metadata.Namespace);
            return (await CreateAsync(definition, obj, options, warnings, cancellationToken, entries), true);
        }

        return await UpdateAsync(definition, ns, name, old =>
        {
            var live = KubeJson.ToNode(old!);
            var (merged, entries) = ManagedFields.Apply(live, old!.Metadata.ManagedFields, intent, defaultedIntent, definition.ObjectType,
                options.FieldManager, definition.ApiVersion, options.Force, now, definition.Subresource);
            var obj = BodyDecoder.DecodeObject(definition, merged, FieldValidation.Ignore, warnings, [], strictAsPatch: false);
            definition.Strategy.ApplyDefaults(obj);
            CheckIdentity(definition, obj, ns, name);
            obj.Metadata.ManagedFields = entries;
            return obj;
        }, options, warnings, "Apply", cancellationToken, allowCreate: false);
    }

    public async Task DeleteAsync(HttpContext context, ResourceDefinition definition, string? ns, string name)
    {
        var options = await DeleteOptions.ReadAsync(context.Request, context.RequestAborted);
        var (obj, deleted) = await DeleteAsync(definition, ns, name, options, context.RequestAborted);
        var code = !deleted && options.OrphanDependents == false ? 202 : 200;
        if (deleted && definition.Strategy.DeleteResponse == DeleteResponse.Status)
        {
            // The RBAC stores answer a Success Status without a code field.
            await KubeHttp.WriteJsonAsync(context, code, KubeJson.SerializeToUtf8(new Status
            {
                Outcome = "Success",
                Details = new StatusDetails { Name = name, Group = definition.Group, Kind = definition.Plural, Uid = obj.Metadata.Uid },
            }));
            return;
        }

        await KubeHttp.WriteJsonAsync(context, code, KubeJson.SerializeToUtf8(obj));
    }

    /// <summary>Deletes one object, or only marks it when finalizers must run first. Returns whether it is gone.</summary>
    public async Task<(KubeObject Object, bool Deleted)> DeleteAsync(ResourceDefinition definition, string? ns, string name,
        DeleteOptions options, CancellationToken cancellationToken)
    {
        var key = definition.Key(ns, name);
        KubeObject? result = null;
        var deleted = false;
        await store.MutateAsync(key, (entry, revision) =>
        {
            if (entry is null)
            {
                throw StatusErrors.NotFound(definition.GroupResource, name);
            }

            var obj = ObjectCodec.Decode(definition, entry.Body);
            options.CheckPreconditions(definition, obj, key);
            result = obj;
            var meta = obj.Metadata;
            var finalizers = meta.Finalizers ?? [];
            var added = options.PropagationPolicy switch
            {
                "Foreground" => "foregroundDeletion",
                "Orphan" => "orphan",
                _ => null,
            };
            if (added is not null && !finalizers.Contains(added))
            {
                finalizers = [.. finalizers, added];
            }

            if (finalizers.Count == 0)
            {
                switch (definition.Strategy.PlanDelete(obj, options, Now))
                {
                    case DeletePlan.Graceful graceful:
                        meta.DeletionTimestamp = graceful.DeletionTimestamp;
                        meta.DeletionGracePeriodSeconds = graceful.GracePeriodSeconds;
                        meta.ResourceVersion = revision.ToString(System.Globalization.CultureInfo.InvariantCulture);
                        return new Mutation.Put(ObjectCodec.Encode(obj));
                    case DeletePlan.Unchanged:
                        return Mutation.None;
                    default:
                        deleted = true;
                        meta.ResourceVersion = revision.ToString(System.Globalization.CultureInfo.InvariantCulture);
                        return new Mutation.Delete(ObjectCodec.Encode(obj));
                }
            }

            if (meta.DeletionTimestamp is not null && finalizers.Count == (meta.Finalizers?.Count ?? 0))
            {
                return Mutation.None;
            }

            meta.Finalizers = finalizers;
            meta.DeletionTimestamp ??= Now;
            meta.DeletionGracePeriodSeconds ??= 0;
            meta.ResourceVersion = revision.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return new Mutation.Put(ObjectCodec.Encode(obj));
        }, options.DryRun, cancellationToken);
        return (result!, deleted);
    }

    public async Task DeleteCollectionAsync(HttpContext context, ResourceDefinition definition, string? ns)
    {
        var options = await DeleteOptions.ReadAsync(context.Request, context.RequestAborted);
        var listOptions = ListOptions.Parse(context.Request, definition, forDeleteCollection: true);
        var snapshot = store.Current;
        var items = new List<KubeObject>();
        foreach (var entry in snapshot.List(definition.KeyPrefix, ListHandlers.ScopePrefix(definition, ns)))
        {
            var obj = ObjectCodec.Decode(definition, entry.Body);
            if (!listOptions.Matches(definition, obj))
            {
                continue;
            }

            try
            {
                var (deleted, _) = await DeleteAsync(definition, obj.Metadata.Namespace, obj.Metadata.Name!, options, context.RequestAborted);
                deleted.Kind = null;
                deleted.ApiVersion = null;
                items.Add(deleted);
            }
            catch (KubeApiException error) when (error.Status.Code == 404)
            {
                // Deleted concurrently; the real server skips these too.
            }
        }

        var list = new JsonObject
        {
            ["kind"] = definition.ListKind,
            ["apiVersion"] = definition.ApiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = store.Current.Revision.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            ["items"] = new JsonArray(items.Select(i => (JsonNode)KubeJson.ToNode(i)).ToArray()),
        };
        await KubeHttp.WriteNodeAsync(context, 200, list);
    }
}
