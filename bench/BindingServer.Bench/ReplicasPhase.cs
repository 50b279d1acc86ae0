using BindingServer.TestSupport;

namespace BindingServer.Bench;

/// <summary>
/// Issue 17: what the PostgreSQL store costs against SQLite, and what a second replica gives back. GET one, LIST
/// limit=100 and POST create with the bindings loaded, on the SQLite file store (one process), on one replica on
/// PostgreSQL and on two replicas sharing one database with the load split across them (each PostgreSQL set-up on a
/// fresh database); then the delay from a create on replica A to its event on watches on B, and on A itself.
/// </summary>
internal static class ReplicasPhase
{
    private const string Bindings = ThroughputPhase.Bindings;

    private sealed record Figures(LoadResult Get, LoadResult List, LoadResult Post);

    public static async Task RunAsync(Options options, LoadGenerator load, Report report)
    {
        Figures sqlite;
        var data = Target.Fresh();
        try
        {
            await using var server = await Target.StartServerAsync(options, inMemory: false, data);
            await LoadAsync(options, server);
            sqlite = await ThroughputAsync(options, load, report, "SQLite file", [server]);
        }
        finally
        {
            ThroughputPhase.DeleteFolder(data);
        }

        await using var cluster = options.Postgres is null ? new PostgresCluster { Durable = true } : null;
        if (cluster is not null)
        {
            await cluster.InitializeAsync();
        }

        var maintenance = options.Postgres ?? cluster!.ConnectionString;
        Console.WriteLine(cluster is null ? "PostgreSQL: --postgres, a database of the bench's own per set-up" : $"PostgreSQL: a throwaway cluster ({maintenance})");
        report.Note(cluster is null
            ? "replicas: PostgreSQL given by --postgres"
            : "replicas: PostgreSQL is the bench's throwaway cluster on the same cores (synchronous_commit=off, as SQLite's synchronous=NORMAL)");

        var one = await OnPostgresAsync(options, maintenance, 1, async servers =>
        {
            await LoadAsync(options, servers[0]);
            return await ThroughputAsync(options, load, report, "PostgreSQL, one replica", servers);
        });
        var two = await OnPostgresAsync(options, maintenance, 2, async servers =>
        {
            await LoadAsync(options, servers[0]);
            // Before the load phases, so the delays are those of a quiet pair of replicas.
            await DelaysAsync(options, report, writeTo: servers[0], watchOn: servers[1], "replica B (writes on A)", "p99 ≤ 50 ms");
            await DelaysAsync(options, report, writeTo: servers[0], watchOn: servers[0], "replica A (writes on A, the same replica)", "–");
            return await ThroughputAsync(options, load, report, "PostgreSQL, two replicas", servers);
        });

        report.Replicas("GET one ClusterRoleBinding", sqlite.Get, one.Get, two.Get);
        report.Replicas($"LIST limit=100 of {options.Bindings:N0}", sqlite.List, one.List, two.List);
        report.Replicas("POST create", sqlite.Post, one.Post, two.Post);
    }

    /// <summary>
    /// Runs <paramref name="measure"/> against <paramref name="count"/> replicas on a new database of their own (sharing
    /// one data folder, as the compose file's replicas do), started one after the other; stops them and drops it after.
    /// </summary>
    private static async Task<Figures> OnPostgresAsync(Options options, string maintenance, int count, Func<IReadOnlyList<Target>, Task<Figures>> measure)
    {
        await using var database = await BenchDatabase.CreateAsync(maintenance);
        var data = Target.Fresh();
        var servers = new List<Target>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                servers.Add(await Target.StartServerAsync(options, inMemory: false, data,
                    "--Store:Provider=PostgreSQL", $"--ConnectionStrings:BindingServer={database.ConnectionString}"));
            }

