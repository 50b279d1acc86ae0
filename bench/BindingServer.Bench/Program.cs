using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;

// Benchmarks against the real server process, run by hand (see docs/benchmarks.md):
//   dotnet run -c Release --project bench/BindingServer.Bench -- [serverDll] [requests] [concurrency]
// Figures are printed; nothing here asserts a time.
var serverDll = args.Length > 0 ? args[0] : FindServer();
var requests = args.Length > 1 ? int.Parse(args[1]) : 5000;
var concurrency = args.Length > 2 ? int.Parse(args[2]) : 8;

Console.WriteLine($"server: {serverDll}");
Console.WriteLine($"requests per phase: {requests}, concurrency: {concurrency}");

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
