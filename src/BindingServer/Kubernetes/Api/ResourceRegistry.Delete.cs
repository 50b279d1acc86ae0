using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Model;
using BindingServer.Storage;

namespace BindingServer.Kubernetes.Api;

/// <summary>Deletion: one object, or every object a deletecollection's selectors match.</summary>
public sealed partial class ResourceRegistry
{
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

    /// <summary>Deletes, one by one, the objects of the current snapshot that match; returns them as each delete left them.</summary>
    public async Task<List<KubeObject>> DeleteCollectionAsync(ResourceDefinition definition, string? ns, ListOptions listOptions, DeleteOptions options,
        CancellationToken cancellationToken)
    {
        var items = new List<KubeObject>();
        foreach (var entry in store.Current.List(definition.KeyPrefix, ListHandlers.ScopePrefix(definition, ns)))
        {
            var obj = ObjectCodec.Decode(definition, entry.Body);
            if (!listOptions.Matches(definition, obj))
            {
                continue;
            }

            try
            {
                var (deleted, _) = await DeleteAsync(definition, obj.Metadata.Namespace, obj.Metadata.Name!, options, cancellationToken);
                items.Add(deleted);
            }
            catch (KubeApiException error) when (error.Status.Code == 404)
            {
                // Deleted concurrently; the real server skips these too.
            }
        }

        return items;
    }
}
