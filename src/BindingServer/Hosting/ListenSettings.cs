namespace BindingServer.Hosting;

/// <summary>
/// Where to listen: the product's own <c>Server:Address</c>/<c>Server:Port</c> when either is given, else ASP.NET Core's
/// usual settings (<c>--urls</c>, <c>ASPNETCORE_URLS</c>, <c>ASPNETCORE_HTTP_PORTS</c>/<c>HTTPS_PORTS</c>) when one is
/// given, else the product's defaults (127.0.0.1:8080). When both forms are given the product's wins, and the server
/// says so on standard error rather than leave the other silently unused.
/// </summary>
public sealed record ListenSettings(ServerOptions Server, string? AspNetUrls)
{
    private static readonly string[] AspNetKeys = ["urls", "http_ports", "https_ports"];

    /// <summary>True when Kestrel should bind what ASP.NET Core's settings name rather than the product's address.</summary>
    public bool UsesAspNetUrls => AspNetUrls is not null && !ProductGiven;

    private bool ProductGiven { get; init; }

    public static ListenSettings From(IConfiguration configuration)
    {
        var section = configuration.GetSection(ServerOptions.Section);
        var aspNet = AspNetKeys.Select(key => configuration[key]).FirstOrDefault(value => !string.IsNullOrWhiteSpace(value));
        return new ListenSettings(section.Get<ServerOptions>() ?? new ServerOptions(), aspNet)
        {
            ProductGiven = section["Address"] is not null || section["Port"] is not null,
        };
    }

    /// <summary>What to tell the user when both forms were given, or null.</summary>
    public string? Notice => AspNetUrls is not null && ProductGiven
        ? $"Server:Address/Server:Port are set, so the ASP.NET Core address setting ({AspNetUrls}) is not used: listening on {Server.Address}:{Server.Port}."
        : null;

    /// <summary>A URL a client on this machine reaches the configured server at (the kubeconfig command, the health probe).</summary>
    public string ClientUrl()
    {
        if (!UsesAspNetUrls)
        {
            return Kubeconfig.UrlFor(Server);
        }

        var first = AspNetUrls!.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[0];
        if (int.TryParse(first, out var port))
        {
            // ASPNETCORE_HTTP_PORTS (or HTTPS_PORTS) names ports, bound on every interface.
            return $"{(Server.Https ? "https" : "http")}://127.0.0.1:{port}";
        }

        var wildcard = first.Replace("://+", "://127.0.0.1", StringComparison.Ordinal).Replace("://*", "://127.0.0.1", StringComparison.Ordinal)
            .Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal).Replace("://[::]", "://[::1]", StringComparison.Ordinal);
        return wildcard.TrimEnd('/');
    }
}
