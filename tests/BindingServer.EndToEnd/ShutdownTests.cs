using System.Net;

namespace BindingServer.EndToEnd;

/// <summary>SIGTERM stops the server as an ASP.NET Core app stops: open watches end cleanly and the process exits 0.</summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task Sigterm_ends_open_watches_cleanly_and_exits_zero()
    {
        var server = new ServerProcess();
        await server.InitializeAsync();
        try
        {
            using var client = new HttpClient { BaseAddress = server.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
            using var watch = await client.GetAsync("apis/rbac.authorization.k8s.io/v1/clusterrolebindings?watch=true", HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, watch.StatusCode);
            var stream = watch.Content.ReadAsStringAsync();

            var (killed, output) = await CommandLine.RunAsync("kill", null, "-TERM", server.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(killed == 0, output);

            // The stream ends (rather than failing) well before the host's 30-second shutdown timeout, and so does the process.
            using var soon = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            var events = (await stream.WaitAsync(soon.Token)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.All(events, e => Assert.Equal("ADDED", System.Text.Json.Nodes.JsonNode.Parse(e)!["type"]!.GetValue<string>()));
            Assert.Equal(0, await server.WaitForExitAsync(soon.Token));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
