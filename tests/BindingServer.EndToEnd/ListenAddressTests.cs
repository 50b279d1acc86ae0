using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace BindingServer.EndToEnd;

/// <summary>
/// Where the real process listens: ASP.NET Core's own settings (<c>--urls</c>, <c>ASPNETCORE_URLS</c>,
/// <c>ASPNETCORE_HTTP_PORTS</c>) are obeyed when the product's <c>Server:Address</c>/<c>Server:Port</c> are not given,
/// and when both are, the product's win and the server says so.
/// </summary>
public sealed partial class ListenAddressTests
{
    [GeneratedRegex(@"^BindingServer ready: (https?://\S+)")]
    private static partial Regex ReadyLine();

    /// <summary>Starts the server with these arguments and environment, uses it, and returns the address its ready line named and its stderr.</summary>
    private static async Task<(Uri Address, string Errors)> StartAsync(string[] arguments, Dictionary<string, string> environment, Func<Uri, Task> use)
    {
        var assembly = ServerProcess.ServerAssembly();
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetDirectoryName(assembly)! };
        start.ArgumentList.Add(assembly);
        start.ArgumentList.Add("--Store:InMemory=true");
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        await using var server = await ReadyProcess.StartAsync(start, ReadyLine(),
            (code, errors) => new InvalidOperationException($"the server ended ({code}) before it was ready: {errors}"));
        await use(server.Address);
        return (server.Address, server.Errors);
    }

    private static async Task AnswersAsync(Uri address)
    {
        using var client = new HttpClient { BaseAddress = address };
        using var response = await client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task The_urls_option_is_obeyed()
    {
        var port = FreePort();

        var (address, _) = await StartAsync(["--urls", $"http://127.0.0.1:{port}"], [], AnswersAsync);

        Assert.Equal(port, address.Port);
    }

    [Fact]
    public async Task Aspnetcore_urls_and_http_ports_are_obeyed()
    {
        var port = FreePort();
        var (fromUrls, _) = await StartAsync([], new() { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}" }, AnswersAsync);
        Assert.Equal(port, fromUrls.Port);

        var another = FreePort();
        var (fromPorts, _) = await StartAsync([], new() { ["ASPNETCORE_HTTP_PORTS"] = another.ToString() },
            address => AnswersAsync(new Uri($"http://127.0.0.1:{address.Port}")));
        Assert.Equal(another, fromPorts.Port);
    }

    [Fact]
    public async Task The_products_own_address_wins_and_the_server_says_so()
    {
        var ignored = FreePort();

        var (address, errors) = await StartAsync(["--Server:Port=0", "--urls", $"http://127.0.0.1:{ignored}"], [], AnswersAsync);

        Assert.NotEqual(ignored, address.Port);
        Assert.Contains($"Server:Address/Server:Port are set, so the ASP.NET Core address setting (http://127.0.0.1:{ignored}) is not used", errors);
    }
}
