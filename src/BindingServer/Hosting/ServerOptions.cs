namespace BindingServer.Hosting;

/// <summary>Configuration section <c>Server</c>: where the server listens.</summary>
public sealed class ServerOptions
{
    public const string Section = "Server";

    /// <summary>Loopback by default: this is a development and CI tool, not a shared service.</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>0 picks a free port; the ready line says which.</summary>
    public int Port { get; set; } = 8080;

    /// <summary>
    /// Serve HTTPS (HTTP/1.1 and HTTP/2) instead of plain HTTP, with a CA and serving certificate the server creates
    /// once under the store's data folder; tools that insist on TLS and a CA bundle (Helm, many SDKs) then work, and
    /// client certificates signed by that CA authenticate.
    /// </summary>
    public bool Https { get; set; }

    /// <summary>
    /// Extra host names or IP addresses the serving certificate names, beside localhost, 127.0.0.1 and ::1 (for a
    /// container reached by its service name, say); <c>--Server:HostNames:0=name</c>.
    /// </summary>
    public List<string> HostNames { get; set; } = [];

    /// <summary>
    /// Log one line per request at Information. Off by default: on the hot path it costs a third of the throughput;
    /// warnings and errors are logged either way, and the request journal records every request for tests.
    /// </summary>
    public bool LogRequests { get; set; }

    /// <summary>The apiserver's <c>--max-requests-inflight</c>: read-only requests served at once before 429s (0: no limit).</summary>
    public int MaxRequestsInFlight { get; set; } = 400;

    /// <summary>The apiserver's <c>--max-mutating-requests-inflight</c>: writes served at once before 429s (0: no limit).</summary>
    public int MaxMutatingRequestsInFlight { get; set; } = 200;
}
