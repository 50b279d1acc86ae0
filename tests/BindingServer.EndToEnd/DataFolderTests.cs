namespace BindingServer.EndToEnd;

/// <summary>
/// One server per data folder, and a store that cannot be opened stops the server at start with a clear message and a
/// non-zero exit, rather than a second process serving its own diverging copy or a server failing on every request.
/// </summary>
public sealed class DataFolderTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "bindingserver-folder-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private Task<(int ExitCode, string Out)> StartSecondAsync() =>
        CommandLine.RunAsync("dotnet", null, ServerProcess.ServerAssembly(), "--Server:Port=0", "--Store:InMemory=false", $"--Store:DataPath={_folder}");

    [Fact]
    public async Task A_second_process_on_the_same_data_folder_refuses_to_start()
    {
        var first = new ServerProcess("--Store:InMemory=false", $"--Store:DataPath={_folder}");
        await first.InitializeAsync();
        try
        {
            var (exitCode, output) = await StartSecondAsync();

            Assert.Equal(1, exitCode);
            Assert.Contains($"another BindingServer process is using the data folder {Path.GetFullPath(_folder)}", output);
            Assert.DoesNotContain("BindingServer ready", output);
            using var client = new HttpClient { BaseAddress = first.BaseAddress };
            Assert.True((await client.GetAsync("/readyz")).IsSuccessStatusCode);
        }
        finally
        {
            await first.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_corrupt_database_stops_the_server_with_the_reason()
    {
        Directory.CreateDirectory(_folder);
        await File.WriteAllTextAsync(Path.Combine(_folder, "bindingserver.db"), new string('x', 8192));

        var (exitCode, output) = await StartSecondAsync();

        Assert.Equal(1, exitCode);
        Assert.Contains($"the store in {Path.GetFullPath(_folder)} cannot be opened: ", output);
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public async Task An_unreadable_database_stops_the_server_with_the_reason()
    {
        // A path SQLite cannot open as a file, whoever runs the server (root reads through file modes).
        Directory.CreateDirectory(Path.Combine(_folder, "bindingserver.db"));

        var (exitCode, output) = await StartSecondAsync();

        Assert.Equal(1, exitCode);
        Assert.Contains($"the store in {Path.GetFullPath(_folder)} cannot be opened: SQLite Error 14: 'unable to open database file'", output);
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public async Task A_read_only_data_folder_stops_the_server_with_the_reason()
    {
        Directory.CreateDirectory(_folder);
        File.SetUnixFileMode(_folder, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        // Root writes through file modes, so a root test run (CI) starts the server as nobody to see what a user sees.
        var server = new[] { ServerProcess.ServerAssembly(), "--Server:Port=0", "--Store:InMemory=false", $"--Store:DataPath={_folder}" };
        var (exitCode, output) = Environment.IsPrivilegedProcess
            ? await CommandLine.RunAsync("setpriv", null, ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "env", $"HOME={Path.GetTempPath()}", "dotnet", .. server])
            : await CommandLine.RunAsync("dotnet", null, server);

        Assert.Equal(1, exitCode);
        Assert.Contains($"the data folder {Path.GetFullPath(_folder)} cannot be written: ", output);
        Assert.DoesNotContain("   at ", output);
        Assert.DoesNotContain("BindingServer ready", output);
    }
}
