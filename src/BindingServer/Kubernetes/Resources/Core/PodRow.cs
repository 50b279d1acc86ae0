using System.Globalization;
using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Tables;

namespace BindingServer.Kubernetes.Resources.Core;

/// <summary>
/// The READY, STATUS and RESTARTS cells of a pod's table row, worked out from its container statuses the way the
/// apiserver's pod printer does: init containers first (a failing or waiting one names the status), then the
/// containers from last to first (a waiting or terminated one's reason wins; running and ready ones count as ready).
/// </summary>
public sealed record PodRow(string Ready, string Status, string Restarts)
{
    public static PodRow Of(Pod pod, DateTimeOffset now)
    {
        var status = pod.Status;
        var reason = status?.Reason is { Length: > 0 } given ? given : status?.Phase ?? "";
        if (status?.Conditions?.Any(c => c.Type == "PodScheduled" && c.Reason == "SchedulingGated") == true)
        {
            reason = "SchedulingGated";
        }

        var sidecars = (pod.Spec.InitContainers ?? []).Where(c => c.RestartPolicy == "Always").Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var total = (pod.Spec.Containers?.Count ?? 0) + sidecars.Count;
        var ready = 0;
        var restarts = 0;
        var sidecarRestarts = 0;
        DateTimeOffset? lastRestart = null;
        DateTimeOffset? lastSidecarRestart = null;

        var initializing = false;
        var initStatuses = status?.InitContainerStatuses ?? [];
        for (var i = 0; i < initStatuses.Count; i++)
        {
            var container = initStatuses[i] as JsonObject ?? [];
            var count = Int(container["restartCount"]);
            restarts += count;
            lastRestart = Later(lastRestart, FinishedAt(container));
            var sidecar = sidecars.Contains(KubeJson.Text(container["name"]) ?? "");
            if (sidecar)
            {
                sidecarRestarts += count;
                lastSidecarRestart = Later(lastSidecarRestart, FinishedAt(container));
            }

            var terminated = container["state"]?["terminated"] as JsonObject;
            var waiting = container["state"]?["waiting"] as JsonObject;
            if (terminated is not null && Int(terminated["exitCode"]) == 0)
            {
                continue;
            }

            if (sidecar && Bool(container["started"]))
            {
                ready += Bool(container["ready"]) ? 1 : 0;
                continue;
            }

            reason = terminated is not null
                ? "Init:" + (KubeJson.Text(terminated["reason"]) is { Length: > 0 } why ? why : ExitText(terminated))
                : waiting is not null && KubeJson.Text(waiting["reason"]) is { Length: > 0 } waitingReason && waitingReason != "PodInitializing"
                    ? "Init:" + waitingReason
                    : $"Init:{i}/{pod.Spec.InitContainers?.Count ?? 0}";
            initializing = true;
            break;
        }

        if (!initializing || status?.Conditions?.Any(c => c.Type == "Initialized" && c.Status == "True") == true)
        {
            restarts = sidecarRestarts;
            lastRestart = lastSidecarRestart;
            var hasRunning = false;
            var statuses = status?.ContainerStatuses ?? [];
            for (var i = statuses.Count - 1; i >= 0; i--)
            {
                var container = statuses[i] as JsonObject ?? [];
                restarts += Int(container["restartCount"]);
                lastRestart = Later(lastRestart, FinishedAt(container));
                var terminated = container["state"]?["terminated"] as JsonObject;
                if (container["state"]?["waiting"] is JsonObject waiting && KubeJson.Text(waiting["reason"]) is { Length: > 0 } waitingReason)
                {
                    reason = waitingReason;
                }
                else if (terminated is not null)
                {
                    reason = KubeJson.Text(terminated["reason"]) is { Length: > 0 } why ? why : ExitText(terminated);
                }
                else if (Bool(container["ready"]) && container["state"]?["running"] is not null)
                {
                    hasRunning = true;
                    ready++;
                }
            }

            if (reason == "Completed" && hasRunning)
            {
                reason = status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true ? "Running" : "NotReady";
            }
        }

        if (pod.Metadata.DeletionTimestamp is not null && status?.Reason == "NodeLost")
        {
            reason = "Unknown";
        }
        else if (pod.Metadata.DeletionTimestamp is not null && status?.Phase is not ("Succeeded" or "Failed"))
        {
            reason = "Terminating";
        }

        var restartText = restarts.ToString(CultureInfo.InvariantCulture);
        if (restarts != 0 && lastRestart is { } when)
        {
            restartText += $" ({HumanDuration.Since(when, now)} ago)";
        }

        return new PodRow($"{ready}/{total}", reason, restartText);
    }

    private static string ExitText(JsonObject terminated) =>
        Int(terminated["signal"]) is var signal && signal != 0 ? $"Signal:{signal}" : $"ExitCode:{Int(terminated["exitCode"])}";

    private static DateTimeOffset? FinishedAt(JsonObject container) =>
        KubeJson.Text(container["lastState"]?["terminated"]?["finishedAt"]) is { } text
        && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var finished)
            ? finished
            : null;

    private static DateTimeOffset? Later(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;

    private static bool Bool(JsonNode? node) => node is JsonValue value && value.TryGetValue<bool>(out var flag) && flag;

    private static int Int(JsonNode? node) => node is JsonValue value && value.TryGetValue<int>(out var number) ? number : 0;
}
