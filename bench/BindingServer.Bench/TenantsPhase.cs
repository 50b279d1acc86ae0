using System.Diagnostics;

namespace BindingServer.Bench;

/// <summary>
/// Tenants (issue 19) against what a suite would otherwise do for a clean cluster, measured in the same run: the time
/// to create and to delete a tenant, sequentially, against a reset of the server's own state and against an HTTP round
/// trip to the bare baseline app (the floor of any admin call); then the memory and idle CPU of
/// <c>--tenants</c> idle tenants, against a server process of their own each.
/// </summary>
internal static class TenantsPhase
{
    public static async Task RunAsync(Options options, Report report)
    {
        var data = Target.Fresh();
        try
        {
            await using var baseline = await Target.StartBaselineAsync(options, rows: 0);
            using var baselineClient = new HttpClient { BaseAddress = baseline.Address };
            await using var server = await Target.StartServerAsync(options, inMemory: true, data);
            using var client = new HttpClient { BaseAddress = server.Address };
            var readyRss = server.RssMiB();

            // The first tenant makes the start state every later one copies.
            var first = await TimeAsync(() => SendAsync(client, HttpMethod.Post, "_bindingserver/tenants?id=first"));
            await SendAsync(client, HttpMethod.Delete, "_bindingserver/tenants/first");

            // Warm every path once, then measure them interleaved, so a noisy moment costs each alike.
            var (creates, deletes, resets, roundTrips) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
            for (var round = -1; round < options.Samples; round++)
            {
                var create = await TimeAsync(() => SendAsync(client, HttpMethod.Post, $"_bindingserver/tenants?id=t{round + 1}"));
                var delete = await TimeAsync(() => SendAsync(client, HttpMethod.Delete, $"_bindingserver/tenants/t{round + 1}"));
                var reset = await TimeAsync(() => SendAsync(client, HttpMethod.Post, "_bindingserver/reset"));
                var roundTrip = await TimeAsync(() => SendAsync(baselineClient, HttpMethod.Get, "constant"));
                if (round >= 0)
                {
                    creates.Add(create);
                    deletes.Add(delete);
                    resets.Add(reset);
                    roundTrips.Add(roundTrip);
                }
            }

            var (create50, delete50, reset50, trip50) = (Stats.Median(creates), Stats.Median(deletes), Stats.Median(resets), Stats.Median(roundTrips));
            report.Note($"tenants: first create (makes the start state) {first:F1} ms; over {options.Samples} rounds, create p50 {create50:F2} ms, " +
                        $"p99 {P99(creates):F2}; delete p50 {delete50:F2} ms, p99 {P99(deletes):F2}; reset of the root p50 {reset50:F2} ms; " +
                        $"baseline round trip p50 {trip50:F2} ms");
            report.Note($"tenants: create ÷ reset {create50 / reset50:F2}, create ÷ baseline round trip {create50 / trip50:F1}, " +
                        $"delete ÷ baseline round trip {delete50 / trip50:F1}; server start to ready {server.ToReady.TotalMilliseconds:F0} ms, " +
                        $"so create ÷ a server per test {create50 / server.ToReady.TotalMilliseconds:F3}");

            var settle = TimeSpan.FromSeconds(options.Smoke ? 1 : 5); // let the work just done end before idle CPU is read
            await Task.Delay(settle);
            var beforeRss = server.RssMiB();
            var idleBefore = await CpuSecondsAsync(server, TimeSpan.FromSeconds(options.Smoke ? 1 : 10));
            for (var i = 0; i < options.IdleTenants; i++)
            {
                await SendAsync(client, HttpMethod.Post, $"_bindingserver/tenants?id=idle-{i}");
            }

            await Task.Delay(settle);
            var withRss = server.RssMiB();
            var idleWith = await CpuSecondsAsync(server, TimeSpan.FromSeconds(options.Smoke ? 1 : 10));
            var perTenant = (withRss - beforeRss) / options.IdleTenants;
            report.Note($"tenants: RSS ready {readyRss:F0} MiB, before the idle tenants {beforeRss:F0} MiB, with {options.IdleTenants} idle tenants " +
                        $"{withRss:F0} MiB: {perTenant:F2} MiB each, {perTenant / readyRss:F3} of a fresh server process's RSS; " +
                        $"CPU while idle {idleBefore * 100:F1}% of a core without them, {idleWith * 100:F1}% with them");
            if (!(creates.Count > 0 && perTenant > 0))
            {
                report.Fail("tenants: no figure");
            }
        }
        finally
        {
            ThroughputPhase.DeleteFolder(data);
        }
    }

    private static double P99(List<double> samples) => Stats.Percentile(samples.Order().ToList(), 99);

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        var watch = Stopwatch.StartNew();
        await action();
        return watch.Elapsed.TotalMilliseconds;
    }

    private static async Task SendAsync(HttpClient client, HttpMethod method, string path)
    {
        using var response = await client.SendAsync(new HttpRequestMessage(method, path));
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{method} /{path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>The process's CPU time over <paramref name="span"/>, as a fraction of one core (from /proc, Linux).</summary>
    private static async Task<double> CpuSecondsAsync(Target target, TimeSpan span)
    {
        var before = target.CpuTicks();
        await Task.Delay(span);
        return (target.CpuTicks() - before) / 100.0 / span.TotalSeconds;
    }
}
