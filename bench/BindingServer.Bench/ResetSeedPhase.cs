using System.Diagnostics;
using System.Text;

namespace BindingServer.Bench;

/// <summary>
/// What a CI suite does between tests: reset a family, then load 1,000 objects of fixtures in one request (one
/// transaction). The first round warms the JIT and is left out of the figures.
/// </summary>
internal static class ResetSeedPhase
{
    public static async Task RunAsync(Options options, Report report)
    {
        foreach (var inMemory in (bool[])[true, false])
        {
            var store = inMemory ? "in-memory" : "SQLite file";
            var data = Target.Fresh();
            try
            {
                await using var server = await Target.StartServerAsync(options, inMemory, data);
                using var client = new HttpClient { BaseAddress = server.Address };
                foreach (var (label, family, fixture) in new[]
                         {
                             ("Kubernetes YAML", "kubernetes", Fixtures.Kubernetes(options.SeedObjects)),
                             ("Kubernetes JSON List", "kubernetes", Fixtures.KubernetesList(options.SeedObjects)),
                             ("Cloud Foundry JSON", "cloudfoundry", Fixtures.CloudFoundry(options.SeedObjects)),
                         })
                {
                    var (resets, seeds) = (new List<double>(), new List<double>());
                    for (var round = 0; round < options.SeedRounds; round++)
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

                    var counted = options.SeedRounds > 1 ? 1 : 0;
                    var both = resets.Zip(seeds, (a, b) => a + b).Skip(counted).ToList();
                    report.Note($"reset + seed of {options.SeedObjects:N0} objects, {label}, {store}: reset {Summary(resets.Skip(counted))}; " +
                                $"seed {Summary(seeds.Skip(counted))}; both {Summary(both)}");
                    if (!(both.Count > 0 && both.All(ms => ms > 0)))
                    {
                        report.Fail($"reset + seed ({label}, {store}): no figure");
                    }
                }
            }
            finally
            {
                ThroughputPhase.DeleteFolder(data);
            }
        }
    }

    private static string Summary(IEnumerable<double> samples)
    {
        var sorted = samples.Order().ToList();
        return $"median {Stats.Percentile(sorted, 50):F0} ms (min {sorted[0]:F0}, max {sorted[^1]:F0})";
    }
}
