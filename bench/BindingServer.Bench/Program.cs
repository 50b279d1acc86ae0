using BindingServer.Bench;

// The benchmark, run by hand (never as a timed test); see bench/README.md and docs/benchmarks.md.
//
//   dotnet build -c Release src/BindingServer bench/BindingServer.Bench bench/BindingServer.Baseline
//   dotnet bench/BindingServer.Bench/bin/Release/net10.0/BindingServer.Bench.dll [mode] [--flag value]... [--smoke]
//
// Modes: all (default: throughput, startup, scale, reset-seed, watchers, tenants), throughput, startup, scale, reset-seed, watchers, tenants,
// and by name only: soak (long) and replicas (SQLite against one and two replicas on PostgreSQL).
// Flags (defaults in brackets):
//   --server <dll>       the server to measure [src/BindingServer/bin/<this configuration>/net10.0/BindingServer.dll]
//   --baseline <dll>     the baseline app [bench/BindingServer.Baseline/bin/<this configuration>/net10.0/BindingServer.Baseline.dll]
//   --wrk <path|none>    the load generator [wrk on PATH]; none, or wrk missing: an in-process HttpClient generator
//   --duration <s>       seconds of load per measured phase [10]      --warmup <s>      seconds of load before each [5]
//   --connections <n>    wrk -c [16]                                  --threads <n>     wrk -t [2]
//   --bindings <n>       ClusterRoleBindings the GET/LIST phases and the soak read [5000]
//   --starts <n>         cold starts per start-up figure [5]
//   --objects <n>        objects of the scale mode (a tenth for the smaller figure) and of the stalled watcher [100000]
//   --watchers <n>       concurrent watches of scale [100]            --rounds <n>      writes they receive [20]
//   --samples <n>        sequential page requests per page figure [200]
//   --watch-count <n>    open watches of the watchers mode [1000]     --soak-minutes <m> length of the soak [10]
//   --postgres <conn>    replicas: an Npgsql connection string of a server where the user may create databases (the bench
//                        creates and drops its own) [a throwaway cluster, initdb in a temporary folder, removed after]
//   --smoke              every phase about a second with tiny sizes (a soak of 5 s); only checks that each phase answered
//                        2xx and produced a figure, and that the server ended the stalled watch (exit code 1 otherwise).
//                        Used by tests/BindingServer.EndToEnd/BenchSmokeTests.cs (all, soak, and replicas with --postgres).
// Figures are printed; nothing here asserts a time.
Options options;
try
{
    options = Options.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

var load = new LoadGenerator(options);
var report = new Report();
Console.WriteLine($"server: {options.Server}");
Console.WriteLine($"baseline: {options.Baseline}");
Console.WriteLine($"load: {load.Description}");
if (options.Smoke)
{
    Console.WriteLine("smoke run: tiny sizes and one-second phases, so the figures mean nothing; only failures count");
}

report.Note($"load: {load.Description}; client and servers share the machine's cores");

var phases = new (string Mode, bool InAll, Func<Task> Run)[]
{
    ("throughput", true, () => ThroughputPhase.RunAsync(options, load, report)),
    ("startup", true, () => StartupPhase.RunAsync(options, report)),
    ("scale", true, () => ScalePhase.RunAsync(options, report)),
    ("reset-seed", true, () => ResetSeedPhase.RunAsync(options, report)),
    ("watchers", true, () => WatchersPhase.RunAsync(options, report)),
    ("tenants", true, () => TenantsPhase.RunAsync(options, report)),
    ("soak", false, () => SoakPhase.RunAsync(options, load, report)),
    ("replicas", false, () => ReplicasPhase.RunAsync(options, load, report)),
};
foreach (var (mode, _, run) in phases.Where(p => (options.Mode == "all" && p.InAll) || options.Mode == p.Mode))
{
    Console.WriteLine($"== {mode}");
    try
    {
        await run();
    }
    catch (Exception e) when (e is InvalidOperationException or HttpRequestException or IOException or TimeoutException or OperationCanceledException)
    {
        // One broken phase should not hide the others' figures.
        report.Fail($"{mode}: {e.GetType().Name}: {e.Message}");
    }
}

report.Print(Console.Out);
return report.Failures.Count == 0 ? 0 : 1;
