using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.Tables;
using BindingServer.Kubernetes.Validation;

namespace BindingServer.Kubernetes.Resources.Core;

/// <summary>
/// Pods: the defaults and admission results a real cluster adds (so a returned pod looks like one from a cluster),
/// the create validation of <c>pkg/apis/core/validation</c>, the update restrictions, graceful deletion and the
/// printer's columns.
/// </summary>
public sealed class PodStrategy : ResourceStrategy<Pod>
{
    private const string ServiceAccountMountPath = "/var/run/secrets/kubernetes.io/serviceaccount";

    public static ResourceDefinition Definition { get; } = new()
    {
        Group = "",
        Version = "v1",
        Kind = "Pod",
        Plural = "pods",
        Singular = "pod",
        Namespaced = true,
        ShortNames = ["po"],
        Categories = ["all"],
        HasStatus = true,
        Strategy = new PodStrategy(),
    };

    public override string UnsupportedFieldSelector(string field) => $"field label not supported: {field}";

    public override IReadOnlyDictionary<string, Func<KubeObject, string>> SelectableFields { get; } =
        new Dictionary<string, Func<KubeObject, string>>
        {
            ["spec.nodeName"] = o => ((Pod)o).Spec.NodeName ?? "",
            ["spec.host"] = o => ((Pod)o).Spec.NodeName ?? "",
            ["spec.restartPolicy"] = o => ((Pod)o).Spec.RestartPolicy ?? "",
            ["spec.schedulerName"] = o => ((Pod)o).Spec.SchedulerName ?? "",
            ["spec.serviceAccountName"] = o => ((Pod)o).Spec.ServiceAccountName ?? "",
            ["spec.hostNetwork"] = o => ((Pod)o).Spec.HostNetwork == true ? "true" : "false",
            ["status.phase"] = o => ((Pod)o).Status?.Phase ?? "",
            ["status.podIP"] = o => ((Pod)o).Status?.PodIP ?? "",
            ["status.podIPs"] = o => ((Pod)o).Status?.PodIP ?? "",
            ["status.nominatedNodeName"] = o => ((Pod)o).Status?.NominatedNodeName ?? "",
        };

    public override TableDefinition Table { get; } = new([
        TableDefinition.NameColumn,
        new TableColumn("Ready", "string", "", "The aggregate readiness state of this pod for accepting traffic.", 0,
            (o, now) => PodRow.Of((Pod)o, now).Ready),
        new TableColumn("Status", "string", "", "The aggregate status of the containers in this pod.", 0, (o, now) => PodRow.Of((Pod)o, now).Status),
        new TableColumn("Restarts", "string", "",
            "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.", 0,
            (o, now) => PodRow.Of((Pod)o, now).Restarts),
        TableDefinition.AgeColumn,
        new TableColumn("IP", "string", "", "The IP address assigned to this pod.", 1,
            (o, _) => ((Pod)o).Status?.PodIPs?.FirstOrDefault()?.Ip is { Length: > 0 } ip ? ip : "<none>"),
        new TableColumn("Node", "string", "", "The node this pod is bound to.", 1, (o, _) => ((Pod)o).Spec.NodeName is { Length: > 0 } node ? node : "<none>"),
        new TableColumn("Nominated Node", "string", "", "The node the scheduler nominated for this pod.", 1,
            (o, _) => ((Pod)o).Status?.NominatedNodeName is { Length: > 0 } node ? node : "<none>"),
        new TableColumn("Readiness Gates", "string", "", "The pod's readiness gates.", 1,
            (o, _) => ((Pod)o).Spec.ReadinessGates is { Count: > 0 } gates ? $"0/{gates.Count}" : "<none>"),
    ]);

