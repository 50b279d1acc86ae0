using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;

// Benchmarks against the real server process, run by hand (see docs/benchmarks.md):
//   dotnet run -c Release --project bench/BindingServer.Bench -- [serverDll] [requests] [concurrency] [all|reset-seed]
// Figures are printed; nothing here asserts a time.
var serverDll = args.Length > 0 && args[0] != "-" ? args[0] : FindServer();
var requests = args.Length > 1 ? int.Parse(args[1]) : 5000;
var concurrency = args.Length > 2 ? int.Parse(args[2]) : 8;
var only = args.Length > 3 ? args[3] : "all";

Console.WriteLine($"server: {serverDll}");
Console.WriteLine($"requests per phase: {requests}, concurrency: {concurrency}");

// What a CI suite does between tests: reset, then load 1,000 objects of fixtures (one request each, one transaction).
foreach (var mode in new[] { "in-memory", "file" })
{
    var data = Path.Combine(Path.GetTempPath(), "bindingserver-bench-" + Guid.NewGuid().ToString("N"));
    await using var server = await Server.StartAsync(serverDll, mode == "in-memory", data);
    using var client = new HttpClient { BaseAddress = server.Address };
    foreach (var (label, family, fixture) in new[]
             {
                 ("kubernetes YAML", "kubernetes", Fixtures.Kubernetes(1000)), ("kubernetes JSON List", "kubernetes", Fixtures.KubernetesList(1000)),
                 ("cloudfoundry JSON", "cloudfoundry", Fixtures.CloudFoundry(1000)),
             })
    {
        var resets = new List<double>();
        var seeds = new List<double>();
        for (var round = 0; round < 21; round++)
        {
            var watch = Stopwatch.StartNew();
            using (var reset = await client.PostAsync($"_bindingserver/reset?family={family}", null))
            {
                reset.EnsureSuccessStatusCode();
            }

            resets.Add(watch.Elapsed.TotalMilliseconds);
            watch.Restart();
            using (var seed = await client.PostAsync("_bindingserver/fixtures", new StringContent(fixture, Encoding.UTF8, "application/yaml")))
            {
                var outcome = await seed.Content.ReadAsStringAsync();
                if (!seed.IsSuccessStatusCode || !outcome.Contains("\"existing\":[]", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"seeding failed: {outcome[..Math.Min(300, outcome.Length)]}");
                }
            }

            seeds.Add(watch.Elapsed.TotalMilliseconds);
        }

        // The first round warms the JIT; the figures are of the other 20.
        Console.WriteLine($"reset ({label}, {mode}): {Summary(resets.Skip(1))}; seed 1,000 objects: {Summary(seeds.Skip(1))}; " +
                          $"both: {Summary(resets.Zip(seeds, (a, b) => a + b).Skip(1))}");
    }

    DeleteFolder(data);
}

if (only == "reset-seed")
{
    return;
}

// Start-up: process start to the first 200 from a list, cold (in-memory store and a fresh file store).
foreach (var mode in new[] { "in-memory", "file" })
{
    var samples = new List<double>();
    for (var run = 0; run < 5; run++)
    {
        var data = Path.Combine(Path.GetTempPath(), "bindingserver-bench-" + Guid.NewGuid().ToString("N"));
        var watch = Stopwatch.StartNew();
        await using var server = await Server.StartAsync(serverDll, mode == "in-memory", data);
        using var client = new HttpClient { BaseAddress = server.Address };
        while (!(await client.GetAsync("apis/rbac.authorization.k8s.io/v1/clusterrolebindings")).IsSuccessStatusCode)
        {
        }

        samples.Add(watch.Elapsed.TotalMilliseconds);
        DeleteFolder(data);
    }

    samples.Sort();
    Console.WriteLine($"startup ({mode}): median {samples[2]:F0} ms, min {samples[0]:F0} ms, max {samples[^1]:F0} ms");
}

