namespace BindingServer.EndToEnd;

/// <summary>What a CI suite does between tests: reset the real process, and kubectl sees the start state again.</summary>
public sealed class AdminResetTests(Kubectl kubectl) : IClassFixture<Kubectl>
{
    [Fact]
    public async Task After_a_reset_kubectl_sees_a_fresh_cluster()
    {
        var created = await kubectl.RunAsync("create", "clusterrolebinding", "reset-me", "--clusterrole=view", "--user=jane");
        Assert.True(created.ExitCode == 0, created.Err);
        var made = await kubectl.RunAsync("create", "namespace", "reset-team");
        Assert.True(made.ExitCode == 0, made.Err);

        using var client = new HttpClient { BaseAddress = kubectl.ServerAddress };
        using var reset = await client.PostAsync("_bindingserver/reset", null);
        Assert.True(reset.IsSuccessStatusCode, await reset.Content.ReadAsStringAsync());

        // A fresh cluster's bindings are its default policy.
        var bindings = (await kubectl.RunAsync("get", "clusterrolebindings", "-l", "kubernetes.io/bootstrapping!=rbac-defaults")).Err;
        Assert.Equal("No resources found\n", bindings);
        Assert.Contains("clusterrolebinding.rbac.authorization.k8s.io/cluster-admin\n", (await kubectl.RunAsync("get", "clusterrolebindings", "-o", "name")).Out);
        var namespaces = await kubectl.RunAsync("get", "namespaces", "-o", "name");
        Assert.Equal("namespace/default\nnamespace/kube-node-lease\nnamespace/kube-public\nnamespace/kube-system\n", namespaces.Out);
    }

    [Fact]
    public async Task The_journal_shows_what_kubectl_sent()
    {
        using var client = new HttpClient { BaseAddress = kubectl.ServerAddress };
        (await client.DeleteAsync("_bindingserver/journal")).EnsureSuccessStatusCode();

        var made = await kubectl.RunAsync("create", "namespace", "journal-team");
        Assert.True(made.ExitCode == 0, made.Err);

        var entries = System.Text.Json.Nodes.JsonNode.Parse(await client.GetStringAsync("_bindingserver/journal"))!["entries"]!.AsArray();
        var create = Assert.Single(entries, e => e!["method"]!.GetValue<string>() == "POST");
        Assert.Equal("/api/v1/namespaces", create!["path"]!.GetValue<string>());
        Assert.Contains("fieldManager=kubectl-create", create["query"]!.GetValue<string>());
        Assert.Equal(201, create["status"]!.GetValue<int>());
        Assert.Matches("^[0-9a-f]{64}$", create["bodySha256"]!.GetValue<string>());
    }
}
