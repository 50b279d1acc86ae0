using System.Net.Http.Headers;
using System.Text;

namespace BindingServer.Bench;

/// <summary>
/// Requests per second under closed-loop load, BindingServer against the baseline app: GET one object against a
/// constant body, a LIST page against a SQLite page, a create against a single-row commit; then the same reads by an
/// impersonated non-admin identity.
/// </summary>
internal static class ThroughputPhase
{
    public const string Bindings = "apis/rbac.authorization.k8s.io/v1/clusterrolebindings";
    private const string Reader = "Impersonate-User: bench-reader";

    public static async Task RunAsync(Options options, LoadGenerator load, Report report)
    {
        LoadResult constant, rows, rowsPost;
        await using (var baseline = await Target.StartBaselineAsync(options, rows: 5000))
        {
            constant = await MeasureAsync(load, report, "baseline: GET /constant", new Load(new Uri(baseline.Address, "constant")));
            rows = await MeasureAsync(load, report, "baseline: GET /rows?limit=100", new Load(new Uri(baseline.Address, "rows?limit=100")));
            rowsPost = await MeasureAsync(load, report, "baseline: POST /rows", new Load(new Uri(baseline.Address, "rows"), Post: true));
        }

        foreach (var inMemory in (bool[])[true, false])
        {
            var store = inMemory ? "in-memory" : "SQLite file";
            var data = Target.Fresh();
            try
            {
                await using var server = await Target.StartServerAsync(options, inMemory, data);
                using var client = new HttpClient { BaseAddress = server.Address };
                await Fixtures.LoadBindingsAsync(client, "bench", 0, options.Bindings);
                await AddReaderAsync(client);

                var one = new Uri(server.Address, $"{Bindings}/bench-{options.Bindings / 2}");
                var page = new Uri(server.Address, $"{Bindings}?limit=100");
                var get = await MeasureAsync(load, report, $"GET one ClusterRoleBinding, admin ({store})", new Load(one));
                var list = await MeasureAsync(load, report, $"LIST limit=100 of {options.Bindings:N0}, admin ({store})", new Load(page));
                // The first non-admin requests build the authorizer's index and JIT its path; the warm-up covers both.
                var getAsReader = await MeasureAsync(load, report, $"GET one, non-admin ({store})", new Load(one, Header: Reader));
                var listAsReader = await MeasureAsync(load, report, $"LIST limit=100, non-admin ({store})", new Load(page, Header: Reader));
                // Creates last, so the reads above saw exactly the loaded bindings.
                var post = await MeasureAsync(load, report, $"POST create ({store})", new Load(new Uri(server.Address, Bindings), Post: true));

                report.Throughput($"GET one ClusterRoleBinding ({store}) ÷ GET /constant", get, constant, "≥ 0.60×");
                report.Throughput($"LIST limit=100 of {options.Bindings:N0} ({store}) ÷ GET /rows?limit=100", list, rows, "≥ 0.80×");
                report.Throughput($"POST create ({store}) ÷ POST /rows (SQLite WAL commit)", post, rowsPost, inMemory ? "–" : "≥ 1.00×");
                report.NonAdmin($"GET one ClusterRoleBinding ({store})", get, getAsReader);
                report.NonAdmin($"LIST limit=100 ({store})", list, listAsReader);
            }
            finally
            {
                DeleteFolder(data);
            }
        }
    }

    public static async Task<LoadResult> MeasureAsync(LoadGenerator load, Report report, string name, Load what)
    {
        var result = await load.RunAsync(what);
        Record(report, name, result);
        return result;
    }

    /// <summary>Reports a load phase (checked for non-2xx answers) and prints it as it happens.</summary>
    public static void Record(Report report, string name, LoadResult result)
    {
        report.LoadPhase(name, result);
        var socketErrors = result.SocketErrors == 0 ? "" : $", {result.SocketErrors} socket errors" + (result.SocketErrorKinds is { } kinds ? $" ({kinds})" : "");
        Console.WriteLine($"{name}: {result.RequestsPerSecond:N0} req/s, p50 {Report.Ms(result.P50Ms)}, p99 {Report.Ms(result.P99Ms)}, " +
                          $"{result.Non2xx:N0} non-2xx of {result.Requests:N0}{socketErrors}");
    }

    /// <summary>A user RBAC decides for: bound to a ClusterRole that may get and list ClusterRoleBindings, and nothing else.</summary>
    private static async Task AddReaderAsync(HttpClient client)
    {
        await PostJsonAsync(client, "apis/rbac.authorization.k8s.io/v1/clusterroles",
            """{"metadata":{"name":"bench-reader"},"rules":[{"apiGroups":["rbac.authorization.k8s.io"],"resources":["clusterrolebindings"],"verbs":["get","list"]}]}""");
        await PostJsonAsync(client, Bindings,
            """{"metadata":{"name":"bench-reader"},"subjects":[{"kind":"User","name":"bench-reader"}],"roleRef":{"kind":"ClusterRole","name":"bench-reader"}}""");
    }

    public static async Task PostJsonAsync(HttpClient client, string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await client.PostAsync(path, content);
        response.EnsureSuccessStatusCode();
    }

    public static void DeleteFolder(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }
}
