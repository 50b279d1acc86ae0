using System.Text;
using System.Text.Json.Nodes;
using BindingServer.Tests.CloudFoundry;
using Microsoft.AspNetCore.Hosting;

namespace BindingServer.Tests.Hosting;

/// <summary>
/// A write the store cannot commit (its quota, like a full disk) is etcd's "database space exceeded" as the apiserver
/// answers it, a 500 InternalError Status; Cloud Foundry's is CC's unknown error. Nothing is stored or published,
/// and reads go on.
/// </summary>
public sealed class StoreQuotaTests(StoreQuotaTests.SmallStoreFactory factory) : IClassFixture<StoreQuotaTests.SmallStoreFactory>
{
    public sealed class SmallStoreFactory : ServerFactory
    {
        public string Folder { get; } = Path.Combine(Path.GetTempPath(), "bindingserver-quota-" + Guid.NewGuid().ToString("N"));

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Store:InMemory", "false");
            builder.UseSetting("Store:DataPath", Folder);
            builder.UseSetting("Store:QuotaMegabytes", "3");
        }

        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            if (disposing && Directory.Exists(Folder))
            {
                Directory.Delete(Folder, recursive: true);
            }
        }
    }

    private const string Bindings = "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings";

    private static StringContent Binding(string name, int padding) => new(
        $$"""{"metadata":{"name":"{{name}}","annotations":{"padding":"{{new string('p', padding)}}"} },"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"} }""",
        Encoding.UTF8, "application/json");

    [Fact]
    public async Task A_write_past_the_quota_is_an_internal_error_that_stores_and_publishes_nothing()
    {
        using var client = factory.Client();
        var list = JsonNode.Parse(await client.GetStringAsync(Bindings))!;
        var before = list["metadata"]!["resourceVersion"].Str();
        using var watch = await client.GetAsync($"{Bindings}?watch=true&resourceVersion={before}", HttpCompletionOption.ResponseHeadersRead);
        using var events = new StreamReader(await watch.Content.ReadAsStreamAsync());

        HttpResponseMessage response;
        var created = new List<string>();
        while ((response = await client.PostAsync(Bindings, Binding($"full-{created.Count}", 200_000))).IsSuccessStatusCode)
        {
            created.Add($"full-{created.Count}");
            Assert.True(created.Count < 40, "the quota never filled");
        }

        var refused = $"full-{created.Count}";
        Assert.Equal(500, (int)response.StatusCode);
        Assert.Equal("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Internal error occurred: etcdserver: mvcc: database space exceeded","reason":"InternalError","details":{"causes":[{"message":"etcdserver: mvcc: database space exceeded"}]},"code":500}""",
            JsonNode.Parse(await response.Content.ReadAsStringAsync())!.ToJsonString());

        // Nothing of the refused write: not readable, and the watch goes from the last stored create to the next write.
        Assert.Equal(404, (int)(await client.GetAsync($"{Bindings}/{refused}")).StatusCode);
        var names = JsonNode.Parse(await client.GetStringAsync(Bindings))!["items"]!.AsArray().Select(i => i!["metadata"]!["name"].Str()).ToList();
        Assert.Superset(created.ToHashSet(), names.ToHashSet());
        Assert.DoesNotContain(refused, names);

        var cf = factory.Authorized(Cf.Token("quota-dev"));
        var cfRefused = await cf.CallAsync(HttpMethod.Post, "/v2/apps", $$"""{"name":"{{new string('a', 10)}}","space_guid":"accc5133-6b9e-8af2-8026-ac93001c836d","environment_json":{"padding":"{{new string('e', 500_000)}}"} }""");
        Assert.Equal(500, cfRefused.Code);
        Assert.Equal("""{"error_code":"UnknownError","description":"An unknown error occurred.","code":10001}""", cfRefused.Body!.ToJsonString());

        // Deleting makes room, and the next write is the next event the watch sees.
        foreach (var name in created)
        {
            Assert.Equal(200, (int)(await client.DeleteAsync($"{Bindings}/{name}")).StatusCode);
        }

        Assert.Equal(201, (int)(await client.PostAsync(Bindings, Binding("after-room", 10))).StatusCode);
        var seen = new List<string>();
        while (seen.LastOrDefault() != "ADDED after-room")
        {
            var line = JsonNode.Parse((await events.ReadLineAsync())!)!;
            seen.Add($"{line["type"].Str()} {line["object"]!["metadata"]!["name"].Str()}");
        }

        Assert.DoesNotContain($"ADDED {refused}", seen);
        Assert.Equal(created.Select(n => $"ADDED {n}").Concat(created.Select(n => $"DELETED {n}")).Append("ADDED after-room"), seen);
    }
}
