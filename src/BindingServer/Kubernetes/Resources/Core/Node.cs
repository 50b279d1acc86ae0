using System.ComponentModel;
using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.OpenApi;
using BindingServer.Kubernetes.Patching;
using BindingServer.Kubernetes.Tables;
using BindingServer.Kubernetes.Validation;

namespace BindingServer.Kubernetes.Resources.Core;

[SchemaName("io.k8s.api.core.v1.Node")]
[Description("A machine pods can be bound to. Here nodes are records only: no kubelet runs behind them.")]
public sealed class Node : KubeObject
{
    [Description("How the node is configured: unschedulable, taints, pod CIDRs.")]
    public NodeSpec? Spec { get; set; }

    [Description("What the node reports: capacity, conditions, addresses, versions.")]
    public NodeStatus? Status { get; set; }
}

// The parts of a node the server reads are typed, so a body that gets their types wrong is refused as the apiserver
// refuses it; the rest passes through as sent. Properties are in Go's field order.

[SchemaName("io.k8s.api.core.v1.NodeSpec")]
[Description("How a node is configured.")]
public sealed class NodeSpec
{
    [Description("The pod IP range assigned to the node.")]
    public string? PodCIDR { get; set; }

    [Description("The pod IP ranges assigned to the node.")]
    public List<string>? PodCIDRs { get; set; }

    [Description("The node's ID at its cloud provider.")]
    public string? ProviderID { get; set; }

    [Description("Whether new pods may not be scheduled onto the node.")]
    public bool? Unschedulable { get; set; }

    [Description("The node's taints.")]
    public JsonArray? Taints { get; set; }

    [Description("Deprecated dynamic kubelet configuration source.")]
    public JsonObject? ConfigSource { get; set; }

    [Description("Deprecated; not every kubelet sets it.")]
    public string? ExternalID { get; set; }
}

[SchemaName("io.k8s.api.core.v1.NodeStatus")]
[Description("What a node reports.")]
public sealed class NodeStatus
{
    [Description("Total resources of the node.")]
    public JsonObject? Capacity { get; set; }

    [Description("Resources available for scheduling.")]
    public JsonObject? Allocatable { get; set; }

    [Description("Deprecated node lifecycle phase.")]
    public string? Phase { get; set; }

    [MergeKey("type")]
    [Description("The node's conditions, such as Ready.")]
    public List<NodeCondition>? Conditions { get; set; }

    [MergeKey("type")]
    [Description("The node's addresses.")]
    public List<NodeAddress>? Addresses { get; set; }

    [Description("The kubelet's endpoints.")]
    public JsonObject? DaemonEndpoints { get; set; }

    [Description("Versions and identities the node reports.")]
    public NodeSystemInfo? NodeInfo { get; set; }

    [Description("Container images on the node.")]
    public JsonArray? Images { get; set; }

    [Description("Volumes in use on the node.")]
    public JsonArray? VolumesInUse { get; set; }

    [Description("Volumes attached to the node.")]
    public JsonArray? VolumesAttached { get; set; }

    [Description("Status of the kubelet's configuration.")]
    public JsonObject? Config { get; set; }

    [Description("The runtime handlers available.")]
    public JsonArray? RuntimeHandlers { get; set; }

    [Description("Features the node supports.")]
    public JsonObject? Features { get; set; }
}

[SchemaName("io.k8s.api.core.v1.NodeCondition")]
[Description("One condition of a node.")]
public sealed class NodeCondition
{
    [Required]
    [Description("The condition: Ready, MemoryPressure, DiskPressure, PIDPressure, NetworkUnavailable.")]
    public string? Type { get; set; }

    [Required]
    [Description("True, False or Unknown.")]
    public string? Status { get; set; }

    [EmitEmpty]
    [Description("When the condition was last probed.")]
    public DateTimeOffset? LastHeartbeatTime { get; set; }

    [EmitEmpty]
    [Description("When the condition last changed status.")]
    public DateTimeOffset? LastTransitionTime { get; set; }

    [Description("Why the condition last changed, in one word.")]
    public string? Reason { get; set; }

    [Description("Why the condition last changed, for people.")]
    public string? Message { get; set; }
}

[SchemaName("io.k8s.api.core.v1.NodeAddress")]
[Description("One address of a node.")]
public sealed class NodeAddress
{
    [Required]
    [EmitEmpty]
    [Description("Hostname, ExternalIP, InternalIP, ExternalDNS or InternalDNS.")]
    public string? Type { get; set; }

    [Required]
    [EmitEmpty]
    [Description("The address.")]
    public string? Address { get; set; }
}

[SchemaName("io.k8s.api.core.v1.NodeSystemInfo")]
[Description("Versions and identities a node reports; every field is written, empty when unknown.")]
public sealed class NodeSystemInfo
{
    [Required, EmitEmpty, Description("The machine ID.")]
    public string MachineID { get; set; } = "";

    [Required, EmitEmpty, Description("The system UUID.")]
    public string SystemUUID { get; set; } = "";

    [Required, EmitEmpty, Description("The boot ID.")]
    public string BootID { get; set; } = "";

    [Required, EmitEmpty, Description("The kernel version.")]
    public string KernelVersion { get; set; } = "";