            return await measure(servers);
        }
        finally
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }

            ThroughputPhase.DeleteFolder(data);
        }
    }

    /// <summary>The bindings the reads are measured on, written through the first server (the others catch up on their first read).</summary>
    private static async Task LoadAsync(Options options, Target server)
    {
        using var client = new HttpClient { BaseAddress = server.Address };
        await Fixtures.LoadBindingsAsync(client, "bench", 0, options.Bindings);
    }

    private static async Task<Figures> ThroughputAsync(Options options, LoadGenerator load, Report report, string setup, IReadOnlyList<Target> servers)
    {
        var get = await MeasureAsync(options, load, report, $"GET one ClusterRoleBinding ({setup})", servers,
            address => new Load(new Uri(address, $"{Bindings}/bench-{options.Bindings / 2}")));
        var list = await MeasureAsync(options, load, report, $"LIST limit=100 of {options.Bindings:N0} ({setup})", servers,
            address => new Load(new Uri(address, $"{Bindings}?limit=100")));
        // Creates last, so the reads above saw exactly the loaded bindings.
        var post = await MeasureAsync(options, load, report, $"POST create ({setup})", servers,
            address => new Load(new Uri(address, Bindings), Post: true));
        return new Figures(get, list, post);
    }

    /// <summary>
    /// One load phase. On several replicas: as many load generators at once, each on its own replica with its share of
    /// the connections and threads (so the client's total is the same as against one), warmed up together, then measured
    /// together; the requests per second are summed and the worse p50 and p99 taken.
    /// </summary>
    private static async Task<LoadResult> MeasureAsync(Options options, LoadGenerator load, Report report, string name, IReadOnlyList<Target> servers, Func<Uri, Load> what)
    {
        LoadResult result;
        if (servers.Count == 1)
        {
            result = await ThroughputPhase.MeasureAsync(load, report, name, what(servers[0].Address));
        }
        else
        {
            var share = new LoadGenerator(options with
            {
                Connections = Math.Max(1, options.Connections / servers.Count),
                Threads = Math.Max(1, options.Threads / servers.Count),
            });
            var loads = servers.Select(server => what(server.Address)).ToList();
            if (options.Warmup > 0)
            {
                await Task.WhenAll(loads.Select(l => share.RunOnceAsync(l, options.Warmup)));
            }

            var parts = await Task.WhenAll(loads.Select(l => share.RunOnceAsync(l, options.Duration)));
            for (var i = 0; i < parts.Length; i++)
            {
                ThroughputPhase.Record(report, $"{name}: replica {(char)('A' + i)}", parts[i]);
            }

            result = new LoadResult(parts.Sum(p => p.RequestsPerSecond), parts.Max(p => p.P50Ms), parts.Max(p => p.P99Ms),
                parts.Sum(p => p.Requests), parts.Sum(p => p.Non2xx), parts.Sum(p => p.SocketErrors),
                parts.Any(p => p.SocketErrorKinds is not null) ? string.Join("; ", parts.Select((p, i) => $"{(char)('A' + i)}: {p.SocketErrorKinds ?? "none"}")) : null);
            ThroughputPhase.Record(report, $"{name}: both (req/s summed, the worse p50 and p99)", result);
        }

        if (result.Non2xx > 0 || result.SocketErrors > 0)
        {
            // Error answers from the store are a server bug to report: say what the servers logged while they happened.
            for (var i = 0; i < servers.Count; i++)
            {
                var log = servers[i].Log;
                var text = $"{name}: server {(char)('A' + i)} logged (last 4,000 characters): {(log.Length > 4000 ? log[^4000..] : log)}";
                Console.WriteLine(text);
                report.Note(text);
            }
        }

        return result;
    }

    private static async Task DelaysAsync(Options options, Report report, Target writeTo, Target watchOn, string where, string goal)
    {
        var answered = new List<double>();
        var delays = await ScalePhase.WatchDelaysAsync(writeTo.Address, watchOn.Address, options.ReplicaWatchers, options.ReplicaWrites, answered);
        answered.Sort();
        Add($"{options.ReplicaWatchers} watches on {where}, {options.ReplicaWrites} sequential creates: {delays.Count:N0} deliveries", delays, goal);
        // The POST's own answer: how much of the delay is the commit rather than the way to the watchers.
        Add($"the same {options.ReplicaWrites} creates on A, each POST to its 201 answer", answered, "–");

        void Add(string measure, List<double> sorted, string target)
        {
            var (p50, p99, max) = (Stats.Percentile(sorted, 50), Stats.Percentile(sorted, 99), sorted.Count > 0 ? sorted[^1] : double.NaN);
            Console.WriteLine($"{measure}: p50 {Report.Ms(p50)}, p99 {Report.Ms(p99)}, max {Report.Ms(max)}");
            report.Replica(measure, p99, $"{Report.Ms(p50)} ({Report.Ms(p99)}), {Report.Ms(max)}", target);
        }
    }
}
