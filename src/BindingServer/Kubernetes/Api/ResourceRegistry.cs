using System.Security.Cryptography;
using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.Patching;
using BindingServer.Storage;

namespace BindingServer.Kubernetes.Api;

/// <summary>
/// The generic writes, with no HTTP in sight: create, update, patch and delete for every kind, and the server's own writes
/// (controllers, fixtures, the OpenShift views). Each follows the apiserver's order of checks so the first error a
/// client sees is the one a real server gives. This part holds the create path and what every write shares.
/// </summary>
public sealed partial class ResourceRegistry(ObjectStore store, ResourceCatalog catalog, TimeProvider clock, IEnumerable<IWriteAdmission> admissions)
{
    private const string GenerateNameAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    /// <summary>The <c>Exception.Data</c> key of the position in a batch of the object a batch create refused.</summary>
    public const string BatchIndex = "BindingServer.BatchIndex";

    internal DateTimeOffset Now => KubeTimeConverter.Truncate(clock.GetUtcNow());

    internal bool Exists(ResourceDefinition definition, string? ns, string name) =>
        store.Current.Get(definition.KeyPrefix, definition.Key(ns, name)) is not null;

    /// <summary>POST: the object goes into the request's namespace, which must exist, then through the create path.</summary>
    public Task<KubeObject> CreateAsync(ResourceDefinition definition, string? ns, KubeObject obj, WriteOptions options, List<string> warnings,
        CancellationToken cancellationToken)
    {
        PlaceNamespace(definition, obj, ns, _ => "the namespace of the provided object does not match the namespace sent on the request");
        return CreateObjectAsync(definition, obj, options, warnings, cancellationToken);
    }

    /// <summary>
    /// Create of an object already in its namespace, for POST and for another API view of this kind (OpenShift's): the
    /// namespace admission check, then the generic create path.
    /// </summary>
    public Task<KubeObject> CreateObjectAsync(ResourceDefinition definition, KubeObject obj, WriteOptions options, List<string> warnings,
        CancellationToken cancellationToken)
    {
        CheckNamespaceExists(definition, obj.Metadata.Namespace, obj.Metadata.Name);
        return CreateNewAsync(definition, obj, options, warnings, cancellationToken);
    }

