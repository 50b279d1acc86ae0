using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Model;
using BindingServer.Storage;

namespace BindingServer.Kubernetes.Resources.Core;

/// <summary>
/// kube-controller-manager's service-account controller: every active namespace has a <c>default</c> ServiceAccount,
/// created when the namespace appears and again if it is deleted. It follows the store's change feed, so it acts just
/// after the write that needs it, as the controller does on a cluster.
/// </summary>
public sealed class ServiceAccountsController(ObjectStore store, ResourceRegistry registry, ILogger<ServiceAccountsController> logger) : BackgroundService
{
    private static ResourceDefinition Accounts => ServiceAccountStrategy.Definition;

    /// <summary>Creates, in one transaction, the <c>default</c> account of every active namespace that lacks one.</summary>
    public static async Task EnsureDefaultAccountsAsync(ObjectStore store, ResourceRegistry registry, CancellationToken cancellationToken)
    {
        var namespaces = NamespaceStrategy.Definition;
        var snapshot = store.Current;
        var missing = snapshot.List(namespaces.KeyPrefix, namespaces.KeyPrefix)
            .Select(entry => ObjectCodec.Decode(namespaces, entry.Body))
            .Where(ns => ns.Metadata.DeletionTimestamp is null &&
                         snapshot.Get(Accounts.KeyPrefix, Accounts.Key(ns.Metadata.Name, ServiceAccountStrategy.DefaultName)) is null)
            .Select(ns => (Accounts, (KubeObject)ServiceAccountStrategy.DefaultFor(ns.Metadata.Name!)))
            .ToList();
        if (missing.Count > 0)
        {
            await registry.CreateManyAsync(missing, "kube-controller-manager", cancellationToken);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var namespacePrefix = NamespaceStrategy.Definition.KeyPrefix;
        try
        {
            using var feed = await store.FollowFromNowAsync(stoppingToken);
            while (await feed.Live.WaitToReadAsync(stoppingToken))
            {
                var relevant = false;
                while (feed.Live.TryRead(out var change))
                {
                    relevant |= change.Key.StartsWith(namespacePrefix, StringComparison.Ordinal) ||
                                (change.Type == ChangeType.Deleted && change.Key.StartsWith(Accounts.KeyPrefix, StringComparison.Ordinal) &&
                                 change.Key.EndsWith("/" + ServiceAccountStrategy.DefaultName, StringComparison.Ordinal));
                }

                if (!relevant)
                {
                    continue;
                }

                try
                {
                    await EnsureDefaultAccountsAsync(store, registry, stoppingToken);
                }
                catch (KubeApiException error)
                {
                    // The namespace went away or began terminating meanwhile; the next change brings another pass.
                    logger.LogDebug("default service account deferred: {Message}", error.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