    protected override void ApplyDefaults(Pod pod)
    {
        if (pod.Status is { } status)
        {
            // v1 keeps podIP beside podIPs (and hostIP beside hostIPs); converting through the internal type, which has
            // only the lists, fills whichever one the client left out.
            if (status.PodIPs is { Count: > 0 } podIPs)
            {
                status.PodIP = podIPs[0].Ip ?? status.PodIP;
            }
            else if (!string.IsNullOrEmpty(status.PodIP))
            {
                status.PodIPs = [new PodIP { Ip = status.PodIP }];
            }

            if (status.HostIPs is { Count: > 0 } hostIPs)
            {
                status.HostIP = hostIPs[0].Ip ?? status.HostIP;
            }
            else if (!string.IsNullOrEmpty(status.HostIP))
            {
                status.HostIPs = [new HostIP { Ip = status.HostIP }];
            }
        }

        var spec = pod.Spec;
        spec.RestartPolicy ??= "Always";
        spec.TerminationGracePeriodSeconds ??= 30;
        spec.DnsPolicy ??= "ClusterFirst";
        spec.SecurityContext ??= [];
        spec.SchedulerName ??= "default-scheduler";
        spec.EnableServiceLinks ??= true;
        if (!string.IsNullOrEmpty(spec.ServiceAccountName))
        {
            spec.ServiceAccount = spec.ServiceAccountName;
        }

        foreach (var container in (spec.InitContainers ?? []).Concat(spec.Containers ?? []))
        {
            container.TerminationMessagePath ??= "/dev/termination-log";
            container.TerminationMessagePolicy ??= "File";
            container.ImagePullPolicy ??= DefaultPullPolicy(container.Image ?? "");
            container.Resources ??= [];
            if (container.Resources["limits"] is JsonObject limits && container.Resources["requests"] is null)
            {
                container.Resources["requests"] = limits.DeepClone();
            }

            foreach (var port in container.Ports ?? [])
            {
                port.Protocol ??= "TCP";
            }
        }
    }

    /// <summary>Always for <c>:latest</c> and untagged images, else IfNotPresent (digests count as tags).</summary>
    private static string DefaultPullPolicy(string image)
    {
        var lastSegment = image[(image.LastIndexOf('/') + 1)..];
        if (image.Contains('@', StringComparison.Ordinal))
        {
            return "IfNotPresent";
        }

        var colon = lastSegment.LastIndexOf(':');
        return colon < 0 || lastSegment[(colon + 1)..] == "latest" ? "Always" : "IfNotPresent";
    }

    /// <summary>What the strategy and the default admission plugins (service account, tolerations, priority) add.</summary>
    protected override void PrepareForCreate(Pod pod)
    {
        var spec = pod.Spec;
        pod.Status = new PodStatus { Phase = "Pending", QosClass = QosClass(pod) };
        if (spec.SchedulingGates is { Count: > 0 })
        {
            pod.Status.Conditions =
            [
                new PodCondition { Type = "PodScheduled", Status = "False", Reason = "SchedulingGated", Message = "Scheduling is blocked due to non-empty scheduling gates" },
            ];
        }

        if (string.IsNullOrEmpty(spec.ServiceAccountName))
        {
            spec.ServiceAccountName = "default";
            spec.ServiceAccount = "default";
        }

        if (spec.AutomountServiceAccountToken != false && !(spec.Containers ?? []).Any(c => c.VolumeMounts?.Any(m => m.MountPath == ServiceAccountMountPath) == true))
        {
            var name = "kube-api-access-" + RandomSuffix();
            spec.Volumes = [.. spec.Volumes ?? [], ServiceAccountVolume(name)];
            foreach (var container in (spec.InitContainers ?? []).Concat(spec.Containers ?? []))
            {
                container.VolumeMounts = [.. container.VolumeMounts ?? [], new VolumeMount { Name = name, ReadOnly = true, MountPath = ServiceAccountMountPath }];
            }
        }

        var tolerations = spec.Tolerations ?? [];
        foreach (var key in new[] { "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable" })
        {
            if (!tolerations.Any(t => (t.Key == key || (string.IsNullOrEmpty(t.Key) && t.Operator == "Exists")) && (string.IsNullOrEmpty(t.Effect) || t.Effect == "NoExecute")))
            {
                tolerations.Add(new Toleration { Key = key, Operator = "Exists", Effect = "NoExecute", TolerationSeconds = 300 });
            }
        }

        spec.Tolerations = tolerations;
        spec.Priority ??= 0;
        spec.PreemptionPolicy ??= "PreemptLowerPriority";
    }