    /// <summary>
    /// Puts the object in the request's namespace, or in none for a cluster-scoped kind. An object that names another
    /// namespace is refused; create and update word that refusal differently, as the apiserver does.
    /// </summary>
    private static void PlaceNamespace(ResourceDefinition definition, KubeObject obj, string? ns, Func<string, string> mismatch)
    {
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
            throw StatusErrors.BadRequest(mismatch(obj.Metadata.Namespace));
        }
    }

    /// <summary>An update's object takes the URL's name and namespace, and may not name others.</summary>
    internal static void CheckIdentity(ResourceDefinition definition, KubeObject obj, string? ns, string name)
    {
        if (string.IsNullOrEmpty(obj.Metadata.Name))
        {
            obj.Metadata.Name = name;
        }
        else if (obj.Metadata.Name != name)
        {
            throw StatusErrors.BadRequest($"the name of the object ({obj.Metadata.Name}) does not match the name on the URL ({name})");
        }

        PlaceNamespace(definition, obj, ns, given => $"the namespace of the object ({given}) does not match the namespace on the request ({ns})");
    }

    /// <summary>The NamespaceLifecycle admission check: writes into a missing namespace are a 404.</summary>
    internal void CheckNamespaceExists(ResourceDefinition definition, string? ns, string? name = null)
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

    private static void Validate(ResourceDefinition definition, string name, IReadOnlyList<Validation.FieldError> errors)
    {
        if (errors.Count > 0)
        {
            throw StatusErrors.Invalid(definition.Kind, definition.Group, name, errors);
        }
    }

    /// <summary>Creates an object the server itself keeps present (the initial namespaces), unless it exists.</summary>
    public async Task EnsureExistsAsync(ResourceDefinition definition, KubeObject obj, CancellationToken cancellationToken)
    {
        if (Exists(definition, obj.Metadata.Namespace, obj.Metadata.Name!))
        {
            return;
        }

        definition.Strategy.ApplyDefaults(obj);
        try
        {
            await CreateNewAsync(definition, obj, new WriteOptions(false, "kube-apiserver", FieldValidation.Ignore, false), [], cancellationToken);
        }
        catch (KubeApiException error) when (error.Status.Reason == "AlreadyExists")
        {
        }
    }

    /// <summary>The create path shared by POST, PUT-creates and apply-creates: prepare, validate, store.</summary>
    internal async Task<KubeObject> CreateNewAsync(ResourceDefinition definition, KubeObject obj, WriteOptions options, List<string> warnings,
        CancellationToken cancellationToken, List<ManagedFieldsEntry>? appliedFields = null)
    {
        var prepared = PrepareCreate(definition, obj, options);
        var meta = obj.Metadata;
        for (var attempt = 0; ; attempt++)
        {
            CompleteCreate(definition, obj, prepared, options.FieldManager, Now, appliedFields);
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

                        throw prepared.GenerateName && attempt >= 7
                            ? StatusErrors.GenerateNameConflict(definition.GroupResource, meta.Name!)
                            : StatusErrors.AlreadyExists(definition.GroupResource, meta.Name!);
                    }

                    meta.ResourceVersion = revision.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    return new Mutation.Put(ObjectCodec.Encode(obj));
                }, options.DryRun, cancellationToken);
            }
            catch (KubeApiException error) when (prepared.GenerateName && attempt < 7 && error.Status.Reason == "AlreadyExists")
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

    /// <summary>What a create learnt while preparing: the resourceVersion the client sent, and whether the name is generated.</summary>
    private readonly record struct CreatePreparation(string? RequestedVersion, bool GenerateName);

    /// <summary>
    /// The first half of every create, a single one or a batch's: admission, the server's fields cleared, the kind's
    /// preparation. A sent resourceVersion is remembered and refused only after validation, as the apiserver refuses it.
    /// </summary>
    private CreatePreparation PrepareCreate(ResourceDefinition definition, KubeObject obj, WriteOptions options)
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
        return new CreatePreparation(requestedVersion, string.IsNullOrEmpty(meta.Name) && !string.IsNullOrEmpty(meta.GenerateName));
    }

    /// <summary>The second half, again for each generated name: name, validation, then the fields the server owns.</summary>
    private static void CompleteCreate(ResourceDefinition definition, KubeObject obj, CreatePreparation prepared, string fieldManager,
        DateTimeOffset now, List<ManagedFieldsEntry>? appliedFields)
    {
        var meta = obj.Metadata;
        if (prepared.GenerateName)
        {
            meta.Name = GenerateName(meta.GenerateName!);
        }

        Validate(definition, meta.Name ?? "", definition.Strategy.Validate(obj));
        if (!string.IsNullOrEmpty(prepared.RequestedVersion))
        {
            throw StatusErrors.PlainError("resourceVersion should not be set on objects to be created");
        }

        meta.Uid = Guid.NewGuid().ToString();
        meta.CreationTimestamp = now;
        meta.ManagedFields = appliedFields ?? ManagedFields.RecordUpdate(null, null, KubeJson.ToNode(obj), definition.ObjectType,
            fieldManager, definition.ApiVersion, now);
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

    /// <summary>
    /// Creates a batch of already decoded and defaulted objects in one store transaction, as fixtures are loaded: each is
    /// prepared and validated by the create path's own steps, objects whose key already exists are left as they are, and a
    /// namespaced object needs its namespace in the store or in the batch. Any failure leaves the store untouched.
    /// </summary>
    /// <param name="alongside">More writes for the same transaction, given the snapshot and the revision its first write takes.</param>
    /// <returns>Each object with whether it was created (false: it existed already).</returns>
    /// <exception cref="KubeApiException">The refusal of one object, with its position in the batch under <see cref="BatchIndex"/> in <c>Data</c>.</exception>
    public async Task<IReadOnlyList<(ResourceDefinition Definition, KubeObject Object, bool Created)>> CreateManyAsync(
        IReadOnlyList<(ResourceDefinition Definition, KubeObject Object)> batch, string fieldManager, CancellationToken cancellationToken,
        Func<Snapshot, long, IEnumerable<(string Key, Mutation Mutation)>>? alongside = null)
    {
        var now = Now;
        var options = new WriteOptions(false, fieldManager, FieldValidation.Ignore, false);
        for (var index = 0; index < batch.Count; index++)
        {
            var (definition, obj) = batch[index];
            try
            {
                CompleteCreate(definition, obj, PrepareCreate(definition, obj, options), fieldManager, now, null);
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
}
