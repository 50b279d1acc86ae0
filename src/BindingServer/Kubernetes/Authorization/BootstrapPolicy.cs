using System.Text.Json;
using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.Resources;
using BindingServer.Storage;

namespace BindingServer.Kubernetes.Authorization;

/// <summary>
/// The RBAC objects a v1.32 cluster has from its first start (kube-apiserver's bootstrap policy): ClusterRoles such as
/// <c>cluster-admin</c>, <c>admin</c>, <c>edit</c>, <c>view</c> and the <c>system:</c> roles, their ClusterRoleBindings,
/// and the Roles and RoleBindings of kube-system and kube-public. The data is <c>bootstrap-policy.json</c>.
/// </summary>
public static class BootstrapPolicy
{
    /// <summary>The label every bootstrap object carries.</summary>
    public const string Label = "kubernetes.io/bootstrapping";

    private static readonly Lazy<JsonArray> Items = new(() =>
    {
        using var stream = typeof(BootstrapPolicy).Assembly.GetManifestResourceStream("BindingServer.bootstrap-policy.json")!;
        return JsonNode.Parse(stream)!["items"]!.AsArray();
    });

    private static readonly Dictionary<string, ResourceDefinition> Definitions = new[]
    {
        ClusterRoleStrategy.Definition, ClusterRoleBindingStrategy.Definition, RoleStrategy.Definition, RoleBindingStrategy.Definition,
    }.ToDictionary(d => d.Kind, StringComparer.Ordinal);

    /// <summary>Fresh copies of the policy's objects, defaulted, in the order the apiserver creates them.</summary>
    public static IReadOnlyList<(ResourceDefinition Definition, KubeObject Object)> Objects() =>
        Items.Value.Select(item =>
        {
            var definition = Definitions[item!["kind"]!.GetValue<string>()];
            var obj = (KubeObject)item.Deserialize(definition.ObjectType, KubeJson.Options)!;
            definition.Strategy.ApplyDefaults(obj);
            return (definition, obj);
        }).ToList();

    /// <summary>Creates, in one transaction, every policy object that is missing; present ones are left as they are.</summary>
    public static async Task EnsureAsync(ResourceRegistry registry, ObjectStore store, CancellationToken cancellationToken)
    {
        var snapshot = store.Current;
        var missing = Objects()
            .Where(o => snapshot.Get(o.Definition.KeyPrefix, o.Definition.Key(o.Object.Metadata.Namespace, o.Object.Metadata.Name!)) is null)
            .ToList();
        if (missing.Count > 0)
        {
            await registry.CreateManyAsync(missing, "kube-apiserver", cancellationToken);
        }
    }

    public static bool IsBootstrapObject(KubeObject obj) => obj.Metadata.Labels?.ContainsKey(Label) == true;
}
