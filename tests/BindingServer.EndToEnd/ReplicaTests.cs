using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using BindingServer.TestSupport;

namespace BindingServer.EndToEnd;

/// <summary>Two server processes, A and B, on one real PostgreSQL database (a throwaway cluster).</summary>
public sealed class Replicas : IAsyncLifetime
{
    private readonly PostgresCluster _postgres = new();

    public ServerProcess A { get; private set; } = null!;

    public ServerProcess B { get; private set; } = null!;

    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await _postgres.InitializeAsync();
        ConnectionString = await _postgres.CreateDatabaseAsync("replicas_" + Guid.NewGuid().ToString("N")[..12]);
        A = await StartReplicaAsync();
        B = await StartReplicaAsync();
    }

    /// <summary>Another replica on the same database.</summary>
    public async Task<ServerProcess> StartReplicaAsync()
    {
        var replica = new ServerProcess("--Store:Provider=PostgreSQL", $"--ConnectionStrings:BindingServer={ConnectionString}");
        await replica.InitializeAsync();
        return replica;
    }

    public async Task DisposeAsync()
    {
        await B.DisposeAsync();
        await A.DisposeAsync();
        await _postgres.DisposeAsync();
    }
}

/// <summary>
/// Replicas that agree: what is written through one is read, listed and watched through the other at once, and
/// optimistic concurrency and name uniqueness hold across them, because writes serialize on the database's revision row.
/// </summary>
public sealed class ReplicaTests(Replicas replicas) : IClassFixture<Replicas>
{
    private const string Bindings = "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings";

    private static HttpClient Client(ServerProcess server) => new() { BaseAddress = server.BaseAddress };

    private static StringContent Binding(string name) => new(
        $$"""{"metadata":{"name":"{{name}}"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},"subjects":[{"kind":"User","name":"u"}]}""",
        Encoding.UTF8, "application/json");