    [Required, EmitEmpty, Description("The OS image.")]
    public string OsImage { get; set; } = "";

    [Required, EmitEmpty, Description("The container runtime and its version.")]
    public string ContainerRuntimeVersion { get; set; } = "";

    [Required, EmitEmpty, Description("The kubelet version.")]
    public string KubeletVersion { get; set; } = "";

    [Required, EmitEmpty, Description("Deprecated kube-proxy version.")]
    public string KubeProxyVersion { get; set; } = "";

    [Required, EmitEmpty, Description("The operating system.")]
    public string OperatingSystem { get; set; } = "";

    [Required, EmitEmpty, Description("The CPU architecture.")]
    public string Architecture { get; set; } = "";

    [Description("Swap on the node.")]
    public JsonObject? Swap { get; set; }
}

/// <summary>Nodes, so a scheduler under test has candidates to list; the real server does not require a binding's node to exist.</summary>
public sealed class NodeStrategy : ResourceStrategy<Node>
{
    public static ResourceDefinition Definition { get; } = new()
    {
        Group = "",
        Version = "v1",
        Kind = "Node",
        Plural = "nodes",
        Singular = "node",
        Namespaced = false,
        ShortNames = ["no"],
        HasStatus = true,
        Strategy = new NodeStrategy(),
    };

    public override string UnsupportedFieldSelector(string field) => $"field label not supported: {field}";

    public override IReadOnlyDictionary<string, Func<KubeObject, string>> SelectableFields { get; } =
        new Dictionary<string, Func<KubeObject, string>>
        {
            ["spec.unschedulable"] = o => ((Node)o).Spec?.Unschedulable == true ? "true" : "false",
        };

    public override TableDefinition Table { get; } = new([
        TableDefinition.NameColumn,
        new TableColumn("Status", "string", "", "The status of the node", 0, (o, _) => Status((Node)o)),
        new TableColumn("Roles", "string", "", "The roles of the node", 0, (o, _) => Roles((Node)o)),
        TableDefinition.AgeColumn,
        new TableColumn("Version", "string", "", "Kubelet Version reported by the node.", 0,
            (o, _) => ((Node)o).Status?.NodeInfo?.KubeletVersion ?? ""),
        new TableColumn("Internal-IP", "string", "", "List of internal IPs in the node.", 1, (o, _) => Address((Node)o, "InternalIP")),
        new TableColumn("External-IP", "string", "", "List of external IPs in the node.", 1, (o, _) => Address((Node)o, "ExternalIP")),
        new TableColumn("OS-Image", "string", "", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).", 1,
            (o, _) => Info(((Node)o).Status?.NodeInfo?.OsImage)),
        new TableColumn("Kernel-Version", "string", "", "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1,
            (o, _) => Info(((Node)o).Status?.NodeInfo?.KernelVersion)),
        new TableColumn("Container-Runtime", "string", "", "Container Runtime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).", 1,
            (o, _) => Info(((Node)o).Status?.NodeInfo?.ContainerRuntimeVersion)),
    ]);

    private static string Status(Node node)
    {
        var ready = node.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready");
        var status = ready?.Status switch
        {
            "True" => "Ready",
            "False" => "NotReady",
            _ => "Unknown",
        };
        return node.Spec?.Unschedulable == true ? status + ",SchedulingDisabled" : status;
    }

    private static string Roles(Node node)
    {
        var roles = (node.Metadata.Labels ?? [])
            .Select(l => l.Key.StartsWith("node-role.kubernetes.io/", StringComparison.Ordinal) ? l.Key["node-role.kubernetes.io/".Length..]
                : l.Key == "kubernetes.io/role" ? l.Value : null)
            .Where(r => !string.IsNullOrEmpty(r)).Order(StringComparer.Ordinal).ToList();
        return roles.Count == 0 ? "<none>" : string.Join(",", roles);
    }

    private static string Address(Node node, string type)
    {
        var addresses = (node.Status?.Addresses ?? []).Where(a => a.Type == type).Select(a => a.Address).ToList();
        return addresses.Count == 0 ? "<none>" : string.Join(",", addresses);
    }

    private static string Info(string? value) => value is { Length: > 0 } ? value : "<unknown>";

    /// <summary>
    /// Go writes a node's spec and status, and the status's daemon endpoints and system info, even when empty (they are
    /// structs, which omitempty leaves in), so a node always carries them.
    /// </summary>
    protected override void ApplyDefaults(Node node)
    {
        node.Spec ??= new NodeSpec();
        node.Status ??= new NodeStatus();
        node.Status.DaemonEndpoints ??= new JsonObject { ["kubeletEndpoint"] = new JsonObject { ["Port"] = 0 } };
        node.Status.NodeInfo ??= new NodeSystemInfo();
    }

    protected override IReadOnlyList<FieldError> Validate(Node node) =>
        MetadataValidation.ValidateCreate(node.Metadata, namespaced: false, NameRule);

    protected override IReadOnlyList<FieldError> ValidateUpdate(Node node, Node old) =>
        MetadataValidation.ValidateUpdate(node.Metadata, old.Metadata);
}
