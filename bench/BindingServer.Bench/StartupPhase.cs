namespace BindingServer.Bench;

/// <summary>
/// Cold starts: process start to the first 200 of a list, for the server on a fresh SQLite file store, against process
/// start to the first 200 of <c>GET /constant</c> for the bare baseline app (no database). Median of N each, interleaved.
/// </summary>
internal static class StartupPhase
{
    public static async Task RunAsync(Options options, Report report)
    {
        using var client = new HttpClient();
        var server = (Ready: new List<double>(), Answer: new List<double>());
        var baseline = (Ready: new List<double>(), Answer: new List<double>());
        // With several starts, one more of each is made first and not counted: it fills the disk cache and warms this
        // process's HttpClient, so the figures are of the processes under test.
        for (var run = options.Starts > 1 ? -1 : 0; run < options.Starts; run++)
        {
            var data = Target.Fresh();
            try
            {
                await using var started = await Target.StartServerAsync(options, inMemory: false, data);
                var answered = await started.FirstOkAsync(client, ThroughputPhase.Bindings + "?limit=500");
                await started.StopAsync();
                if (run >= 0)
                {
                    server.Ready.Add(started.ToReady.TotalMilliseconds);
                    server.Answer.Add(answered.TotalMilliseconds);
                }
            }
            finally
            {
                ThroughputPhase.DeleteFolder(data);
            }

            await using var bare = await Target.StartBaselineAsync(options, rows: 0);
            var constant = await bare.FirstOkAsync(client, "constant");
            if (run >= 0)
            {
                baseline.Ready.Add(bare.ToReady.TotalMilliseconds);
                baseline.Answer.Add(constant.TotalMilliseconds);
            }
        }

        var of = $"median of {options.Starts}";
        Console.WriteLine($"start-up, process start to first answer: server {Format(server.Answer)}; baseline {Format(baseline.Answer)}");
        report.Time($"start-up: process start to first answered list ({of}, fresh file store) ÷ bare `dotnet app.dll`",
            Stats.Median(server.Answer), Stats.Median(baseline.Answer), "≤ 1.00×");
        report.Time($"start-up: process start to ready line ({of})", Stats.Median(server.Ready), Stats.Median(baseline.Ready), "–");
    }

    private static string Format(List<double> samples) => string.Join(", ", samples.Select(s => $"{s:F0}")) + " ms";
}
