using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Patching;

namespace BindingServer.Kubernetes.Model;

/// <summary>The fields every stored object has; declaration order follows the Go type so bodies diff cleanly.</summary>
public abstract class KubeObject
{
    [JsonPropertyOrder(-3)]
    public string? Kind { get; set; }

    [JsonPropertyOrder(-2)]
    public string? ApiVersion { get; set; }

    [JsonPropertyOrder(-1)]
    [EmitEmpty]
    public ObjectMeta Metadata { get; set; } = new();
}

public sealed class ObjectMeta
{
    public string? Name { get; set; }
    public string? GenerateName { get; set; }
    public string? Namespace { get; set; }
    public string? SelfLink { get; set; }
    public string? Uid { get; set; }
    public string? ResourceVersion { get; set; }
    public long? Generation { get; set; }

    [EmitEmpty]
    public DateTimeOffset? CreationTimestamp { get; set; }

    public DateTimeOffset? DeletionTimestamp { get; set; }
    public long? DeletionGracePeriodSeconds { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    public Dictionary<string, string>? Annotations { get; set; }
    [MergeKey("uid")]
    public List<OwnerReference>? OwnerReferences { get; set; }
    [SetList]
    public List<string>? Finalizers { get; set; }
    [Atomic]
    public List<ManagedFieldsEntry>? ManagedFields { get; set; }
}

public sealed class OwnerReference
{
    public string? ApiVersion { get; set; }
    public string? Kind { get; set; }
    public string? Name { get; set; }
    public string? Uid { get; set; }
    public bool? Controller { get; set; }
    public bool? BlockOwnerDeletion { get; set; }
}

public sealed class ManagedFieldsEntry
{
    public string? Manager { get; set; }
    public string? Operation { get; set; }
    public string? ApiVersion { get; set; }
    public DateTimeOffset? Time { get; set; }
    public string? FieldsType { get; set; }
    [Atomic]
    public JsonObject? FieldsV1 { get; set; }
    public string? Subresource { get; set; }
}

public sealed class ListMeta
{
    public string? SelfLink { get; set; }
    public string? ResourceVersion { get; set; }
    public string? Continue { get; set; }
    public long? RemainingItemCount { get; set; }
}
