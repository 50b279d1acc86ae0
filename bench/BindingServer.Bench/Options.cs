using System.Globalization;

namespace BindingServer.Bench;

/// <summary>The command line: an optional mode word, then <c>--key value</c> flags (see the top of Program.cs).</summary>
internal sealed record Options
{
    public string Mode { get; init; } = "all";
    public bool Smoke { get; init; }
    public string Server { get; init; } = "";
    public string Baseline { get; init; } = "";
    public string? Wrk { get; init; }
    public int Duration { get; init; } = 10;
    public int Warmup { get; init; } = 5;
    public int Connections { get; init; } = 16;
    public int Threads { get; init; } = 2;
    public int Bindings { get; init; } = 5000;
    public int Starts { get; init; } = 5;
    public int Objects { get; init; } = 100_000;
    public int Watchers { get; init; } = 100;
    public int Rounds { get; init; } = 20;
    public int Samples { get; init; } = 200;
    public int SeedRounds { get; init; } = 21;

    /// <summary>How many idle tenants the tenants phase measures the memory and idle CPU of.</summary>
    public int IdleTenants { get; init; } = 100;
    public int SeedObjects { get; init; } = 1000;
    public int WatchCount { get; init; } = 1000;
    public int WatchEvents { get; init; } = 1000;
    public int SoakSeconds { get; init; } = 600;
    public int SoakWatchers { get; init; } = 50;

    /// <summary>The replicas mode's PostgreSQL (an Npgsql connection string); null: a throwaway cluster of its own.</summary>
    public string? Postgres { get; init; }

    /// <summary>Sequential creates on replica A whose events the replicas mode times, and the watches receiving them.</summary>
    public int ReplicaWrites { get; init; } = 200;
    public int ReplicaWatchers { get; init; } = 10;

    /// <summary>Every mode; <c>all</c> runs those before <c>soak</c>; <c>soak</c> (long) and <c>replicas</c> (needs PostgreSQL) only by name.</summary>
    public static readonly string[] Modes = ["all", "throughput", "startup", "scale", "reset-seed", "watchers", "soak", "replicas", "tenants"];

    public static Options Parse(string[] args)
    {
        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        var mode = "all";
        var smoke = false;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--smoke")
            {
                smoke = true;
            }
            else if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length)
            {
                flags[args[i][2..]] = args[++i];
            }
            else if (Modes.Contains(args[i]))
            {
                mode = args[i];
            }
            else
            {
                throw new ArgumentException($"unknown argument '{args[i]}' (modes: {string.Join(", ", Modes)})");
            }
        }

        // Smoke sizes: every phase about a second long, small enough for CI, large enough to produce a number.
        var options = smoke
            ? new Options
            {
                Smoke = true, Duration = 1, Warmup = 0, Bindings = 500, Starts = 1, Objects = 2000, Watchers = 5, Rounds = 3, Samples = 20, SeedRounds = 2,
                SeedObjects = 100, WatchCount = 20, WatchEvents = 200, SoakSeconds = 5, SoakWatchers = 10, ReplicaWrites = 20, IdleTenants = 10,
            }
            : new Options();
        int Int(string key, int fallback) => flags.Remove(key, out var text) ? int.Parse(text) : fallback;
        options = options with
        {
            Mode = mode,
            Server = flags.Remove("server", out var server) ? Path.GetFullPath(server) : BuildOutput("src", "BindingServer"),
            Baseline = flags.Remove("baseline", out var baseline) ? Path.GetFullPath(baseline) : BuildOutput("bench", "BindingServer.Baseline"),
            Wrk = flags.Remove("wrk", out var wrk) ? (wrk == "none" ? null : wrk) : FindOnPath("wrk"),
            Duration = Int("duration", options.Duration),
            Warmup = Int("warmup", options.Warmup),
            Connections = Int("connections", options.Connections),
            Threads = Int("threads", options.Threads),
            Bindings = Int("bindings", options.Bindings),
            Starts = Int("starts", options.Starts),
            Objects = Int("objects", options.Objects),
            Watchers = Int("watchers", options.Watchers),
            Rounds = Int("rounds", options.Rounds),
            Samples = Int("samples", options.Samples),
            IdleTenants = Int("tenants", options.IdleTenants),
            WatchCount = Int("watch-count", options.WatchCount),
            Postgres = flags.Remove("postgres", out var postgres) ? postgres : null,
            // Fractions allowed (0.5 is 30 s), for trying the mode out.
            SoakSeconds = flags.Remove("soak-minutes", out var minutes)
                ? (int)Math.Round(double.Parse(minutes, CultureInfo.InvariantCulture) * 60)
                : options.SoakSeconds,
        };
        return flags.Count == 0 ? options : throw new ArgumentException($"unknown flag --{flags.Keys.First()}");
    }

    /// <summary>A project's build output of the same configuration (Debug or Release) as this benchmark.</summary>
    private static string BuildOutput(string folder, string project)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "BindingServer.sln")))
        {
            dir = dir.Parent;
        }

        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        return Path.Combine(dir!.FullName, folder, project, "bin", configuration, "net10.0", project + ".dll");
    }

    private static string? FindOnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
        .Select(folder => Path.Combine(folder, tool))
        .FirstOrDefault(File.Exists);
}
