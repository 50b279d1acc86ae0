using k8s;
using k8s.Models;

namespace BindingServer.EndToEnd;

/// <summary>
/// A minimal scheduler written with the official client, as users of BindingServer write theirs: watch unscheduled
/// pods, pick a node, post a Binding. The server, not the client library's fake, sets spec.nodeName.
/// </summary>
public sealed class SchedulerLoopTests(ServerProcess server) : IClassFixture<ServerProcess>
{
    [Fact]
    public async Task Every_pod_gets_a_node()
    {
        using var client = new Kubernetes(new KubernetesClientConfiguration { Host = server.BaseAddress.ToString() });
        foreach (var node in new[] { "node-a", "node-b" })
        {
            await client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = node } });
        }

        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "sched" } });
        var names = Enumerable.Range(1, 5).Select(i => $"work-{i}").ToList();
        foreach (var name in names)
        {
            await client.CoreV1.CreateNamespacedPodAsync(new V1Pod
            {
                Metadata = new V1ObjectMeta { Name = name },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox" }] },
            }, "sched");
        }

        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var nodes = (await client.CoreV1.ListNodeAsync(cancellationToken: cancel.Token)).Items.Select(n => n.Metadata.Name).ToList();
        var bound = 0;
        var watch = client.CoreV1.WatchListNamespacedPodAsync("sched", fieldSelector: "spec.nodeName=", timeoutSeconds: 60, cancellationToken: cancel.Token);
        await foreach (var (type, pod) in watch)
        {
            if (type != WatchEventType.Added)
            {
                continue;
            }

            var node = nodes[bound % nodes.Count];
            await client.CoreV1.CreateNamespacedPodBindingAsync(new V1Binding
            {
                Metadata = new V1ObjectMeta { Name = pod.Metadata.Name },
                Target = new V1ObjectReference { Kind = "Node", ApiVersion = "v1", Name = node },
            }, pod.Metadata.Name, "sched", cancellationToken: cancel.Token);
            if (++bound == names.Count)
            {
                break;
            }
        }

        var pods = await client.CoreV1.ListNamespacedPodAsync("sched", cancellationToken: cancel.Token);
        Assert.Equal(names, pods.Items.Select(p => p.Metadata.Name).Order());
        Assert.All(pods.Items, p => Assert.Contains(p.Spec.NodeName, nodes));
        Assert.All(pods.Items, p => Assert.Contains(p.Status.Conditions, c => c.Type == "PodScheduled" && c.Status == "True"));
        var unscheduled = await client.CoreV1.ListNamespacedPodAsync("sched", fieldSelector: "spec.nodeName=", cancellationToken: cancel.Token);
        Assert.Empty(unscheduled.Items);
    }
}
