using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Model;
using BindingServer.Storage;

namespace BindingServer.Kubernetes.Resources.Core;

/// <summary>Configuration section <c>Kubelet</c>.</summary>
public sealed class KubeletOptions
{
    public const string Section = "Kubelet";

    /// <summary>
    /// The longest a gracefully deleted pod stays (Terminating) before the emulated kubelet removes it; the pod's own
    /// grace period applies when shorter. Real kubelets take up to the whole grace period; tests rarely want to wait.
    /// </summary>
    public double TerminationSeconds { get; set; } = 1;
}

/// <summary>
/// Plays the parts of a cluster that run beside the apiserver and that clients wait on: the kubelet finishing graceful
/// pod deletions, the namespace controller emptying terminating namespaces, and the system namespaces controller
/// keeping default, kube-system, kube-public and kube-node-lease present.
/// </summary>
public sealed class CoreControllers(
    ObjectStore store,
    ResourceCatalog catalog,
    ResourceRegistry registry,
    TimeProvider clock,
    Microsoft.Extensions.Options.IOptions<KubeletOptions> kubelet,
    ILogger<CoreControllers> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    public static async Task EnsureSystemNamespacesAsync(ResourceRegistry registry, CancellationToken cancellationToken)
    {
        foreach (var name in NamespaceStrategy.Initial)
        {
            var ns = new Namespace { Kind = "Namespace", ApiVersion = "v1", Metadata = new ObjectMeta { Name = name } };
            await registry.EnsureExistsAsync(NamespaceStrategy.Definition, ns, cancellationToken);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string[] watched = [PodStrategy.Definition.KeyPrefix, NamespaceStrategy.Definition.KeyPrefix];
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var seen = store.Current;
                bool waiting;
                try
                {
                    var podsWaiting = await FinishPodDeletionsAsync(stoppingToken);
                    waiting = await EmptyTerminatingNamespacesAsync(stoppingToken) || podsWaiting;
                }
                catch (KubeApiException error)
                {
                    // A client changed the object meanwhile; the next look sees the new state.
                    logger.LogDebug("controller step deferred: {Message}", error.Message);
                    waiting = true;
                }

                // Grace periods run out and namespaces empty on the clock; otherwise only a changed pod or namespace
                // gives work, so an idle server (or a hundred idle tenants) is not woken to find none.
                if (waiting)
                {
                    await Task.Delay(Interval, clock, stoppingToken);
                }
                else
                {
                    await store.ChangedAsync(seen, watched, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Removes the deleted pods whose grace period is over; true when others still wait for theirs.</summary>
    private async Task<bool> FinishPodDeletionsAsync(CancellationToken cancellationToken)
    {
        var pods = PodStrategy.Definition;
        var now = clock.GetUtcNow();
        var waiting = false;
        foreach (var entry in store.Current.List(pods.KeyPrefix, pods.KeyPrefix))
        {
            var pod = ObjectCodec.Decode(pods, entry.Body);
            if (pod.Metadata.DeletionTimestamp is not { } deadline || (pod.Metadata.Finalizers?.Count ?? 0) > 0)
            {
                continue;
            }

            var grace = pod.Metadata.DeletionGracePeriodSeconds ?? 0;
            var removeAt = deadline.AddSeconds(-grace).AddSeconds(Math.Min(grace, kubelet.Value.TerminationSeconds));
            if (now >= removeAt)
            {
                await DeleteIgnoringMissingAsync(pods, pod, cancellationToken);
            }
            else
            {
                waiting = true;
            }
        }

        return waiting;
    }

    /// <summary>Deletes what terminating namespaces hold and finalizes the empty ones; true while any is still terminating.</summary>
    private async Task<bool> EmptyTerminatingNamespacesAsync(CancellationToken cancellationToken)
    {
        var namespaces = NamespaceStrategy.Definition;
        var terminating = false;
        foreach (var entry in store.Current.List(namespaces.KeyPrefix, namespaces.KeyPrefix))
        {
            var ns = (Namespace)ObjectCodec.Decode(namespaces, entry.Body);
            if (ns.Metadata.DeletionTimestamp is null)
            {
                continue;
            }

            terminating = true;
            var remaining = 0;
            foreach (var definition in catalog.Definitions.Where(d => d.Namespaced))
            {
                foreach (var item in store.Current.List(definition.KeyPrefix, $"{definition.KeyPrefix}{ns.Metadata.Name}/"))
                {
                    remaining++;
                    var obj = ObjectCodec.Decode(definition, item.Body);
                    if (obj.Metadata.DeletionTimestamp is null)
                    {
                        await DeleteIgnoringMissingAsync(definition, obj, cancellationToken);
                    }
                }
            }

            if (remaining == 0 && ns.Spec?.Finalizers?.Contains(NamespaceStrategy.ContentFinalizer) == true)
            {
                await registry.UpdateSubresourceAsync(namespaces, null, ns.Metadata.Name!, obj =>
                {
                    var spec = ((Namespace)obj).Spec!;
                    spec.Finalizers = spec.Finalizers!.Where(f => f != NamespaceStrategy.ContentFinalizer).ToList() is { Count: > 0 } rest ? rest : null;
                }, cancellationToken);
            }
        }

        return terminating;
    }

    private async Task DeleteIgnoringMissingAsync(ResourceDefinition definition, KubeObject obj, CancellationToken cancellationToken)
    {
        try
        {
            await registry.DeleteAsync(definition, obj.Metadata.Namespace, obj.Metadata.Name!,
                new DeleteOptions(false, 0, null, null, "Background", null), cancellationToken);
        }
        catch (KubeApiException error) when (error.HttpCode == 404)
        {
        }
    }
}
