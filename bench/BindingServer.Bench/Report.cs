using System.Runtime.InteropServices;
using System.Text;

namespace BindingServer.Bench;

/// <summary>Everything measured in a run, printed as tables at the end; also what failed, for the exit code.</summary>
internal sealed class Report
{
    public const string RatioHeader = "| measure | BindingServer | baseline | ratio | goal |";
    public const string WatchHeader = "| measure (watchers and soak) | BindingServer |";
    public const string ReplicaHeader = "| request | SQLite file, one process | PostgreSQL, one replica | PostgreSQL, two replicas | one replica ÷ SQLite | two replicas ÷ one |";

    private readonly List<string> _ratios = [];
    private readonly List<string> _latencies = [];
    private readonly List<string> _nonAdmin = [];
    private readonly List<string> _scale = [];
    private readonly List<string> _watch = [];
    private readonly List<string> _replicas = [];
    private readonly List<string> _replicaFigures = [];
    private readonly List<string> _notes = [];

    // Other work on the machine shows in every figure; the load average before and after says how much there was.
    private readonly string _loadAtStart = LoadAverage();

    public List<string> Failures { get; } = [];

    /// <summary>One load phase's figures, for the latency table; every phase is checked for 2xx answers and a number.</summary>
    public void LoadPhase(string measure, LoadResult result)
    {
        Check(measure, result);
        _latencies.Add(Row(measure, $"{result.RequestsPerSecond:N0}", Ms(result.P50Ms), Ms(result.P99Ms),
            $"{result.Non2xx:N0} of {result.Requests:N0}" + (result.SocketErrors > 0 ? $" ({result.SocketErrors:N0} socket errors{Kinds(result)})" : "")));
    }

    /// <summary>A throughput ratio, BindingServer ÷ baseline (higher is better).</summary>
    public void Throughput(string measure, LoadResult server, LoadResult baseline, string goal) =>
        _ratios.Add(Row(measure, $"{server.RequestsPerSecond:N0} req/s", $"{baseline.RequestsPerSecond:N0} req/s",
            $"{server.RequestsPerSecond / baseline.RequestsPerSecond:F2}×", goal));

    /// <summary>A time ratio, BindingServer ÷ baseline (lower is better).</summary>
    public void Time(string measure, double serverMs, double baselineMs, string goal)
    {
        Check(measure, serverMs);
        Check(measure + " (baseline)", baselineMs);
        _ratios.Add(Row(measure, Ms(serverMs), Ms(baselineMs), $"{serverMs / baselineMs:F2}×", goal));
    }

    /// <summary>An impersonated non-admin's throughput against the admin's, on the same server.</summary>
    public void NonAdmin(string measure, LoadResult admin, LoadResult nonAdmin) =>
        _nonAdmin.Add(Row(measure, $"{admin.RequestsPerSecond:N0} req/s", $"{nonAdmin.RequestsPerSecond:N0} req/s",
            $"{nonAdmin.RequestsPerSecond / admin.RequestsPerSecond:F2}×", "≥ 0.90×"));

    /// <summary>A figure with its goal (scale mode).</summary>
    public void Scale(string measure, double value, string text, string goal)
    {
        Check(measure, value);
        _scale.Add(Row(measure, text, goal));
    }

    /// <summary>A figure of the watchers or soak mode, checked like every other.</summary>
    public void Watch(string measure, double value, string text)
    {
        Check(measure, value);
        _watch.Add(Row(measure, text));
    }

    /// <summary>A row of the watchers or soak mode that may rightly be zero or negative (a difference, a slope) or is not a number.</summary>
    public void Watch(string measure, string text) => _watch.Add(Row(measure, text));

    /// <summary>
    /// One request kind on the three set-ups of the replicas mode (each already reported as a load phase): req/s and
    /// p99, and the two ratios that say what PostgreSQL costs and what a second replica gives back.
    /// </summary>
    public void Replicas(string request, LoadResult sqlite, LoadResult one, LoadResult two)
    {
        static string Cell(LoadResult r) => $"{r.RequestsPerSecond:N0} req/s, p99 {Ms(r.P99Ms)}";
        _replicas.Add(Row(request, Cell(sqlite), Cell(one), Cell(two),
            $"{one.RequestsPerSecond / sqlite.RequestsPerSecond:F2}×", $"{two.RequestsPerSecond / one.RequestsPerSecond:F2}×"));
    }