    private static async Task<JsonNode> JsonAsync(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    [Fact]
    public async Task A_create_on_A_is_seen_by_get_list_and_watch_on_B()
    {
        using var a = Client(replicas.A);
        using var b = Client(replicas.B);
        var before = (await JsonAsync(await b.GetAsync(Bindings)))["metadata"]!["resourceVersion"]!.GetValue<string>();
        using var watch = await b.GetAsync($"{Bindings}?watch=true&resourceVersion={before}&fieldSelector=metadata.name%3Dseen-on-b", HttpCompletionOption.ResponseHeadersRead);
        using var events = new StreamReader(await watch.Content.ReadAsStreamAsync());

        using var created = await a.PostAsync(Bindings, Binding("seen-on-b"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var createdObject = await JsonAsync(created);

        // No waiting: a read on B first catches B up to the database.
        var got = await JsonAsync(await b.GetAsync($"{Bindings}/seen-on-b"));
        Assert.Equal(createdObject["metadata"]!["uid"]!.GetValue<string>(), got["metadata"]!["uid"]!.GetValue<string>());
        Assert.Equal(createdObject["metadata"]!["resourceVersion"]!.GetValue<string>(), got["metadata"]!["resourceVersion"]!.GetValue<string>());
        var listed = await JsonAsync(await b.GetAsync(Bindings));
        Assert.Contains(listed["items"]!.AsArray(), i => i!["metadata"]!["name"]!.GetValue<string>() == "seen-on-b");

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var added = JsonNode.Parse((await events.ReadLineAsync(timeout.Token))!)!;
        Assert.Equal("ADDED", added["type"]!.GetValue<string>());
        Assert.Equal(createdObject["metadata"]!["resourceVersion"]!.GetValue<string>(), added["object"]!["metadata"]!["resourceVersion"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_tenant_on_a_replica_lives_in_that_replicas_memory_apart_from_the_shared_store()
    {
        using var a = Client(replicas.A);
        using var b = Client(replicas.B);
        using var created = await a.PostAsync("/_bindingserver/tenants?id=on-replica-a", null);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        using var inTenant = await a.PostAsync("/tenants/on-replica-a" + Bindings, Binding("tenant-only"));
        Assert.Equal(HttpStatusCode.Created, inTenant.StatusCode);

        // The shared database never sees the tenant's object, and the other replica does not know the tenant.
        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync($"{Bindings}/tenant-only")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await a.GetAsync($"{Bindings}/tenant-only")).StatusCode);
        using var elsewhere = await b.GetAsync("/tenants/on-replica-a" + Bindings);
        Assert.Equal(HttpStatusCode.NotFound, elsewhere.StatusCode);
        Assert.Equal("tenants \"on-replica-a\" not found", (await JsonAsync(elsewhere))["message"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await a.GetAsync("/tenants/on-replica-a" + Bindings + "/tenant-only")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await a.DeleteAsync("/_bindingserver/tenants/on-replica-a")).StatusCode);
    }

    [Fact]
    public async Task Of_50_concurrent_same_name_creates_split_across_A_and_B_exactly_one_succeeds()
    {
        using var a = Client(replicas.A);
        using var b = Client(replicas.B);

        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => (i % 2 == 0 ? a : b).PostAsync(Bindings, Binding("only-one"))));

        Assert.Equal(1, answers.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(49, answers.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        foreach (var conflict in answers.Where(r => r.StatusCode == HttpStatusCode.Conflict))
        {
            Assert.Equal("AlreadyExists", (await JsonAsync(conflict))["reason"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Two_hundred_concurrent_merge_patches_split_across_A_and_B_lose_no_update_and_B_watches_each_in_order()
    {
        using var a = Client(replicas.A);
        using var b = Client(replicas.B);
        var created = await JsonAsync(await a.PostAsync(Bindings, Binding("patched-200")));
        var from = created["metadata"]!["resourceVersion"]!.GetValue<string>();
        using var watch = await b.GetAsync($"{Bindings}?watch=true&resourceVersion={from}&fieldSelector=metadata.name%3Dpatched-200", HttpCompletionOption.ResponseHeadersRead);
        using var events = new StreamReader(await watch.Content.ReadAsStreamAsync());

        var answers = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
        {
            var patch = new HttpRequestMessage(HttpMethod.Patch, $"{Bindings}/patched-200")
            {
                Content = new StringContent($$"""{"metadata":{"annotations":{"patch-{{i}}":"{{i}}"} } }""", Encoding.UTF8, "application/merge-patch+json"),
            };
            return (i % 2 == 0 ? a : b).SendAsync(patch);
        }));

        Assert.True(answers.All(r => r.StatusCode == HttpStatusCode.OK), $"A: {replicas.A.Errors}\nB: {replicas.B.Errors}");
        var final = await JsonAsync(await a.GetAsync($"{Bindings}/patched-200"));
        Assert.Equal(200, final["metadata"]!["annotations"]!.AsObject().Count);

        // Every update, in revision order, with no gap between what the two replicas wrote and no duplicate.
        var revisions = new List<long>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (revisions.Count < 200)
        {
            var change = JsonNode.Parse((await events.ReadLineAsync(timeout.Token))!)!;
            Assert.Equal("MODIFIED", change["type"]!.GetValue<string>());
            revisions.Add(long.Parse(change["object"]!["metadata"]!["resourceVersion"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.Equal(revisions.Order(), revisions);
        Assert.Equal(200, revisions.Distinct().Count());
        Assert.Equal(final["metadata"]!["resourceVersion"]!.GetValue<string>(), revisions[^1].ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task An_update_with_a_stale_resourceVersion_on_B_conflicts_after_an_update_on_A()
    {
        using var a = Client(replicas.A);
        using var b = Client(replicas.B);
        var created = await JsonAsync(await a.PostAsync(Bindings, Binding("optimistic")));
        var stale = created.DeepClone();
        created["metadata"]!["labels"] = new JsonObject { ["by"] = "a" };
        Assert.Equal(HttpStatusCode.OK, (await a.PutAsync($"{Bindings}/optimistic", new StringContent(created.ToJsonString(), Encoding.UTF8, "application/json"))).StatusCode);

        stale["metadata"]!["labels"] = new JsonObject { ["by"] = "b" };
        using var conflict = await b.PutAsync($"{Bindings}/optimistic", new StringContent(stale.ToJsonString(), Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Equal("Conflict", (await JsonAsync(conflict))["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Cloud_Foundry_records_written_through_A_are_read_through_B()
    {
        using var a = Client(replicas.A);
        using var b = Client(replicas.B);
        foreach (var client in new[] { a, b })
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("bearer", CloudFoundryTests.AdminToken);
        }

        var spaces = await JsonAsync(await b.GetAsync("/v2/spaces?q=name:default-space"));
        var space = spaces["resources"]![0]!["metadata"]!["guid"]!.GetValue<string>();
        using var created = await a.PostAsync("/v2/apps", new StringContent($$"""{"name":"replicated-app","space_guid":"{{space}}"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var guid = (await JsonAsync(created))["metadata"]!["guid"]!.GetValue<string>();

        var app = await JsonAsync(await b.GetAsync($"/v2/apps/{guid}"));
        Assert.Equal("replicated-app", app["entity"]!["name"]!.GetValue<string>());
        using var duplicate = await b.PostAsync("/v2/apps", new StringContent($$"""{"name":"replicated-app","space_guid":"{{space}}"}""", Encoding.UTF8, "application/json"));
        Assert.Equal("CF-AppNameTaken", (await JsonAsync(duplicate))["error_code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Kubectl_pointed_at_B_watches_what_is_written_through_A()
    {
        var kubectl = new Kubectl(replicas.B, owned: false);
        await kubectl.InitializeAsync();
        try
        {
            using var watch = kubectl.Start(null, "get", "clusterrolebindings", "--watch", "-o", "name");
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            // The list comes first (cluster-admin is in the default policy); the watch starts from its revision.
            while (await watch.StandardOutput.ReadLineAsync(timeout.Token) is { } line && !line.EndsWith("clusterrolebinding.rbac.authorization.k8s.io/cluster-admin", StringComparison.Ordinal))
            {
            }

            using var a = Client(replicas.A);
            Assert.Equal(HttpStatusCode.Created, (await a.PostAsync(Bindings, Binding("watched-through-b"))).StatusCode);

            string? seen;
            while ((seen = await watch.StandardOutput.ReadLineAsync(timeout.Token)) is not null && !seen.Contains("watched-through-b", StringComparison.Ordinal))
            {
            }

            watch.Kill();
            Assert.Equal("clusterrolebinding.rbac.authorization.k8s.io/watched-through-b", seen);
        }
        finally
        {
            await kubectl.DisposeAsync();
        }
    }
}

/// <summary>A replica killed with SIGKILL in the middle of writes: the other goes on serving, and loses no write that was answered.</summary>
public sealed class ReplicaCrashTests(Replicas replicas) : IClassFixture<Replicas>
{
    private const string Bindings = "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings";

    [Fact]
    public async Task Killing_A_during_writes_leaves_B_serving_with_every_acknowledged_write()
    {
        using var a = new HttpClient { BaseAddress = replicas.A.BaseAddress };
        using var b = new HttpClient { BaseAddress = replicas.B.BaseAddress };
        var acknowledged = new System.Collections.Concurrent.ConcurrentDictionary<string, (string Uid, string ResourceVersion)>();
        var killed = new TaskCompletionSource();
        var next = 0;

        async Task WriterAsync(HttpClient client)
        {
            while (Interlocked.Increment(ref next) is var n && n <= 600)
            {
                var name = $"crash-{n}";
                try
                {
                    using var response = await client.PostAsync(Bindings, new StringContent(
                        $$"""{"metadata":{"name":"{{name}}"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"} }""", Encoding.UTF8, "application/json"));
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        var metadata = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["metadata"]!;
                        acknowledged[name] = (metadata["uid"]!.GetValue<string>(), metadata["resourceVersion"]!.GetValue<string>());
                    }
                }
                catch (HttpRequestException) when (killed.Task.IsCompleted)
                {
                    // A went away mid-request: this write was never acknowledged.
                }

                if (acknowledged.Count >= 150)
                {
                    killed.TrySetResult();
                }
            }
        }

        var writers = Enumerable.Range(0, 8).Select(i => WriterAsync(i % 2 == 0 ? a : b)).ToList();
        var killer = killed.Task.ContinueWith(_ => System.Diagnostics.Process.GetProcessById(replicas.A.ProcessId).Kill(), TaskScheduler.Default);
        await Task.WhenAll(writers);
        await killer;

        // Everything answered 201, by either replica, is on B as it was answered.
        var listed = JsonNode.Parse(await b.GetStringAsync(Bindings))!["items"]!.AsArray()
            .ToDictionary(i => i!["metadata"]!["name"]!.GetValue<string>(), i => (i!["metadata"]!["uid"]!.GetValue<string>(), i["metadata"]!["resourceVersion"]!.GetValue<string>()));
        Assert.True(acknowledged.Count > 150, $"only {acknowledged.Count} writes were acknowledged");
        Assert.All(acknowledged, pair => Assert.Equal(pair.Value, listed[pair.Key]));
        using var after = await b.PostAsync(Bindings, new StringContent(
            """{"metadata":{"name":"after-the-crash"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"} }""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, after.StatusCode);
        Assert.True(long.Parse(JsonNode.Parse(await after.Content.ReadAsStringAsync())!["metadata"]!["resourceVersion"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)
            > acknowledged.Values.Max(v => long.Parse(v.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture)));
    }
}

/// <summary>Reset acts on the shared store: what one replica resets, every replica serves.</summary>
public sealed class ReplicaResetTests(Replicas replicas) : IClassFixture<Replicas>
{
    [Fact]
    public async Task A_reset_through_A_empties_what_B_serves_and_B_watches_it()
    {
        using var a = new HttpClient { BaseAddress = replicas.A.BaseAddress };
        using var b = new HttpClient { BaseAddress = replicas.B.BaseAddress };
        const string Namespaces = "/api/v1/namespaces";
        Assert.Equal(HttpStatusCode.Created, (await b.PostAsync(Namespaces, new StringContent("""{"metadata":{"name":"before-reset"}}""", Encoding.UTF8, "application/json"))).StatusCode);
        var from = JsonNode.Parse(await b.GetStringAsync(Namespaces))!["metadata"]!["resourceVersion"]!.GetValue<string>();
        using var watch = await b.GetAsync($"{Namespaces}?watch=true&resourceVersion={from}&fieldSelector=metadata.name%3Dbefore-reset", HttpCompletionOption.ResponseHeadersRead);
        using var events = new StreamReader(await watch.Content.ReadAsStreamAsync());

        Assert.True((await a.PostAsync("/_bindingserver/reset", null)).IsSuccessStatusCode);

        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync($"{Namespaces}/before-reset")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await b.GetAsync($"{Namespaces}/default")).StatusCode);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var deleted = JsonNode.Parse((await events.ReadLineAsync(timeout.Token))!)!;
        Assert.Equal("DELETED", deleted["type"]!.GetValue<string>());
    }
}