foreach (var mode in new[] { "in-memory", "file" })
{
    var data = Path.Combine(Path.GetTempPath(), "bindingserver-bench-" + Guid.NewGuid().ToString("N"));
    await using var server = await Server.StartAsync(serverDll, mode == "in-memory", data);
    using var client = new HttpClient { BaseAddress = server.Address };
    client.DefaultRequestHeaders.UserAgent.ParseAdd("bench/1.0");
    const string path = "apis/rbac.authorization.k8s.io/v1/clusterrolebindings";

    await Phase($"create ({mode})", requests, concurrency, async i =>
    {
        using var content = new StringContent(
            $$$"""{"metadata":{"name":"bench-{{{i}}}","labels":{"bench":"yes"}},"subjects":[{"kind":"User","name":"u{{{i}}}"}],"roleRef":{"kind":"ClusterRole","name":"view"}}""",
            Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await client.PostAsync(path, content);
        return (int)response.StatusCode == 201;
    });
    await Phase($"get ({mode})", requests, concurrency, async i =>
    {
        using var response = await client.GetAsync($"{path}/bench-{i % requests}");
        return response.IsSuccessStatusCode;
    });
    await Phase($"list of 500 ({mode})", Math.Max(requests / 50, 20), concurrency, async _ =>
    {
        using var response = await client.GetAsync($"{path}?limit=500");
        return response.IsSuccessStatusCode;
    });

    // The same reads by an identity RBAC decides for (impersonated, so the impersonation check is paid too).
    await PostJsonAsync(client, "apis/rbac.authorization.k8s.io/v1/clusterroles",
        """{"metadata":{"name":"bench-reader"},"rules":[{"apiGroups":["rbac.authorization.k8s.io"],"resources":["clusterrolebindings"],"verbs":["get","list"]}]}""");
    await PostJsonAsync(client, path,
        """{"metadata":{"name":"bench-reader"},"subjects":[{"kind":"User","name":"bench-reader"}],"roleRef":{"kind":"ClusterRole","name":"bench-reader"}}""");
    using var reader = new HttpClient { BaseAddress = server.Address };
    reader.DefaultRequestHeaders.Add("Impersonate-User", "bench-reader");

    // The first non-admin request builds the authorizer's index of the 5,000 bindings just created, and the next ones run
    // code the admin phases never JIT-compiled; warm both up as the admin path was warmed by the phases before it.
    for (var i = 0; i < 1000; i++)
    {
        (await reader.GetAsync($"{path}/bench-{i}")).EnsureSuccessStatusCode();
    }
    await Phase($"get as a non-admin ({mode})", requests, concurrency, async i =>
    {
        using var response = await reader.GetAsync($"{path}/bench-{i % requests}");
        return response.IsSuccessStatusCode;
    });
    await Phase($"list of 500 as a non-admin ({mode})", Math.Max(requests / 50, 20), concurrency, async _ =>
    {
        using var response = await reader.GetAsync($"{path}?limit=500");
        return response.IsSuccessStatusCode;
    });
    DeleteFolder(data);
}

// Baselines the design targets are measured against: Kestrel answering a constant body, and SQLite committing
// one row per transaction with the server's own settings (WAL, synchronous=NORMAL).
{
    var constant = WebApplication.CreateSlimBuilder();
    constant.WebHost.UseUrls("http://127.0.0.1:0");
    constant.Logging.ClearProviders();
    await using var app = constant.Build();
    app.MapGet("/", () => Results.Text("""{"kind":"Constant"}""", "application/json"));
    await app.StartAsync();
    using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
    await Phase("baseline: kestrel constant body", requests, concurrency, async _ =>
    {
        using var response = await client.GetAsync("/");
        return response.IsSuccessStatusCode;
    });
    await app.StopAsync();
}

{
    var file = Path.Combine(Path.GetTempPath(), "bindingserver-bench-sqlite-" + Guid.NewGuid().ToString("N") + ".db");
    using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={file};Pooling=false"))
    {
        connection.Open();
        using var setup = connection.CreateCommand();
        setup.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; CREATE TABLE t (k TEXT PRIMARY KEY, v BLOB)";
        setup.ExecuteNonQuery();
        var body = new byte[600];
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < requests; i++)
        {
            using var transaction = connection.BeginTransaction();
            using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO t (k, v) VALUES ($k, $v)";
            insert.Parameters.AddWithValue("$k", $"key-{i}");
            insert.Parameters.AddWithValue("$v", body);
            insert.ExecuteNonQuery();
            transaction.Commit();
        }

        Console.WriteLine($"baseline: sqlite single-row commits: {requests / watch.Elapsed.TotalSeconds:F0} commits/s");
    }

    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    foreach (var path in Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(file) + "*"))
    {
        File.Delete(path);
    }
}

static string Summary(IEnumerable<double> samples)
{
    var sorted = samples.Order().ToList();
    return $"median {sorted[sorted.Count / 2]:F0} ms (min {sorted[0]:F0}, max {sorted[^1]:F0})";
}

static async Task PostJsonAsync(HttpClient client, string path, string json)
{
    using var content = new StringContent(json, Encoding.UTF8);
    content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
    using var response = await client.PostAsync(path, content);
    response.EnsureSuccessStatusCode();
}

static async Task Phase(string name, int count, int concurrency, Func<int, Task<bool>> request)
{
    var next = -1;
    var failures = 0;
    var watch = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < count)
        {
            if (!await request(i))
            {
                Interlocked.Increment(ref failures);
            }
        }
    }));
    var seconds = watch.Elapsed.TotalSeconds;
    Console.WriteLine($"{name}: {count / seconds:F0} req/s ({count} in {seconds:F2} s, {failures} failed)");
}

