using BindingServer.Kubernetes.Discovery;
using BindingServer.Kubernetes.Resources;
using BindingServer.Kubernetes.Resources.Core;
using BindingServer.OpenShift;
using BindingServer.Kubernetes.Protobuf;

namespace BindingServer.Kubernetes.Api;

/// <summary>
/// Everything the Kubernetes-form APIs serve, declared once: the stored kinds, OpenShift's views of them, the reviews
/// and the subresources. Routes, storage keys, discovery, the OpenAPI documents, protobuf bodies and which paths get
/// the apiserver's JSON 404 are all derived from it; a new kind is one strategy file and one line in
/// <see cref="Default"/>.
/// </summary>
public sealed class ResourceCatalog
{
    public ResourceCatalog(
        IEnumerable<ResourceDefinition> kinds,
        IEnumerable<ResourceDefinition>? views = null,
        IEnumerable<ResourceDefinition>? reviews = null,
        IEnumerable<DiscoveredResource>? subresources = null,
        IEnumerable<ResourceDefinition>? subresourceKinds = null)
    {
        Definitions = kinds.ToList();
        Views = (views ?? []).ToList();
        Reviews = (reviews ?? []).ToList();
        Subresources = (subresources ?? []).ToList();
        ProtobufMessages = Documented.Concat(subresourceKinds ?? [])
            .Where(d => d.Protobuf is not null)
            .DistinctBy(d => d.Kind)
            .ToDictionary(d => d.Kind, d => d.Protobuf!, StringComparer.Ordinal);
    }

    public static ResourceCatalog Default { get; } = new(
        kinds:
        [
            NamespaceStrategy.Definition,
            NodeStrategy.Definition,
            PodStrategy.Definition,
            EventStrategy.Definition,
            ServiceAccountStrategy.Definition,
            ConfigMapStrategy.Definition,
            ClusterRoleBindingStrategy.Definition,
            ClusterRoleStrategy.Definition,
            RoleBindingStrategy.Definition,
            RoleStrategy.Definition,
        ],
        views: OpenShiftAuthorizationEndpoints.Definitions,
        reviews: [.. OpenShiftReviewKinds.Definitions, .. AccessReviewEndpoints.Definitions],
        subresources: CoreSubresources.Discovery,
        subresourceKinds: [BindingStrategy.Definition, TokenRequestStrategy.Definition]);

    /// <summary>The stored kinds, served by the generic handlers.</summary>
    public IReadOnlyList<ResourceDefinition> Definitions { get; }

    /// <summary>Kinds served as views of stored ones, with their own handlers (OpenShift's authorization group).</summary>
    public IReadOnlyList<ResourceDefinition> Views { get; }

    /// <summary>Create-only kinds answered at once and never stored (access, rules, self and token reviews).</summary>
    public IReadOnlyList<ResourceDefinition> Reviews { get; }

    /// <summary>Subresources, and collections served by their own handlers (Binding), as discovery lists them.</summary>
    public IReadOnlyList<DiscoveredResource> Subresources { get; }

    /// <summary>The protobuf message of each kind that has one, by the kind a protobuf envelope names.</summary>
    public IReadOnlyDictionary<string, ProtoMessage> ProtobufMessages { get; }

    /// <summary>The namespaces resource when it is served; writes to namespaced kinds then check the namespace exists.</summary>
    public ResourceDefinition? Namespaces => Definitions.FirstOrDefault(d => d.Group.Length == 0 && d.Plural == "namespaces");

    public IEnumerable<string> KeyPrefixes => Definitions.Select(d => d.KeyPrefix);

    /// <summary>Every kind with a schema and operations in the OpenAPI documents.</summary>
    public IEnumerable<ResourceDefinition> Documented => Definitions.Concat(Views).Concat(Reviews);

    /// <summary>What discovery lists, in every form.</summary>
    public IEnumerable<DiscoveredResource> Discovery => Documented.Select(DiscoveredResource.From).Concat(Subresources);

    /// <summary>
    /// Whether a path lies inside a served group-version (<c>/api/v1/…</c>, <c>/apis/{group}/{version}/…</c>), where the
    /// apiserver answers an unknown route with a JSON Status 404 rather than Go's plain-text one.
    /// </summary>
    public bool InsideServedGroupVersion(string path) =>
        Documented.Any(d => path.StartsWith(d.GroupVersionPath + "/", StringComparison.Ordinal));
}
