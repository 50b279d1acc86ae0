using System.ComponentModel;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.OpenApi;
using BindingServer.Kubernetes.Patching;

namespace BindingServer.Kubernetes.Resources.Core;

// The Pod's wire shape. Fields users and schedulers write are typed (so they are validated, defaulted and merged
// by key); large rarely-inspected sub-structures (probes, affinity, security contexts, volume sources) are kept
// as plain JSON and passed through unchanged.

[SchemaName("io.k8s.api.core.v1.Pod")]
[Description("A group of containers scheduled together onto one node.")]
public sealed class Pod : KubeObject
{
    [Description("What the pod should run.")]
    public PodSpec Spec { get; set; } = new();

    [Description("What the pod is doing, as last observed; written by the system, not by clients.")]
    public PodStatus? Status { get; set; }
}

[SchemaName("io.k8s.api.core.v1.PodSpec")]
[Description("The desired state of a pod.")]
public sealed class PodSpec
{
    [MergeKey("name")]
    [Description("Volumes the containers can mount.")]
    public List<Volume>? Volumes { get; set; }

    [MergeKey("name")]
    [Description("Containers run to completion, in order, before the app containers start.")]
    public List<Container>? InitContainers { get; set; }

    [MergeKey("name")]
    [Required]
    [Description("The pod's containers; at least one.")]
    public List<Container>? Containers { get; set; }

    [Description("Containers added to a running pod for debugging.")]
    public JsonArray? EphemeralContainers { get; set; }

    [Description("When containers are restarted: Always (the default), OnFailure or Never.")]
    public string? RestartPolicy { get; set; }

    [Description("Seconds the pod is given to stop gracefully when deleted; 30 by default.")]
    public long? TerminationGracePeriodSeconds { get; set; }

    [Description("Seconds the pod may run before the system stops it.")]
    public long? ActiveDeadlineSeconds { get; set; }

    [Description("How DNS is set up for the pod: ClusterFirst (the default), ClusterFirstWithHostNet, Default or None.")]
    public string? DnsPolicy { get; set; }

    [Description("Labels a node must have for the pod to be scheduled onto it.")]
    public Dictionary<string, string>? NodeSelector { get; set; }

    [Description("The service account whose identity the pod runs with.")]
    public string? ServiceAccountName { get; set; }

    [Description("Deprecated alias of serviceAccountName.")]
    public string? ServiceAccount { get; set; }

    [Description("Whether the service account token is mounted.")]
    public bool? AutomountServiceAccountToken { get; set; }

    [Description("The node the pod is bound to. Set by the scheduler through a Binding; empty while unscheduled.")]
    public string? NodeName { get; set; }

    [Description("Use the node's network namespace.")]
    public bool? HostNetwork { get; set; }

    [Description("Use the node's process namespace.")]
    public bool? HostPID { get; set; }

    [Description("Use the node's IPC namespace.")]
    public bool? HostIPC { get; set; }

    [Description("Share one process namespace between the pod's containers.")]
    public bool? ShareProcessNamespace { get; set; }

    [Description("Pod-wide security settings.")]
    public JsonObject? SecurityContext { get; set; }

    [MergeKey("name")]
    [Description("Secrets used to pull the containers' images.")]
    public List<LocalObjectReference>? ImagePullSecrets { get; set; }

    [Description("The pod's hostname; the pod name when empty.")]
    public string? Hostname { get; set; }

    [Description("The pod's DNS subdomain.")]
    public string? Subdomain { get; set; }

    [Description("Node and pod affinity and anti-affinity rules for scheduling.")]
    public JsonObject? Affinity { get; set; }

    [Description("The scheduler that places the pod; default-scheduler when empty.")]
    public string? SchedulerName { get; set; }

    [Description("Taints the pod tolerates.")]
    public List<Toleration>? Tolerations { get; set; }

    [Description("Extra /etc/hosts entries.")]
    public JsonArray? HostAliases { get; set; }

    [Description("The name of the pod's priority class.")]
    public string? PriorityClassName { get; set; }

    [Description("The pod's priority, resolved from its priority class.")]
    public int? Priority { get; set; }

    [Description("DNS settings added to those the DNS policy gives.")]
    public JsonObject? DnsConfig { get; set; }

    [Description("Extra conditions that must be true for the pod to be ready.")]
    public JsonArray? ReadinessGates { get; set; }

    [Description("The runtime class to run the pod with.")]
    public string? RuntimeClassName { get; set; }

    [Description("Whether service environment variables are injected; true by default.")]
    public bool? EnableServiceLinks { get; set; }

    [Description("Whether the pod may preempt lower-priority pods: PreemptLowerPriority (the default) or Never.")]
    public string? PreemptionPolicy { get; set; }

    [Description("Resources the pod's sandbox uses on top of its containers.")]
    public JsonObject? Overhead { get; set; }

    [Description("How pods spread across topology domains.")]
    public JsonArray? TopologySpreadConstraints { get; set; }

    [Description("Use the fully qualified domain name as the hostname.")]
    public bool? SetHostnameAsFQDN { get; set; }

    [Description("The operating system the pod needs.")]
    public JsonObject? Os { get; set; }

    [Description("Whether the pod uses the host's user namespace.")]
    public bool? HostUsers { get; set; }

    [MergeKey("name")]
    [Description("Gates that keep the pod from being scheduled while any is present.")]
    public List<PodSchedulingGate>? SchedulingGates { get; set; }

    [Description("Dynamic resource claims the pod uses.")]
    public JsonArray? ResourceClaims { get; set; }

    [Description("Pod-level resource requests and limits.")]
    public JsonObject? Resources { get; set; }
}

[SchemaName("io.k8s.api.core.v1.Volume")]
[Description("A named volume; its source (emptyDir, configMap, secret, projected, ...) is the one other field set.")]
public sealed class Volume
{
    [Required]
    [Description("The volume's name, a DNS label unique within the pod.")]
    public string? Name { get; set; }

    [JsonExtensionData]
    public Dictionary<string, System.Text.Json.JsonElement>? Source { get; set; }
}

[SchemaName("io.k8s.api.core.v1.Toleration")]
[Description("Lets a pod schedule onto nodes with a matching taint.")]
public sealed class Toleration
{
    [Description("The taint key; empty matches every key when operator is Exists.")]
    public string? Key { get; set; }

    [Description("Equal (the default) or Exists.")]
    public string? Operator { get; set; }

    [Description("The taint value to match with Equal.")]
    public string? Value { get; set; }

    [Description("The taint effect to match: NoSchedule, PreferNoSchedule or NoExecute; empty matches all.")]
    public string? Effect { get; set; }

    [Description("For NoExecute: how long the pod stays bound after the taint appears.")]
    public long? TolerationSeconds { get; set; }
}

[SchemaName("io.k8s.api.core.v1.LocalObjectReference")]
[Description("A reference to an object in the same namespace.")]
public sealed class LocalObjectReference
{
    [Description("The object's name.")]
    public string? Name { get; set; }
}

[SchemaName("io.k8s.api.core.v1.PodSchedulingGate")]
[Description("A gate that keeps a pod unscheduled.")]
public sealed class PodSchedulingGate
{
    [Required]
    [Description("The gate's name.")]
    public string? Name { get; set; }
}
