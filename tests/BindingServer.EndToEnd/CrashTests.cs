using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace BindingServer.EndToEnd;

/// <summary>
/// No acknowledged write lost: the real process on a file store is killed with SIGKILL in the middle of 1,000
/// concurrent creates; after a restart every create that was answered 201 is there as it was answered, revisions go on
/// rising, and a watch from before the crash resumes.
/// </summary>
public sealed class CrashTests : IDisposable
{
    private const string Crbs = "apis/rbac.authorization.k8s.io/v1/clusterrolebindings";
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "bindingserver-crash-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private ServerProcess Server() => new("--Store:InMemory=false", $"--Store:DataPath={_folder}");

    private static StringContent Binding(int i) => new(
        $$"""{"metadata":{"name":"crash-{{i}}"},"subjects":[{"kind":"User","name":"u{{i}}"}],"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"} }""",
        Encoding.UTF8, "application/json");

    [Fact]
    public async Task Every_create_answered_before_a_sigkill_is_there_after_the_restart()
    {
        var acknowledged = new ConcurrentDictionary<string, (string Uid, string Version)>();
        long before;
        var server = Server();
        await server.InitializeAsync();
        try
        {
            using var client = new HttpClient { BaseAddress = server.BaseAddress };
            before = long.Parse(JsonNode.Parse(await client.GetStringAsync(Crbs))!["metadata"]!["resourceVersion"]!.GetValue<string>());

            // Kill the process once a third of the creates have been answered, while the rest are in flight.
            var answered = 0;
            var killed = new TaskCompletionSource();
            var creates = Enumerable.Range(0, 1000).Select(i => Task.Run(async () =>
            {
                try
                {
                    // Past the in-flight limit the server answers 429, and a client comes back, as client-go does.
                    var response = await client.PostAsync(Crbs, Binding(i));
                    while (response.StatusCode == HttpStatusCode.TooManyRequests)
                    {
                        response.Dispose();
                        await Task.Delay(TimeSpan.FromMilliseconds(50));
                        response = await client.PostAsync(Crbs, Binding(i));
                    }

                    using var answer = response;
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["metadata"]!;
                        acknowledged[body["name"]!.GetValue<string>()] = (body["uid"]!.GetValue<string>(), body["resourceVersion"]!.GetValue<string>());
                        if (Interlocked.Increment(ref answered) == 333)
                        {
                            killed.TrySetResult();
                        }
                    }
                }
                catch (HttpRequestException)
                {
                    // In flight when the process died: never acknowledged, so it may or may not be there.
                }
                catch (TaskCanceledException)
                {
                }
            })).ToList();

            await killed.Task.WaitAsync(TimeSpan.FromSeconds(60));
            Process.GetProcessById(server.ProcessId).Kill(); // SIGKILL: no shutdown code runs

            await Task.WhenAll(creates);
        }
        finally
        {
            await server.DisposeAsync();
        }

        Assert.True(acknowledged.Count >= 333);
        var restarted = Server();
        await restarted.InitializeAsync();
        try
        {
            using var client = new HttpClient { BaseAddress = restarted.BaseAddress };
            var list = JsonNode.Parse(await client.GetStringAsync(Crbs))!;
            var stored = list["items"]!.AsArray().Select(i => i!["metadata"]!)
                .ToDictionary(m => m["name"]!.GetValue<string>(), m => (m["uid"]!.GetValue<string>(), m["resourceVersion"]!.GetValue<string>()));
            foreach (var (name, answer) in acknowledged)
            {
                Assert.True(stored.TryGetValue(name, out var found), $"{name} was answered 201 but is gone");
                Assert.Equal(answer, found);
            }

            // Revisions go on from where the store stopped, and a watch from before the crash replays what came after.
            var revision = long.Parse(list["metadata"]!["resourceVersion"]!.GetValue<string>());
            Assert.True(revision > before);
            using var next = await client.PostAsync(Crbs, Binding(5000));
            Assert.True(long.Parse(JsonNode.Parse(await next.Content.ReadAsStringAsync())!["metadata"]!["resourceVersion"]!.GetValue<string>()) > revision);

            using var watch = await client.GetAsync($"{Crbs}?watch=true&resourceVersion={before}&timeoutSeconds=1", HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, watch.StatusCode);
            var lines = (await watch.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var added = lines.Select(l => JsonNode.Parse(l)!).Where(e => e["type"]!.GetValue<string>() == "ADDED")
                .Select(e => e["object"]!["metadata"]!["name"]!.GetValue<string>()).ToHashSet();
            Assert.Superset(acknowledged.Keys.ToHashSet(), added);
        }
        finally
        {
            await restarted.DisposeAsync();
        }
    }
}
