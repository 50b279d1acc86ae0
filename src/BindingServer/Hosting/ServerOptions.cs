namespace BindingServer.Hosting;

/// <summary>Configuration section <c>Server</c>: where the server listens.</summary>
public sealed class ServerOptions
{
    public const string Section = "Server";

    /// <summary>Loopback by default: this is a development and CI tool, not a shared service.</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>0 picks a free port; the ready line says which.</summary>
    public int Port { get; set; } = 8080;
}
