using System.Net;
using System.Text.Json;
using BindingServer.TestSupport;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace BindingServer.EndToEnd;

/// <summary>The official .NET client (KubernetesClient) against the real server process.</summary>
public sealed class KubernetesClientTests(ServerProcess server) : IClassFixture<ServerProcess>
{
    private Kubernetes Client() => new(new KubernetesClientConfiguration { Host = server.BaseAddress.ToString() });

    private static V1ClusterRoleBinding Binding(string name, string team = "a") => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["team"] = team } },
        RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "view" },
        Subjects = [new Rbacv1Subject { Kind = "User", Name = "alice", ApiGroup = "rbac.authorization.k8s.io" }],
    };

    [Fact]
    public async Task Create_get_and_the_AlreadyExists_error()
    {
        using var client = Client();
        var created = await client.RbacAuthorizationV1.CreateClusterRoleBindingAsync(Binding("kc-create"));

        Assert.Equal("kc-create", created.Metadata.Name);
        Assert.NotNull(created.Metadata.Uid);
        Assert.NotNull(created.Metadata.CreationTimestamp);
        var read = await client.RbacAuthorizationV1.ReadClusterRoleBindingAsync("kc-create");
        Assert.Equal(created.Metadata.ResourceVersion, read.Metadata.ResourceVersion);
        Assert.Equal("alice", read.Subjects.Single().Name);

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => client.RbacAuthorizationV1.CreateClusterRoleBindingAsync(Binding("kc-create")));
        Assert.Equal(HttpStatusCode.Conflict, error.Response.StatusCode);
        var status = KubernetesJson.Deserialize<V1Status>(error.Response.Content);
        Assert.Equal("AlreadyExists", status.Reason);
    }

    [Fact]
    public async Task List_with_selectors_and_paging()
    {
        using var client = Client();
        foreach (var name in new[] { "kc-list-1", "kc-list-2", "kc-list-3" })
        {
            await client.RbacAuthorizationV1.CreateClusterRoleBindingAsync(Binding(name, team: "paging"));
        }

        var first = await client.RbacAuthorizationV1.ListClusterRoleBindingAsync(labelSelector: "team=paging", limit: 2);
        Assert.Equal(["kc-list-1", "kc-list-2"], first.Items.Select(i => i.Metadata.Name));
        Assert.False(string.IsNullOrEmpty(first.Metadata.ContinueProperty));
        var second = await client.RbacAuthorizationV1.ListClusterRoleBindingAsync(labelSelector: "team=paging", limit: 2, continueParameter: first.Metadata.ContinueProperty);
        Assert.Equal(["kc-list-3"], second.Items.Select(i => i.Metadata.Name));

        var byName = await client.RbacAuthorizationV1.ListClusterRoleBindingAsync(fieldSelector: "metadata.name=kc-list-2");
        Assert.Equal("kc-list-2", byName.Items.Single().Metadata.Name);
    }

    [Fact]
    public async Task Replace_with_a_stale_resource_version_is_a_conflict()
    {
        using var client = Client();
        var created = await client.RbacAuthorizationV1.CreateClusterRoleBindingAsync(Binding("kc-replace"));
        created.Subjects = [new Rbacv1Subject { Kind = "Group", Name = "devs", ApiGroup = "rbac.authorization.k8s.io" }];
        var replaced = await client.RbacAuthorizationV1.ReplaceClusterRoleBindingAsync(created, "kc-replace");
        Assert.NotEqual(created.Metadata.ResourceVersion, replaced.Metadata.ResourceVersion);

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => client.RbacAuthorizationV1.ReplaceClusterRoleBindingAsync(created, "kc-replace"));
        Assert.Equal(HttpStatusCode.Conflict, error.Response.StatusCode);
        Assert.Contains("the object has been modified", error.Response.Content);
    }

    [Fact]
    public async Task Every_patch_type()
    {
        using var client = Client();
        await client.RbacAuthorizationV1.CreateClusterRoleBindingAsync(Binding("kc-patch"));

        var merged = await client.RbacAuthorizationV1.PatchClusterRoleBindingAsync(
            new V1Patch("""{"metadata":{"labels":{"merge":"yes"}}}""", V1Patch.PatchType.MergePatch), "kc-patch");
        Assert.Equal("yes", merged.Metadata.Labels["merge"]);

        var jsonPatched = await client.RbacAuthorizationV1.PatchClusterRoleBindingAsync(
            new V1Patch("""[{"op":"add","path":"/metadata/labels/json","value":"yes"}]""", V1Patch.PatchType.JsonPatch), "kc-patch");
        Assert.Equal("yes", jsonPatched.Metadata.Labels["json"]);

        var strategic = await client.RbacAuthorizationV1.PatchClusterRoleBindingAsync(
            new V1Patch("""{"subjects":[{"kind":"Group","name":"ops","apiGroup":"rbac.authorization.k8s.io"}]}""", V1Patch.PatchType.StrategicMergePatch), "kc-patch");
        Assert.Equal("ops", strategic.Subjects.Single().Name);

        var applied = await client.RbacAuthorizationV1.PatchClusterRoleBindingAsync(
            new V1Patch("""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"kc-apply","labels":{"applied":"yes"}},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"edit"}}""",
                V1Patch.PatchType.ApplyPatch), "kc-apply", fieldManager: "e2e", force: true);
        Assert.Equal("yes", applied.Metadata.Labels["applied"]);
        Assert.Contains(applied.Metadata.ManagedFields, f => f.Manager == "e2e" && f.Operation == "Apply");
    }

    [Fact]
    public async Task Delete_answers_a_success_status()
    {
        using var client = Client();
        await client.RbacAuthorizationV1.CreateClusterRoleBindingAsync(Binding("kc-delete"));

        var status = await client.RbacAuthorizationV1.DeleteClusterRoleBindingAsync("kc-delete");

        Assert.Equal("Success", status.Status);
        Assert.Equal("kc-delete", status.Details.Name);
        var error = await Assert.ThrowsAsync<HttpOperationException>(() => client.RbacAuthorizationV1.ReadClusterRoleBindingAsync("kc-delete"));
        Assert.Equal(HttpStatusCode.NotFound, error.Response.StatusCode);
    }

    [Fact]
    public async Task A_scheduler_marks_a_pod_unschedulable_through_its_status()
    {
        using var client = Client();
        await client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "kc-unschedulable" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox" }] },
        }, "default");

        var condition = """{"status":{"conditions":[{"type":"PodScheduled","status":"False","reason":"Unschedulable","message":"0/3 nodes are available"}]}}""";
        var patched = await client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(condition, V1Patch.PatchType.StrategicMergePatch),
            "kc-unschedulable", "default", fieldManager: "default-scheduler");

        var scheduled = Assert.Single(patched.Status.Conditions);
        Assert.Equal(("PodScheduled", "False", "Unschedulable"), (scheduled.Type, scheduled.Status, scheduled.Reason));
        var owner = Assert.Single(patched.Metadata.ManagedFields, m => m.Manager == "default-scheduler");
        Assert.Equal("status", owner.Subresource);

        patched.Status.Phase = "Failed";
        var replaced = await client.CoreV1.ReplaceNamespacedPodStatusAsync(patched, "kc-unschedulable", "default");
        Assert.Equal("Failed", (await client.CoreV1.ReadNamespacedPodStatusAsync("kc-unschedulable", "default")).Status.Phase);
        Assert.Equal(replaced.Metadata.ResourceVersion, (await client.CoreV1.ReadNamespacedPodAsync("kc-unschedulable", "default")).Metadata.ResourceVersion);
    }

    [Fact]
    public async Task A_controller_records_an_event_and_finds_it_by_its_object()
    {
        using var client = Client();
        var created = await client.CoreV1.CreateNamespacedEventAsync(new Corev1Event
        {
            Metadata = new V1ObjectMeta { GenerateName = "kc-event-" },
            InvolvedObject = new V1ObjectReference { Kind = "Pod", NamespaceProperty = "default", Name = "kc-evented", ApiVersion = "v1" },
            Reason = "FailedScheduling",
            Message = "0/3 nodes are available",
            Type = "Warning",
            Source = new V1EventSource { Component = "default-scheduler" },
            FirstTimestamp = DateTime.UtcNow,
            LastTimestamp = DateTime.UtcNow,
            Count = 1,
        }, "default");

        var found = await client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: "involvedObject.name=kc-evented,type=Warning");

        Assert.StartsWith("kc-event-", created.Metadata.Name);
        var only = Assert.Single(found.Items);
        Assert.Equal(("FailedScheduling", "default-scheduler"), (only.Reason, only.Source.Component));
    }

    [Fact]
    public async Task Watch_sees_added_modified_and_deleted_in_revision_order()
    {
        using var client = Client();
        var start = await client.RbacAuthorizationV1.ListClusterRoleBindingAsync(labelSelector: "team=watch");
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var events = new List<(WatchEventType Type, V1ClusterRoleBinding Object)>();
        var stream = client.RbacAuthorizationV1.WatchListClusterRoleBindingAsync(
            resourceVersion: start.Metadata.ResourceVersion, labelSelector: "team=watch", timeoutSeconds: 60, cancellationToken: cancel.Token);

        var reading = Task.Run(async () =>
        {
            await foreach (var (type, item) in stream)
            {
                events.Add((type, item));
                if (events.Count == 3)
                {
                    return;
                }
            }
        });

        // The watch starts from the list's resourceVersion, so it gets what follows whenever its stream connects.
        await client.RbacAuthorizationV1.CreateClusterRoleBindingAsync(Binding("kc-watch", team: "watch"));
        await client.RbacAuthorizationV1.PatchClusterRoleBindingAsync(new V1Patch("""{"metadata":{"annotations":{"a":"b"}}}""", V1Patch.PatchType.MergePatch), "kc-watch");
        await client.RbacAuthorizationV1.DeleteClusterRoleBindingAsync("kc-watch");
        await reading.WaitAsync(cancel.Token);

        Assert.Equal([WatchEventType.Added, WatchEventType.Modified, WatchEventType.Deleted], events.Select(e => e.Type));
        var versions = events.Select(e => long.Parse(e.Object.Metadata.ResourceVersion)).ToList();
        Assert.Equal(versions.Order(), versions);
    }

    [Fact]
    public async Task Validation_errors_reach_the_client_as_a_422_status_with_causes()
    {
        using var client = Client();
        var bad = Binding("kc-invalid");
        bad.RoleRef.Kind = "Role";

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => client.RbacAuthorizationV1.CreateClusterRoleBindingAsync(bad));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.Response.StatusCode);
        var status = KubernetesJson.Deserialize<V1Status>(error.Response.Content);
        Assert.Equal("Invalid", status.Reason);
        Assert.Equal("roleRef.kind", status.Details.Causes.Single().Field);
        Assert.Empty(OfficialSchemas.Validate("core", "io.k8s.apimachinery.pkg.apis.meta.v1.Status", error.Response.Content));
    }
}
