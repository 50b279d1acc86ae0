using System.ComponentModel;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using BindingServer.Kubernetes.OpenApi;
using BindingServer.Kubernetes.Patching;

namespace BindingServer.Kubernetes.Resources.Core;

/// <summary>
/// One container of a pod's spec, with the lists merged by key (ports, env, volume mounts) typed below it; probes,
/// lifecycle, resources and security contexts are plain JSON passed through unchanged.
/// </summary>
[SchemaName("io.k8s.api.core.v1.Container")]
[Description("One container of a pod.")]
public sealed class Container
{
    [Required]
    [Description("The container's name, a DNS label unique within the pod.")]
    public string? Name { get; set; }

    [Description("The container image.")]
    public string? Image { get; set; }

    [Description("The entrypoint; the image's ENTRYPOINT when empty.")]
    public List<string>? Command { get; set; }

    [Description("Arguments to the entrypoint; the image's CMD when empty.")]
    public List<string>? Args { get; set; }

    [Description("The working directory; the image's when empty.")]
    public string? WorkingDir { get; set; }

    [MergeKey("containerPort")]
    [Description("Ports the container exposes.")]
    public List<ContainerPort>? Ports { get; set; }

    [Description("Sources of environment variables.")]
    public JsonArray? EnvFrom { get; set; }

    [MergeKey("name")]
    [Description("Environment variables.")]
    public List<EnvVar>? Env { get; set; }

    [Description("CPU, memory and other resource requests and limits.")]
    public JsonObject? Resources { get; set; }

    [Description("Resize policies of the container's resources.")]
    public JsonArray? ResizePolicy { get; set; }

    [Description("The container's own restart policy (only Always, for sidecar init containers).")]
    public string? RestartPolicy { get; set; }

    [MergeKey("mountPath")]
    [Description("Volumes mounted into the container.")]
    public List<VolumeMount>? VolumeMounts { get; set; }

    [Description("Block devices the container uses.")]
    public JsonArray? VolumeDevices { get; set; }

    [Description("Periodic check that the container is alive.")]
    public JsonObject? LivenessProbe { get; set; }

    [Description("Periodic check that the container is ready for traffic.")]
    public JsonObject? ReadinessProbe { get; set; }

    [Description("Check that the container has started.")]
    public JsonObject? StartupProbe { get; set; }

    [Description("Actions run after start and before stop.")]
    public JsonObject? Lifecycle { get; set; }

    [Description("Where the termination message is written; /dev/termination-log by default.")]
    public string? TerminationMessagePath { get; set; }

    [Description("How the termination message is taken: File (the default) or FallbackToLogsOnError.")]
    public string? TerminationMessagePolicy { get; set; }

    [Description("When the image is pulled: Always, IfNotPresent or Never.")]
    public string? ImagePullPolicy { get; set; }

    [Description("Container security settings.")]
    public JsonObject? SecurityContext { get; set; }

    [Description("Keep stdin open.")]
    public bool? Stdin { get; set; }

    [Description("Close stdin after the first attach.")]
    public bool? StdinOnce { get; set; }

    [Description("Allocate a TTY.")]
    public bool? Tty { get; set; }
}

[SchemaName("io.k8s.api.core.v1.ContainerPort")]
[Description("A network port of a container.")]
public sealed class ContainerPort
{
    [Description("A name for the port.")]
    public string? Name { get; set; }

    [Description("The port number on the node.")]
    public int? HostPort { get; set; }

    [Required]
    [JsonPropertyName("containerPort")]
    [Description("The port number in the pod.")]
    public int? Port { get; set; }

    [Description("TCP (the default), UDP or SCTP.")]
    public string? Protocol { get; set; }

    [Description("The node address to bind the host port to.")]
    public string? HostIP { get; set; }
}

[SchemaName("io.k8s.api.core.v1.EnvVar")]
[Description("An environment variable.")]
public sealed class EnvVar
{
    [Required]
    [Description("The variable's name.")]
    public string? Name { get; set; }

    [Description("The variable's value.")]
    public string? Value { get; set; }

    [Description("Where the value comes from, instead of value.")]
    public JsonObject? ValueFrom { get; set; }
}

[SchemaName("io.k8s.api.core.v1.VolumeMount")]
[Description("A volume mounted into a container.")]
public sealed class VolumeMount
{
    [Required]
    [Description("The volume's name.")]
    public string? Name { get; set; }

    [Description("Mount read-only.")]
    public bool? ReadOnly { get; set; }

    [Description("Recursive read-only mode.")]
    public string? RecursiveReadOnly { get; set; }

    [Required]
    [Description("Where in the container the volume is mounted.")]
    public string? MountPath { get; set; }

    [Description("A path inside the volume to mount instead of its root.")]
    public string? SubPath { get; set; }

    [Description("Mount propagation mode.")]
    public string? MountPropagation { get; set; }

    [Description("Like subPath, with environment variables expanded.")]
    public string? SubPathExpr { get; set; }
}
