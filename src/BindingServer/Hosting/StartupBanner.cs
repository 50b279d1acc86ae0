using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace BindingServer.Hosting;

/// <summary>Prints where the server listens, and how to point kubectl at it, once Kestrel has bound.</summary>
public sealed class StartupBanner(IServer server, IHostApplicationLifetime lifetime, ILogger<StartupBanner> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() =>
        {
            var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "(unknown)";
            Console.Out.WriteLine($"BindingServer ready: {address}");
            Console.Out.WriteLine($"  Swagger UI: {address}/swagger");
            // Over HTTPS the kubeconfig itself names the CA, so fetching it is the one request that cannot check the server yet.
            var curl = address.StartsWith("https://", StringComparison.Ordinal) ? "curl -sk" : "curl -s";
            Console.Out.WriteLine($"  kubectl: {curl} {address}/_bindingserver/kubeconfig > kubeconfig.yaml && kubectl --kubeconfig kubeconfig.yaml get clusterrolebindings");
            Console.Out.Flush();
            logger.LogInformation("Listening on {Address}", address);
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
