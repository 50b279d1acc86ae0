using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Protobuf;

namespace BindingServer.Kubernetes.Api;

/// <summary>
/// Everything the generic machinery needs to serve one kind: names, scope, verbs and its strategy.
/// Routes, discovery and the OpenAPI document are all generated from these.
/// </summary>
public sealed record ResourceDefinition
{
    public required string Group { get; init; }
    public required string Version { get; init; }
    public required string Kind { get; init; }
    public required string Plural { get; init; }
    public required string Singular { get; init; }
    public required bool Namespaced { get; init; }
    public required IResourceStrategy Strategy { get; init; }
    public IReadOnlyList<string> ShortNames { get; init; } = [];
    public IReadOnlyList<string> Categories { get; init; } = [];

    public IReadOnlyList<string> Verbs { get; init; } =
        ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    /// <summary>
    /// The kind's protobuf message (field numbers from its <c>generated.proto</c>, built from <see cref="ProtoSchemas"/>);
    /// without one, a protobuf body of this kind is refused with a 415 as a media type the server cannot read.
    /// </summary>
    public ProtoMessage? Protobuf { get; init; }

    /// <summary>Whether the kind has a <c>status</c> subresource (get, update and patch at <c>…/{name}/status</c>).</summary>
    public bool HasStatus { get; init; }

    /// <summary>The subresource this definition serves ("status" for a <see cref="StatusView"/>), recorded in managedFields.</summary>
    public string? Subresource { get; init; }

    /// <summary>The kind as its <c>status</c> subresource serves it: same objects, the status strategy.</summary>
    public ResourceDefinition StatusView() => this with { Strategy = new StatusStrategy(Strategy), Subresource = "status", HasStatus = false };

    public Type ObjectType => Strategy.ObjectType;
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";
    public string ListKind => Kind + "List";
    public GroupResource GroupResource => new(Group, Plural);

    /// <summary>URL prefix of the group-version: <c>/api/v1</c> or <c>/apis/{group}/{version}</c>.</summary>
    public string GroupVersionPath => Group.Length == 0 ? $"/api/{Version}" : $"/apis/{Group}/{Version}";

    /// <summary>The storage key prefix, shaped like the apiserver's etcd keys so lists sort the same way.</summary>
    public string KeyPrefix => Group.Length == 0 ? $"/{Plural}/" : $"/{Group}/{Plural}/";

    public string Key(string? ns, string name) => Namespaced ? $"{KeyPrefix}{ns}/{name}" : KeyPrefix + name;

    public bool Supports(string verb) => Verbs.Contains(verb, StringComparer.Ordinal);
}