    private static string RandomSuffix()
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        return string.Concat(Enumerable.Range(0, 5).Select(_ => alphabet[System.Security.Cryptography.RandomNumberGenerator.GetInt32(alphabet.Length)]));
    }

    private static Volume ServiceAccountVolume(string name) => new()
    {
        Name = name,
        Source = new Dictionary<string, System.Text.Json.JsonElement>
        {
            ["projected"] = System.Text.Json.JsonDocument.Parse("""
                {"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},
                 {"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}},
                 {"downwardAPI":{"items":[{"path":"namespace","fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"}}]}}],
                 "defaultMode":420}
                """).RootElement,
        },
    };

    private static string QosClass(Pod pod)
    {
        var containers = (pod.Spec.InitContainers ?? []).Concat(pod.Spec.Containers ?? []).ToList();
        bool Has(Container c, string section) => c.Resources?[section] is JsonObject { Count: > 0 };
        if (containers.All(c => !Has(c, "limits") && !Has(c, "requests")))
        {
            return "BestEffort";
        }

        var guaranteed = containers.All(c =>
            c.Resources?["limits"] is JsonObject limits && limits["cpu"] is not null && limits["memory"] is not null &&
            JsonNode.DeepEquals(c.Resources["requests"]?["cpu"] ?? limits["cpu"], limits["cpu"]) &&
            JsonNode.DeepEquals(c.Resources["requests"]?["memory"] ?? limits["memory"], limits["memory"]));
        return guaranteed ? "Guaranteed" : "Burstable";
    }

    /// <summary>Status comes from storage: only the status subresource and bindings change it.</summary>
    protected override void PrepareForUpdate(Pod pod, Pod old) => pod.Status = old.Status;

    /// <summary>The spec and owner references stay, and so does the QoS class the server set at creation.</summary>
    protected override void PrepareForStatusUpdate(Pod pod, Pod old)
    {
        base.PrepareForStatusUpdate(pod, old);
        pod.Status ??= new PodStatus();
        pod.Status.QosClass = old.Status?.QosClass;
    }

    protected override IReadOnlyList<FieldError> Validate(Pod pod)
    {
        var errors = MetadataValidation.ValidateCreate(pod.Metadata, namespaced: true, NameRule);
        errors.AddRange(ValidateSpec(pod.Spec));
        return errors;
    }

    private static List<FieldError> ValidateSpec(PodSpec spec)
    {
        var errors = new List<FieldError>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        errors.AddRange(ValidateContainers(spec.InitContainers ?? [], "spec.initContainers", names));
        if (spec.Containers is not { Count: > 0 })
        {
            errors.Add(FieldError.Required("spec.containers"));
        }
        else
        {
            errors.AddRange(ValidateContainers(spec.Containers, "spec.containers", names));
        }

        if (spec.RestartPolicy is not ("Always" or "OnFailure" or "Never"))
        {
            errors.Add(FieldError.NotSupported("spec.restartPolicy", spec.RestartPolicy ?? "", "Always", "OnFailure", "Never"));
        }

        if (spec.DnsPolicy is not ("ClusterFirst" or "ClusterFirstWithHostNet" or "Default" or "None"))
        {
            errors.Add(FieldError.NotSupported("spec.dnsPolicy", spec.DnsPolicy ?? "", "ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"));
        }

        var volumes = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (spec.Volumes?.Count ?? 0); i++)
        {
            var volume = spec.Volumes![i];
            if (string.IsNullOrEmpty(volume.Name))
            {
                errors.Add(FieldError.Required($"spec.volumes[{i}].name"));
            }
            else if (!volumes.Add(volume.Name))
            {
                errors.Add(FieldError.Duplicate($"spec.volumes[{i}].name", volume.Name));
            }
        }

        if (spec.TerminationGracePeriodSeconds < 0)
        {
            errors.Add(FieldError.Invalid("spec.terminationGracePeriodSeconds", spec.TerminationGracePeriodSeconds, "must be greater than or equal to 0"));
        }

        return errors;
    }

    private static IEnumerable<FieldError> ValidateContainers(List<Container> containers, string path, HashSet<string> names)
    {
        for (var i = 0; i < containers.Count; i++)
        {
            var container = containers[i];
            var at = $"{path}[{i}]";
            if (string.IsNullOrEmpty(container.Name))
            {
                yield return FieldError.Required($"{at}.name");
            }
            else
            {
                foreach (var message in NameRules.IsDns1123Label(container.Name))
                {
                    yield return FieldError.Invalid($"{at}.name", container.Name, message);
                }

                if (!names.Add(container.Name))
                {
                    yield return FieldError.Duplicate($"{at}.name", container.Name);
                }
            }

            if (string.IsNullOrWhiteSpace(container.Image))
            {
                yield return FieldError.Required($"{at}.image");
            }

            if (container.ImagePullPolicy is not ("Always" or "IfNotPresent" or "Never"))
            {
                yield return FieldError.NotSupported($"{at}.imagePullPolicy", container.ImagePullPolicy ?? "", "Always", "IfNotPresent", "Never");
            }

            for (var p = 0; p < (container.Ports?.Count ?? 0); p++)
            {
                var port = container.Ports![p].Port;
                if (port is not (> 0 and < 65536))
                {
                    yield return FieldError.Invalid($"{at}.ports[{p}].containerPort", port ?? 0, "must be between 1 and 65535, inclusive");
                }
            }
        }
    }

    /// <summary>Almost all of a pod's spec is fixed once created; these are the fields an update may change.</summary>
    protected override IReadOnlyList<FieldError> ValidateUpdate(Pod pod, Pod old)
    {
        var errors = MetadataValidation.ValidateUpdate(pod.Metadata, old.Metadata);
        if (!JsonNode.DeepEquals(Comparable(pod.Spec, old.Spec), Comparable(old.Spec, old.Spec)))
        {
            errors.Add(FieldError.Forbidden("spec",
                "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"));
        }

        return errors;
    }

    /// <summary>The spec with the mutable fields replaced by the old spec's, so any remaining difference is forbidden.</summary>
    private static JsonObject Comparable(PodSpec spec, PodSpec old)
    {
        var copy = KubeJson.ToNode(spec);
        copy.Remove("activeDeadlineSeconds");
        copy.Remove("tolerations");
        copy["terminationGracePeriodSeconds"] = old.TerminationGracePeriodSeconds;
        foreach (var list in new[] { "containers", "initContainers" })
        {
            foreach (var container in (copy[list] as JsonArray ?? []).OfType<JsonObject>())
            {
                container.Remove("image");
            }
        }

        return copy;
    }

    /// <summary>
    /// The request's grace period, else the pod's; zero for a pod no node runs yet (or that has finished).
    /// A graceful delete only marks the pod; <see cref="Kubelet"/> removes it, as a node's kubelet would.
    /// </summary>
    protected override DeletePlan PlanDelete(Pod pod, DeleteOptions options, DateTimeOffset now)
    {
        var grace = options.GracePeriodSeconds ?? pod.Spec.TerminationGracePeriodSeconds ?? 30;
        if (string.IsNullOrEmpty(pod.Spec.NodeName) || pod.Status?.Phase is "Succeeded" or "Failed")
        {
            grace = 0;
        }
        else if (grace < 0)
        {
            grace = 1;
        }

        if (grace == 0)
        {
            return DeletePlan.Now;
        }

        var deadline = now.AddSeconds(grace);
        if (pod.Metadata.DeletionTimestamp is { } current && current <= deadline)
        {
            return new DeletePlan.Unchanged();
        }

        return new DeletePlan.Graceful(deadline, grace);
    }
}
