using System.ComponentModel;
using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.OpenApi;
using BindingServer.Kubernetes.Tables;
using BindingServer.Kubernetes.Validation;

namespace BindingServer.Kubernetes.Resources.Core;

[SchemaName("io.k8s.api.core.v1.Node")]
[Description("A machine pods can be bound to. Here nodes are records only: no kubelet runs behind them.")]
public sealed class Node : KubeObject
{
    [Description("How the node is configured: unschedulable, taints, pod CIDRs.")]
    public JsonObject? Spec { get; set; }

    [Description("What the node reports: capacity, conditions, addresses, versions.")]
    public JsonObject? Status { get; set; }
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
            ["spec.unschedulable"] = o => ((Node)o).Spec?["unschedulable"]?.GetValue<bool>() == true ? "true" : "false",
        };

    public override TableDefinition Table { get; } = new([
        TableDefinition.NameColumn,
        new TableColumn("Status", "string", "", "The status of the node", 0, (o, _) => Status((Node)o)),
        new TableColumn("Roles", "string", "", "The roles of the node", 0, (o, _) => Roles((Node)o)),
        TableDefinition.AgeColumn,
        new TableColumn("Version", "string", "", "Kubelet Version reported by the node.", 0,
            (o, _) => ((Node)o).Status?["nodeInfo"]?["kubeletVersion"]?.GetValue<string>() ?? ""),
        new TableColumn("Internal-IP", "string", "", "List of internal IPs in the node.", 1, (o, _) => Address((Node)o, "InternalIP")),
        new TableColumn("External-IP", "string", "", "List of external IPs in the node.", 1, (o, _) => Address((Node)o, "ExternalIP")),
        new TableColumn("OS-Image", "string", "", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).", 1,
            (o, _) => Info((Node)o, "osImage")),
        new TableColumn("Kernel-Version", "string", "", "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1,
            (o, _) => Info((Node)o, "kernelVersion")),
        new TableColumn("Container-Runtime", "string", "", "Container Runtime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).", 1,
            (o, _) => Info((Node)o, "containerRuntimeVersion")),
    ]);

    private static string Status(Node node)
    {
        var ready = (node.Status?["conditions"] as JsonArray ?? []).FirstOrDefault(c => c?["type"]?.GetValue<string>() == "Ready");
        var status = ready?["status"]?.GetValue<string>() switch
        {
            "True" => "Ready",
            "False" => "NotReady",
            _ => "Unknown",
        };
        return node.Spec?["unschedulable"]?.GetValue<bool>() == true ? status + ",SchedulingDisabled" : status;
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
        var addresses = (node.Status?["addresses"] as JsonArray ?? [])
            .Where(a => a?["type"]?.GetValue<string>() == type).Select(a => a!["address"]?.GetValue<string>()).ToList();
        return addresses.Count == 0 ? "<none>" : string.Join(",", addresses);
    }

    private static string Info(Node node, string field) =>
        node.Status?["nodeInfo"]?[field]?.GetValue<string>() is { Length: > 0 } value ? value : "<unknown>";

    protected override IReadOnlyList<FieldError> Validate(Node node) =>
        MetadataValidation.ValidateCreate(node.Metadata, namespaced: false, NameRule);

    protected override IReadOnlyList<FieldError> ValidateUpdate(Node node, Node old) =>
        MetadataValidation.ValidateUpdate(node.Metadata, old.Metadata);
}
