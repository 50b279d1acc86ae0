using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace BindingServer.CloudFoundry.Brokers;

/// <summary>
/// Where this server can reach itself: its first listening address, with a wildcard host made loopback. It is what the
/// built-in broker's URL and the <c>X-Api-Info-Location</c> header are made of; an in-process host has no address and
/// answers as <c>http://localhost</c>. A tenant's address ends in its path prefix.
/// </summary>
public sealed class SelfAddress(IServer server, Hosting.Tenants.TenantScope? tenant = null)
{
    public string Url => Root + tenant?.PathBase;

    private string Root
    {
        get
        {
            var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
            if (address is null || !Uri.TryCreate(address, UriKind.Absolute, out var uri))
            {
                return "http://localhost";
            }

            var host = uri.Host switch
            {
                "0.0.0.0" or "+" or "*" => "127.0.0.1",
                "[::]" or "::" => "[::1]",
                var named => uri.HostNameType == UriHostNameType.IPv6 ? $"[{named.Trim('[', ']')}]" : named,
            };
            return $"{uri.Scheme}://{host}:{uri.Port}";
        }
    }
}
