using System.ComponentModel;
using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.OpenApi;
using BindingServer.Kubernetes.Patching;

namespace BindingServer.Kubernetes.Resources.Core;

/// <summary>
/// The pod's observed state: set by the server on create and binding, and by clients only through the status
/// subresource (writes of the pod keep it); its conditions and addresses are typed below it, merged by key.
/// </summary>
[SchemaName("io.k8s.api.core.v1.PodStatus")]
[Description("The observed state of a pod.")]
public sealed class PodStatus
{
    [Description("Pending, Running, Succeeded, Failed or Unknown.")]
    public string? Phase { get; set; }

    [MergeKey("type")]
    [Description("The pod's conditions, such as PodScheduled and Ready.")]
    public List<PodCondition>? Conditions { get; set; }

    [Description("Why the pod is in this state, for people.")]
    public string? Message { get; set; }

    [Description("Why the pod is in this state, in one word.")]
    public string? Reason { get; set; }

    [Description("The node the scheduler plans to bind the pod to after preempting others.")]
    public string? NominatedNodeName { get; set; }

    [Description("The node's address.")]
    public string? HostIP { get; set; }

    [MergeKey("ip")]
    [Description("The node's addresses.")]
    public List<HostIP>? HostIPs { get; set; }

    [Description("The pod's address.")]
    public string? PodIP { get; set; }

    [MergeKey("ip")]
    [Description("The pod's addresses.")]
    public List<PodIP>? PodIPs { get; set; }

    [Description("When the kubelet acknowledged the pod.")]
    public DateTimeOffset? StartTime { get; set; }

    [Description("Statuses of the init containers.")]
    public JsonArray? InitContainerStatuses { get; set; }

    [Description("Statuses of the containers.")]
    public JsonArray? ContainerStatuses { get; set; }

    [Description("The quality-of-service class: Guaranteed, Burstable or BestEffort.")]
    public string? QosClass { get; set; }

    [Description("Statuses of the ephemeral containers.")]
    public JsonArray? EphemeralContainerStatuses { get; set; }

    [Description("The state of an in-place resize.")]
    public string? Resize { get; set; }
}

[SchemaName("io.k8s.api.core.v1.PodIP")]
[Description("One of a pod's addresses.")]
public sealed class PodIP
{
    [Required]
    [Description("The address.")]
    public string? Ip { get; set; }
}

[SchemaName("io.k8s.api.core.v1.HostIP")]
[Description("One of the pod's node's addresses.")]
public sealed class HostIP
{
    [Required]
    [Description("The address.")]
    public string? Ip { get; set; }
}

[SchemaName("io.k8s.api.core.v1.PodCondition")]
[Description("One condition of a pod.")]
public sealed class PodCondition
{
    [Required]
    [Description("The condition: PodScheduled, Initialized, ContainersReady, Ready, ...")]
    public string? Type { get; set; }

    [Required]
    [Description("True, False or Unknown.")]
    public string? Status { get; set; }

    [EmitEmpty]
    [Description("When the condition was last probed.")]
    public DateTimeOffset? LastProbeTime { get; set; }

    [EmitEmpty]
    [Description("When the condition last changed status.")]
    public DateTimeOffset? LastTransitionTime { get; set; }

    [Description("Why the condition last changed, in one word.")]
    public string? Reason { get; set; }

    [Description("Why the condition last changed, for people.")]
    public string? Message { get; set; }
}
