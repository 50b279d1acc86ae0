using System.Text.Json;
using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Resources;
using BindingServer.Kubernetes.Selectors;
using BindingServer.Storage;

namespace BindingServer.Kubernetes.Authorization;

/// <summary>
/// kube-controller-manager's clusterrole-aggregation controller: a ClusterRole with an <c>aggregationRule</c> gets as its
/// rules the rules of every other ClusterRole its selectors match (by name order, repeats dropped), written with a
/// forced server-side apply as field manager <c>clusterrole-aggregation-controller</c>. It runs after every change to a
/// ClusterRole, so a CRD author's <c>aggregate-to-view</c> role reaches <c>view</c>, and through it <c>edit</c> and <c>admin</c>.
/// </summary>
public sealed class ClusterRoleAggregation(ObjectStore store, ResourceRegistry registry, ILogger<ClusterRoleAggregation> logger) : BackgroundService
{
    public const string FieldManager = "clusterrole-aggregation-controller";

    private static ResourceDefinition ClusterRoles => ClusterRoleStrategy.Definition;

    /// <summary>Brings every aggregated ClusterRole up to date; repeats while one write changes what another selects.</summary>
    public static async Task SyncAsync(ObjectStore store, ResourceRegistry registry, CancellationToken cancellationToken)
    {
        for (var pass = 0; pass < 10; pass++)
        {
            var changed = false;
            var roles = store.Current.List(ClusterRoles.KeyPrefix, ClusterRoles.KeyPrefix)
                .Select(e => (ClusterRole)ObjectCodec.Decode(ClusterRoles, e.Body)).ToList();
            foreach (var role in roles.Where(r => r.AggregationRule is not null))
            {
                var rules = Aggregate(role, roles);
                if (SameRules(rules, role.Rules))
                {
                    continue;
                }

                var intent = new JsonObject
                {
                    ["apiVersion"] = ClusterRoles.ApiVersion,
                    ["kind"] = ClusterRoles.Kind,
                    ["metadata"] = new JsonObject { ["name"] = role.Metadata.Name },
                    ["rules"] = JsonSerializer.SerializeToNode(rules, KubeJson.Options),
                };
                await registry.ApplyObjectAsync(ClusterRoles, null, role.Metadata.Name!, intent, FieldManager, cancellationToken);
                changed = true;
            }

            if (!changed)
            {
                return;
            }
        }
    }

    private static List<PolicyRule> Aggregate(ClusterRole target, List<ClusterRole> roles)
    {
        var rules = new List<PolicyRule>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var selectorSpec in target.AggregationRule!.ClusterRoleSelectors ?? [])
        {
            if (LabelSelector.FromSpec(selectorSpec) is not { } selector)
            {
                continue;
            }

            foreach (var role in roles.Where(r => r.Metadata.Name != target.Metadata.Name && selector.Matches(r.Metadata.Labels))
                         .OrderBy(r => r.Metadata.Name, StringComparer.Ordinal))
            {
                foreach (var rule in role.Rules ?? [])
                {
                    if (seen.Add(JsonSerializer.Serialize(rule, KubeJson.Options)))
                    {
                        rules.Add(rule);
                    }
                }
            }
        }

        return rules;
    }

    private static bool SameRules(List<PolicyRule> a, List<PolicyRule>? b) =>
        JsonSerializer.Serialize(a, KubeJson.Options) == JsonSerializer.Serialize(b ?? [], KubeJson.Options);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            using var feed = await store.FollowFromNowAsync(stoppingToken);
            while (await feed.Live.WaitToReadAsync(stoppingToken))
            {
                var clusterRoleChanged = false;
                while (feed.Live.TryRead(out var change))
                {
                    clusterRoleChanged |= change.Key.StartsWith(ClusterRoles.KeyPrefix, StringComparison.Ordinal);
                }

                if (!clusterRoleChanged)
                {
                    continue;
                }

                try
                {
                    await SyncAsync(store, registry, stoppingToken);
                }
                catch (KubeApiException error)
                {
                    // A client changed a role meanwhile; its change event brings another pass.
                    logger.LogDebug("cluster role aggregation deferred: {Message}", error.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
