using BindingServer.Kubernetes.Resources;
using BindingServer.Kubernetes.Resources.Core;

namespace BindingServer.Kubernetes.Api;

/// <summary>Every kind the server serves. Routes, discovery and storage keys all come from this one list.</summary>
public sealed class ResourceCatalog
{
    public ResourceCatalog(IEnumerable<ResourceDefinition> definitions) => Definitions = definitions.ToList();

    public static ResourceCatalog Default { get; } = new([
        NamespaceStrategy.Definition,
        NodeStrategy.Definition,
        PodStrategy.Definition,
        EventStrategy.Definition,
        ServiceAccountStrategy.Definition,
        ClusterRoleBindingStrategy.Definition,
        ClusterRoleStrategy.Definition,
        RoleBindingStrategy.Definition,
        RoleStrategy.Definition,
    ]);

    public IReadOnlyList<ResourceDefinition> Definitions { get; }

    /// <summary>The namespaces resource when it is served; writes to namespaced kinds then check the namespace exists.</summary>
    public ResourceDefinition? Namespaces => Definitions.FirstOrDefault(d => d.Group.Length == 0 && d.Plural == "namespaces");

    public IEnumerable<string> KeyPrefixes => Definitions.Select(d => d.KeyPrefix);
}
