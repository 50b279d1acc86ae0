using System.Diagnostics;
using BindingServer.TestSupport;

namespace BindingServer.EndToEnd;

/// <summary>From the repository to a working `bindingserver` command: dotnet pack, dotnet tool install, run it.</summary>
// Both build the Release configuration of the server into the same folders, so they must not run at once.
[Collection("Release builds")]
public sealed class ToolPackageTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "bindingserver-tool-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public async Task The_packed_tool_installs_and_serves()
    {
        var packages = Path.Combine(_folder, "packages");
        var tools = Path.Combine(_folder, "tools");
        var project = Path.Combine(OfficialSchemas.RepositoryRoot(), "src", "BindingServer");

        var packed = await CommandLine.RunAsync("dotnet", null, "pack", project, "-c", "Release", "--no-restore", "-o", packages);
        Assert.True(packed.ExitCode == 0, packed.Out);
        var installed = await CommandLine.RunAsync("dotnet", null, "tool", "install", "BindingServer", "--tool-path", tools, "--add-source", packages, "--ignore-failed-sources");
        Assert.True(installed.ExitCode == 0, installed.Out);
        var command = Path.Combine(tools, "bindingserver");

        var help = await CommandLine.RunAsync(command, null, "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.StartsWith("Usage: bindingserver [serve|kubeconfig]", help.Out);
        var kubeconfig = await CommandLine.RunAsync(command, null, "kubeconfig", "--Server:Port=6443");
        Assert.Contains("server: http://127.0.0.1:6443", kubeconfig.Out);

        var start = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _folder };
        foreach (var arg in new[] { "serve", "--Server:Port=0", "--Store:InMemory=true" })
        {
            start.ArgumentList.Add(arg);
        }

        using var server = Process.Start(start)!;
        try
        {
            string? url = null;
            while (url is null && await server.StandardOutput.ReadLineAsync() is { } line)
            {
                url = line.StartsWith("BindingServer ready: ", StringComparison.Ordinal) ? line["BindingServer ready: ".Length..] : null;
            }

            Assert.NotNull(url);
            using var client = new HttpClient { BaseAddress = new Uri(url) };
            Assert.Equal("ok", await client.GetStringAsync("readyz"));
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }
}
