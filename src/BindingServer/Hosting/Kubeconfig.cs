using BindingServer.Documentation;

namespace BindingServer.Hosting;

/// <summary>A kubeconfig that points kubectl (or any client) at this server; there is no authentication to configure.</summary>
public static class Kubeconfig
{
    public static string For(string serverUrl) => $"""
        apiVersion: v1
        kind: Config
        clusters:
        - name: bindingserver
          cluster:
            server: {serverUrl}
        contexts:
        - name: bindingserver
          context:
            cluster: bindingserver
            user: bindingserver
        current-context: bindingserver
        preferences: {"{}"}
        users:
        - name: bindingserver
          user: {"{}"}

        """;

    public static string UrlFor(ServerOptions options)
    {
        var host = options.Address is "0.0.0.0" or "::" ? "127.0.0.1" : options.Address;
        return $"http://{host}:{options.Port}";
    }

    /// <summary><c>GET /_bindingserver/kubeconfig</c>: the kubeconfig for the address this request reached, handy with port 0.</summary>
    public static IEndpointRouteBuilder MapKubeconfig(this IEndpointRouteBuilder app)
    {
        app.MapGet("/_bindingserver/kubeconfig", (HttpContext context) =>
            Results.Text(For($"{context.Request.Scheme}://{context.Request.Host}"), "application/yaml"))
            .WithTags("BindingServer")
            .WithMetadata(ApiDoc.Simple("A kubeconfig pointing at this server"));
        return app;
    }
}
