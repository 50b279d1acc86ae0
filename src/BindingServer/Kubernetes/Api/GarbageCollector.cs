using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Model;
using BindingServer.Storage;

namespace BindingServer.Kubernetes.Api;

/// <summary>
/// Plays kube-controller-manager's garbage collector, which a real cluster runs beside the apiserver: without it
/// foreground and orphan deletions would wait forever and dependents would outlive their owners.
/// It removes the <c>foregroundDeletion</c> finalizer once dependents are gone, the <c>orphan</c> finalizer once
/// dependents are released, and deletes dependents whose owners have all gone.
/// </summary>
public sealed class GarbageCollector(ObjectStore store, ResourceCatalog catalog, ResourceRegistry registry, ILogger<GarbageCollector> logger)
    : BackgroundService
{
    public const string Foreground = "foregroundDeletion";
    public const string Orphan = "orphan";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var feed = await store.FollowFromNowAsync(stoppingToken);
        var index = new OwnershipIndex();
        foreach (var definition in catalog.Definitions)
        {
            foreach (var entry in feed.Start.List(definition.KeyPrefix, definition.KeyPrefix))
            {
                index.Put(entry.Key, entry.Body);
            }
        }

        try
        {
            await foreach (var change in feed.Live.ReadAllAsync(stoppingToken))
            {
                if (change.Type == ChangeType.Deleted)
                {
                    index.Remove(change.Key);
                }
                else
                {
                    index.Put(change.Key, change.Body);
                }

                try
                {
                    await HandleAsync(change, index, stoppingToken);
                }
                catch (KubeApiException error)
                {
                    // A concurrent client change won the race; the next event for the object retries.
                    logger.LogDebug("garbage collection of {Key} deferred: {Message}", change.Key, error.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task HandleAsync(StoreChange change, OwnershipIndex index, CancellationToken cancellationToken)
    {
        // Only a deletion, or an object being deleted, can have something to collect; most writes are neither, and
        // the stored JSON names deletionTimestamp only when it is set.
        if (change.Type != ChangeType.Deleted && change.Body.AsSpan().IndexOf("\"deletionTimestamp\""u8) < 0)
        {
            return;
        }

        var definition = DefinitionOf(change.Key);
        if (definition is null)
        {
            return;
        }

        var obj = ObjectCodec.Decode(definition, change.Body);
        var uid = obj.Metadata.Uid ?? "";
        if (change.Type == ChangeType.Deleted)
        {
            await DeleteOrphanedDependentsAsync(uid, index, cancellationToken);
            await RevisitWaitingOwnersAsync(obj, index, cancellationToken);
            return;
        }

        await FinishDeletionAsync(definition, obj, index, cancellationToken);
    }

    private ResourceDefinition? DefinitionOf(string key) =>
        catalog.Definitions.Where(d => key.StartsWith(d.KeyPrefix, StringComparison.Ordinal)).MaxBy(d => d.KeyPrefix.Length);

    /// <summary>An owner in foreground deletion waits for its last dependent; look at it again when one goes.</summary>
    private async Task RevisitWaitingOwnersAsync(KubeObject deleted, OwnershipIndex index, CancellationToken cancellationToken)
    {
        foreach (var reference in deleted.Metadata.OwnerReferences ?? [])
        {
            if (Owner(reference, deleted.Metadata.Namespace) is var (definition, owner) && owner.Metadata.Uid == reference.Uid)
            {
                await FinishDeletionAsync(definition, owner, index, cancellationToken);
            }
        }
    }

    /// <summary>The object an owner reference names by its coordinates (kind, name, and the dependent's namespace for a namespaced owner).</summary>
    private (ResourceDefinition Definition, KubeObject Object)? Owner(OwnerReference reference, string? dependentNamespace) =>
        OwnerDefinition(reference) is { } definition
            ? Lookup(definition.Key(definition.Namespaced ? dependentNamespace : null, reference.Name ?? ""))
            : null;

    private ResourceDefinition? OwnerDefinition(OwnerReference reference) =>
        catalog.Definitions.FirstOrDefault(d => d.ApiVersion == reference.ApiVersion && d.Kind == reference.Kind);

    /// <summary>
    /// As kube-controller-manager's isDangling: an owner is gone when nothing with its uid stands at its coordinates. An
    /// owner of a kind not served here cannot be checked, and counts as present, as the real collector retries rather
    /// than deletes.
    /// </summary>
    private bool IsDangling(OwnerReference reference, string? dependentNamespace) =>
        OwnerDefinition(reference) is not null &&
        (Owner(reference, dependentNamespace) is not { } found || found.Object.Metadata.Uid != reference.Uid);

    /// <summary>The object stored now under a key, decoded; null when there is none.</summary>
    private (ResourceDefinition Definition, KubeObject Object)? Lookup(string? key)
    {
        if (key is null || DefinitionOf(key) is not { } definition || store.Current.Get(definition.KeyPrefix, key) is not { } entry)
        {
            return null;
        }

        return (definition, ObjectCodec.Decode(definition, entry.Body));
    }

    private async Task FinishDeletionAsync(ResourceDefinition definition, KubeObject obj, OwnershipIndex index, CancellationToken cancellationToken)
    {
        var uid = obj.Metadata.Uid ?? "";
        var finalizers = obj.Metadata.Finalizers ?? [];
        if (obj.Metadata.DeletionTimestamp is null || !(finalizers.Contains(Foreground) || finalizers.Contains(Orphan)))
        {
            return;
        }

        var dependents = Dependents(uid, index);
        if (finalizers.Contains(Orphan))
        {
            foreach (var (dependentDefinition, dependent) in dependents)
            {
                await registry.UpdateMetadataAsync(dependentDefinition, dependent, m =>
                    m.OwnerReferences = m.OwnerReferences?.Where(o => o.Uid != uid).ToList() is { Count: > 0 } rest ? rest : null, cancellationToken);
            }

            await registry.UpdateMetadataAsync(definition, obj, m => m.Finalizers = Without(m.Finalizers, Orphan), cancellationToken);
            return;
        }

        if (dependents.Count == 0)
        {
            await registry.UpdateMetadataAsync(definition, obj, m => m.Finalizers = Without(m.Finalizers, Foreground), cancellationToken);
            return;
        }

        foreach (var (dependentDefinition, dependent) in dependents.Where(d => d.Object.Metadata.DeletionTimestamp is null))
        {
            await registry.DeleteAsync(dependentDefinition, dependent.Metadata.Namespace, dependent.Metadata.Name!,
                new DeleteOptions(false, null, null, null, "Foreground", null), cancellationToken);
        }
    }

    private static List<string>? Without(List<string>? finalizers, string finalizer) =>
        finalizers?.Where(f => f != finalizer).ToList() is { Count: > 0 } rest ? rest : null;

    /// <summary>The objects that name an owner, from the index rather than a scan of the store.</summary>
    private List<(ResourceDefinition Definition, KubeObject Object)> Dependents(string ownerUid, OwnershipIndex index) =>
        index.DependentsOf(ownerUid).Select(Lookup).OfType<(ResourceDefinition, KubeObject)>()
            .Where(d => d.Item2.Metadata.OwnerReferences?.Any(o => o.Uid == ownerUid) == true).ToList();

    private async Task DeleteOrphanedDependentsAsync(string ownerUid, OwnershipIndex index, CancellationToken cancellationToken)
    {
        foreach (var (definition, dependent) in Dependents(ownerUid, index))
        {
            if (dependent.Metadata.OwnerReferences!.All(o => IsDangling(o, dependent.Metadata.Namespace)) && dependent.Metadata.DeletionTimestamp is null)
            {
                try
                {
                    await registry.DeleteAsync(definition, dependent.Metadata.Namespace, dependent.Metadata.Name!,
                        new DeleteOptions(false, null, null, null, "Background", null), cancellationToken);
                }
                catch (KubeApiException error) when (error.HttpCode == 404)
                {
                }
            }
        }
    }
}
