using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using BindingServer.TestSupport;

namespace BindingServer.EndToEnd;

/// <summary>
/// What the Dockerfile builds, without a docker engine: the same `dotnet publish` its build stage runs, started with
/// its runtime stage's environment, and its HEALTHCHECK command run against it.
/// </summary>
// Both build the Release configuration of the server into the same folders, so they must not run at once.
[Collection("Release builds")]
public sealed class ContainerImageTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "bindingserver-image-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private ProcessStartInfo Dotnet(string app, int port, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = app };
        start.ArgumentList.Add(Path.Combine(app, "BindingServer.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // The runtime stage's ENV lines.
        start.Environment["Server__Address"] = "0.0.0.0";
        start.Environment["Server__Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["Store__DataPath"] = Path.Combine(_folder, "data");
        return start;
    }

    [Fact]
    public async Task The_published_app_serves_with_the_images_settings_and_passes_its_healthcheck()
    {
        var dockerfile = await File.ReadAllTextAsync(Path.Combine(OfficialSchemas.RepositoryRoot(), "Dockerfile"));
        Assert.Contains("RUN dotnet publish src/BindingServer/BindingServer.csproj -c Release -o /app --no-restore", dockerfile);
        Assert.Contains("""HEALTHCHECK --interval=10s --timeout=3s CMD ["dotnet", "BindingServer.dll", "--healthcheck"]""", dockerfile);
        var app = Path.Combine(_folder, "app");
        var publish = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "publish", Path.Combine(OfficialSchemas.RepositoryRoot(), "src", "BindingServer", "BindingServer.csproj"), "-c", "Release", "-o", app, "--no-restore" })
        {
            publish.ArgumentList.Add(arg);
        }

        using (var published = Process.Start(publish)!)
        {
            var log = published.StandardOutput.ReadToEndAsync();
            await published.WaitForExitAsync();
            Assert.True(published.ExitCode == 0, await log);
        }

        var port = FreePort();
        using var healthBefore = Process.Start(Dotnet(app, port, "--healthcheck"))!;
        await healthBefore.WaitForExitAsync();
        Assert.Equal(1, healthBefore.ExitCode);

        using var server = Process.Start(Dotnet(app, port))!;
        try
        {
            while (await server.StandardOutput.ReadLineAsync() is { } line && !line.StartsWith("BindingServer ready: ", StringComparison.Ordinal))
            {
            }

            using var health = Process.Start(Dotnet(app, port, "--healthcheck"))!;
            await health.WaitForExitAsync();
            Assert.Equal(0, health.ExitCode);
            Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(_folder, "data")));
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }
}