    /// <summary>A figure of the replicas mode with its goal (the write-to-watch delays).</summary>
    public void Replica(string measure, double value, string text, string goal)
    {
        Check(measure, value);
        _replicaFigures.Add(Row(measure, text, goal));
    }

    /// <summary>A free line, printed under the tables (reset-seed figures, the load generator used).</summary>
    public void Note(string line) => _notes.Add(line);

    public void Fail(string what) => Failures.Add(what);

    private void Check(string measure, LoadResult result)
    {
        if (!result.Ok)
        {
            Failures.Add($"{measure}: {result.Requests} requests, {result.Non2xx} non-2xx, {result.SocketErrors} socket errors");
        }
    }

    private void Check(string measure, double value)
    {
        if (!(value > 0) || double.IsInfinity(value))
        {
            Failures.Add($"{measure}: no figure ({value})");
        }
    }

    public void Print(TextWriter output)
    {
        output.WriteLine();
        output.WriteLine($"BindingServer benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Machine()}");
        output.WriteLine($"load average (1, 5, 15 min): {_loadAtStart} at the start, {LoadAverage()} at the end");
        Table(output, "Ratios (BindingServer ÷ baseline, same machine and run)", RatioHeader, _ratios);
        Table(output, "Every load phase: throughput, latency and non-2xx answers", "| phase | req/s | p50 | p99 | non-2xx |", _latencies);
        Table(output, "Impersonated non-admin (a ClusterRole that may get and list clusterrolebindings) ÷ admin", "| measure | admin | non-admin | ratio | goal |", _nonAdmin);
        Table(output, "Scale (SQLite file store)", "| measure | BindingServer | goal |", _scale);
        Table(output, "Watchers and soak (SQLite file store)", WatchHeader, _watch);
        Table(output, "Replicas on PostgreSQL (issue 17): two replicas are loaded by two wrk at once, half the connections and threads each; " +
                      "their req/s summed, the worse p99", ReplicaHeader, _replicas);
        Table(output, "Replicas on PostgreSQL: from just before a create to each watcher's ADDED line, and to the create's own answer", "| measure (replicas on PostgreSQL) | p50 (p99), max | goal |", _replicaFigures);
        output.WriteLine();
        foreach (var note in _notes)
        {
            output.WriteLine(note);
        }

        output.WriteLine();
        output.WriteLine(Failures.Count == 0 ? "every phase answered 2xx and produced a figure" : "FAILED:\n  " + string.Join("\n  ", Failures));
    }

    private static void Table(TextWriter output, string title, string header, List<string> rows)
    {
        if (rows.Count == 0)
        {
            return;
        }

        output.WriteLine();
        output.WriteLine(title);
        output.WriteLine();
        output.WriteLine(header);
        output.WriteLine("|" + string.Concat(Enumerable.Repeat(" --- |", header.Count(c => c == '|') - 1)));
        rows.ForEach(output.WriteLine);
    }

    private static string Kinds(LoadResult result) => result.SocketErrorKinds is { } kinds ? ": " + kinds : "";

    private static string Row(params string[] cells) => "| " + string.Join(" | ", cells) + " |";

    public static string Ms(double ms) => double.IsNaN(ms) ? "–" : ms < 10 ? $"{ms:F2} ms" : $"{ms:N0} ms";

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    /// <summary>Cores, CPU model and runtime: the figures only compare within one machine and run.</summary>
    private static string Machine()
    {
        var model = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        var text = new StringBuilder($"{Environment.ProcessorCount} cores (nproc)");
        text.Append($", {model ?? RuntimeInformation.ProcessArchitecture.ToString()}");
        text.Append($", {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription}");
        return text.ToString();
    }
}
