using System.ComponentModel;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.OpenApi;
using BindingServer.Kubernetes.Patching;

namespace BindingServer.Kubernetes.Model;

/// <summary>The fields every stored object has; declaration order follows the Go type so bodies diff cleanly.</summary>
public abstract class KubeObject
{
    [JsonPropertyOrder(-3)]
    [Description("The REST kind of this object, in CamelCase; the server fills it in from the endpoint and it cannot be changed.")]
    public string? Kind { get; set; }

    [JsonPropertyOrder(-2)]
    [Description("The group and version of the schema this object is written in, such as rbac.authorization.k8s.io/v1.")]
    public string? ApiVersion { get; set; }

    [JsonPropertyOrder(-1)]
    [EmitEmpty]
    [Description("The object's standard metadata: name, namespace, labels, annotations and the fields the server manages.")]
    public ObjectMeta Metadata { get; set; } = new();
}

[SchemaName("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")]
[Description("Metadata that every persisted resource carries, including the fields the server sets itself.")]
public sealed class ObjectMeta
{
    [Description("The object's name, unique within its namespace (or cluster-wide for cluster-scoped kinds). Required on create unless generateName is given; it cannot be changed afterwards.")]
    public string? Name { get; set; }

    [Description("A prefix from which the server makes a unique name when name is empty, by appending five random characters.")]
    public string? GenerateName { get; set; }

    [Description("The namespace the object lives in; empty for cluster-scoped kinds. It cannot be changed after creation.")]
    public string? Namespace { get; set; }

    [Description("Deprecated and never set by this server, as by current Kubernetes releases.")]
    public string? SelfLink { get; set; }

    [Description("A unique identifier the server assigns at creation; it is never reused and cannot be changed.")]
    public string? Uid { get; set; }

    [Description("An opaque value that changes on every write. Send it back on update to make the write conditional on nobody having changed the object since it was read.")]
    public string? ResourceVersion { get; set; }

    [Description("A sequence number for changes to the desired state, for kinds that track it.")]
    public long? Generation { get; set; }

    [EmitEmpty]
    [Description("When the server created the object, in RFC 3339 form and UTC. Clients cannot set it.")]
    public DateTimeOffset? CreationTimestamp { get; set; }

    [Description("When the object will be gone: set by a delete request while finalizers or a grace period keep the object around. Clients cannot set it.")]
    public DateTimeOffset? DeletionTimestamp { get; set; }

    [Description("The grace period granted to the object's deletion, in seconds. Set together with deletionTimestamp.")]
    public long? DeletionGracePeriodSeconds { get; set; }

    [Description("Key/value pairs used to organise and select objects (label selectors match them).")]
    public Dictionary<string, string>? Labels { get; set; }

    [Description("Key/value pairs for tools and users to store non-identifying data; not selectable.")]
    public Dictionary<string, string>? Annotations { get; set; }

    [MergeKey("uid")]
    [Description("The objects this one depends on. When all of them are deleted, the garbage collector deletes this object too.")]
    public List<OwnerReference>? OwnerReferences { get; set; }

    [SetList]
    [Description("Names of pending cleanups. A deleted object stays, with deletionTimestamp set, until this list is empty.")]
    public List<string>? Finalizers { get; set; }

    [Atomic]
    [Description("Which field manager owns which fields, as recorded by the server for server-side apply. Clients normally leave it alone.")]
    public List<ManagedFieldsEntry>? ManagedFields { get; set; }
}

[SchemaName("io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference")]
[Description("Identifies an owning object, which must be in the same namespace as the dependent or cluster-scoped.")]
public sealed class OwnerReference
{
    [Required]
    [Description("The owner's API version.")]
    public string? ApiVersion { get; set; }

    [Required]
    [Description("The owner's kind.")]
    public string? Kind { get; set; }

    [Required]
    [Description("The owner's name.")]
    public string? Name { get; set; }

    [Required]
    [Description("The owner's uid.")]
    public string? Uid { get; set; }

    [Description("True when this owner is the managing controller.")]
    public bool? Controller { get; set; }

    [Description("True when the owner's foreground deletion must wait for this dependent to be deleted.")]
    public bool? BlockOwnerDeletion { get; set; }
}

[SchemaName("io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry")]
[Description("The set of fields one field manager owns, and how it last wrote them.")]
public sealed class ManagedFieldsEntry
{
    [Description("The name of the workflow that manages these fields.")]
    public string? Manager { get; set; }

    [Description("The kind of write that recorded this entry: Apply or Update.")]
    public string? Operation { get; set; }

    [Description("The API version the fields were written in.")]
    public string? ApiVersion { get; set; }

    [Description("When the fields were last changed by this manager.")]
    public DateTimeOffset? Time { get; set; }

    [Description("The format of fieldsV1; always FieldsV1.")]
    public string? FieldsType { get; set; }

    [Atomic]
    [Description("The owned fields, as a trie of field paths.")]
    public JsonObject? FieldsV1 { get; set; }

    [Description("The subresource the write went through, when not the main resource.")]
    public string? Subresource { get; set; }
}

[SchemaName("io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta")]
[Description("Metadata of a list: the revision it was read at and how to fetch the next page.")]
public sealed class ListMeta
{
    [Description("Deprecated and never set.")]
    public string? SelfLink { get; set; }

    [Description("The revision the list was read at; a watch started from it sees every later change.")]
    public string? ResourceVersion { get; set; }

    [JsonPropertyName("continue")]
    [Description("Present when more results remain: pass it as the continue parameter, with the same selectors, to get the next page of the same snapshot.")]
    public string? Continue { get; set; }

    [Description("How many objects follow this page, when the server can tell (lists without selectors).")]
    public long? RemainingItemCount { get; set; }
}
