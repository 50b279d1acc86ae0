namespace BindingServer.Hosting;

/// <summary><c>--seed &lt;file or folder&gt;</c>: fixtures loaded at start-up, before the server listens.</summary>
public static class SeedFiles
{
    private static readonly string[] Extensions = [".yaml", ".yml", ".json"];

    /// <summary>Splits the <c>--seed</c> options (<c>--seed x</c> or <c>--seed=x</c>, repeatable) from the other arguments.</summary>
    public static (List<string> Paths, string[] Remaining) TakeOptions(IEnumerable<string> args)
    {
        var paths = new List<string>();
        var rest = new List<string>();
        using var reading = args.GetEnumerator();
        while (reading.MoveNext())
        {
            var arg = reading.Current;
            if (arg.StartsWith("--seed=", StringComparison.Ordinal))
            {
                paths.Add(arg["--seed=".Length..]);
            }
            else if (arg == "--seed" && reading.MoveNext())
            {
                paths.Add(reading.Current);
            }
            else
            {
                rest.Add(arg);
            }
        }

        return (paths, rest.ToArray());
    }

    /// <summary>The files a seed path names: the file itself, or a folder's YAML and JSON files (recursively) in path order.</summary>
    public static IEnumerable<string> Expand(string path) =>
        Directory.Exists(path)
            ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal)
            : [path];

    /// <summary>Loads every seed file in one transaction; on failure writes why and returns false, having written nothing.</summary>
    public static async Task<bool> LoadAsync(IEnumerable<string> paths, Fixtures fixtures, TextWriter output, TextWriter errors)
    {
        try
        {
            var sources = new List<Fixtures.Source>();
            foreach (var file in paths.SelectMany(Expand))
            {
                sources.Add(new Fixtures.Source(file, await File.ReadAllBytesAsync(file)));
            }

            var outcome = await fixtures.LoadAsync(sources, CancellationToken.None);
            await output.WriteLineAsync($"BindingServer seeded: {outcome.Created.Count} created, {outcome.Existing.Count} existing");
            return true;
        }
        catch (Exception error) when (error is FixtureException or IOException or UnauthorizedAccessException)
        {
            await errors.WriteLineAsync($"BindingServer cannot load --seed: {error.Message}");
        }
        catch (FixtureRefusedException error)
        {
            await errors.WriteLineAsync($"BindingServer cannot load --seed: {error.Status.Reason}: {error.Message}");
        }

        return false;
    }
}