static void DeleteFolder(string path)
{
    if (Directory.Exists(path))
    {
        Directory.Delete(path, recursive: true);
    }
}

static string FindServer()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "BindingServer.sln")))
    {
        dir = dir.Parent;
    }

    var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
    return Path.Combine(dir!.FullName, "src", "BindingServer", "bin", configuration, "net10.0", "BindingServer.dll");
}

internal sealed class Server : IAsyncDisposable
{
    private readonly Process _process;

    private Server(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<Server> StartAsync(string dll, bool inMemory, string dataPath)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll, "--Server:Port=0", $"--Store:InMemory={inMemory}", $"--Store:DataPath={dataPath}", "--Serilog:MinimumLevel:Default=Warning" },
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start)!;
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("BindingServer ready: ", StringComparison.Ordinal))
            {
                _ = process.StandardOutput.ReadToEndAsync();
                return new Server(process, new Uri(line["BindingServer ready: ".Length..].Trim() + "/"));
            }
        }

        throw new InvalidOperationException("server exited before it was ready");
    }

    public async ValueTask DisposeAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}

/// <summary>Fixture documents of a given size, as a test suite would keep them in its repository.</summary>
internal static class Fixtures
{
    /// <summary>A namespace, then role bindings in it and cluster role bindings, half each.</summary>
    public static string Kubernetes(int objects)
    {
        var text = new StringBuilder("apiVersion: v1\nkind: Namespace\nmetadata: {name: bench}\n");
        for (var i = 1; i < objects; i++)
        {
            var namespaced = i % 2 == 0;
            text.Append("---\napiVersion: rbac.authorization.k8s.io/v1\n")
                .Append(namespaced ? "kind: RoleBinding\n" : "kind: ClusterRoleBinding\n")
                .Append(namespaced ? $"metadata: {{name: rb-{i}, namespace: bench, labels: {{bench: \"yes\"}}}}\n" : $"metadata: {{name: crb-{i}, labels: {{bench: \"yes\"}}}}\n")
                .Append("roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\n")
                .Append($"subjects: [{{kind: User, apiGroup: rbac.authorization.k8s.io, name: user-{i}}}]\n");
        }

        return text.ToString();
    }

    /// <summary>The same objects as one JSON <c>List</c>, the form <c>kubectl get -o json</c> writes.</summary>
    public static string KubernetesList(int objects)
    {
        var items = new List<string> { """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"bench"}}""" };
        for (var i = 1; i < objects; i++)
        {
            var namespaced = i % 2 == 0;
            var metadata = namespaced ? $$$"""{"name":"rb-{{{i}}}","namespace":"bench","labels":{"bench":"yes"}}""" : $$$"""{"name":"crb-{{{i}}}","labels":{"bench":"yes"}}""";
            items.Add($$"""
                {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"{{(namespaced ? "RoleBinding" : "ClusterRoleBinding")}}","metadata":{{metadata}},
                 "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},
                 "subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"user-{{i}}"}]}
                """);
        }

        return $$"""{"apiVersion":"v1","kind":"List","items":[{{string.Join(",", items)}}]}""";
    }

    /// <summary>An org and a space, then apps, user-provided instances and a binding of each app, a third each.</summary>
    public static string CloudFoundry(int records)
    {
        const string org = "b0000000-0000-4000-8000-000000000001";
        const string space = "b0000000-0000-4000-8000-000000000002";
        var each = (records - 2) / 3;
        string Guid(int kind, int i) => $"b{kind:D7}-0000-4000-8000-{i:D12}";
        var apps = Enumerable.Range(0, records - 2 - 2 * each).Select(i => $$"""{"guid":"{{Guid(1, i)}}","name":"app-{{i}}","space_guid":"{{space}}"}""");
        var instances = Enumerable.Range(0, each).Select(i => $$$"""{"guid":"{{{Guid(2, i)}}}","name":"db-{{{i}}}","space_guid":"{{{space}}}","credentials":{"uri":"postgres://db-{{{i}}}"}}""");
        var bindings = Enumerable.Range(0, each).Select(i => $$"""{"app_guid":"{{Guid(1, i)}}","service_instance_guid":"{{Guid(2, i)}}"}""");
        return $$"""
            {"organizations":[{"guid":"{{org}}","name":"bench"}],
             "spaces":[{"guid":"{{space}}","name":"bench","organization_guid":"{{org}}"}],
             "apps":[{{string.Join(",", apps)}}],
             "service_instances":[{{string.Join(",", instances)}}],
             "service_bindings":[{{string.Join(",", bindings)}}]}
            """;
    }
}
