using BindingServer.TestSupport;

namespace BindingServer.EndToEnd;

/// <summary>
/// The benchmark's smoke mode (bench/README.md): every phase for about a second against the real server and baseline
/// processes, so bench/ keeps building and running. It checks that each phase answered 2xx and produced a figure;
/// no timing is asserted.
/// </summary>
[Collection(BenchSmokeRunsAlone.Name)]
public sealed class BenchSmokeTests
{
    [Fact]
    public async Task The_benchmark_runs_every_phase_in_smoke_mode()
    {
        var (exitCode, output) = await RunAsync("--smoke");

        Assert.True(exitCode == 0, output);
        Assert.Contains("| measure | BindingServer | baseline | ratio | goal |", output);
    }

    [Fact]
    public async Task The_soak_runs_in_smoke_mode()
    {
        // Not part of "all" (it is long), so run by name: about 5 s of load with watchers.
        var (exitCode, output) = await RunAsync("soak", "--smoke");

        Assert.True(exitCode == 0, output);
        Assert.Contains("| measure (watchers and soak) | BindingServer |", output);
    }

    [Fact]
    public async Task The_replicas_mode_runs_in_smoke_mode_on_postgres()
    {
        // Not part of "all" (it needs PostgreSQL): run by name against a throwaway cluster given as an existing server,
        // in which the bench creates and drops its own databases.
        var cluster = new PostgresCluster();
        await cluster.InitializeAsync();
        try
        {
            var (exitCode, output) = await RunAsync("replicas", "--smoke", "--postgres", cluster.ConnectionString);

            Assert.True(exitCode == 0, output);
            Assert.Contains("| request | SQLite file, one process | PostgreSQL, one replica | PostgreSQL, two replicas | one replica ÷ SQLite | two replicas ÷ one |", output);
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    private static Task<(int ExitCode, string Out)> RunAsync(params string[] arguments)
    {
        // Same configuration as the tests (Debug or Release), like ServerProcess.ServerAssembly().
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var bench = Path.Combine(OfficialSchemas.RepositoryRoot(), "bench", "BindingServer.Bench", "bin", configuration, "net10.0", "BindingServer.Bench.dll");
        Assert.True(File.Exists(bench), $"build the benchmark first: {bench}");
        return CommandLine.RunAsync("dotnet", null, [bench, .. arguments, "--server", ServerProcess.ServerAssembly()]);
    }
}

/// <summary>The smoke run loads both cores for ~30 s: alone, after the parallel tests, it neither slows them nor is slowed.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BenchSmokeRunsAlone
{
    public const string Name = "Benchmark smoke";
}
