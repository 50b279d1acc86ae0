using System.Net;
using BindingServer.Storage;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace BindingServer.Hosting;

/// <summary>The listener Kestrel opens: plain HTTP, or with <c>Server:Https</c> TLS as the apiserver serves it.</summary>
public static class HttpsListener
{
    /// <summary>Registers <see cref="ServerCertificates"/>; the settings are read when it is first asked for, so a host that adds settings later is obeyed.</summary>
    public static IServiceCollection AddServerCertificates(this IServiceCollection services, IConfiguration configuration) =>
        services.AddSingleton(_ => new ServerCertificates(
            configuration.GetSection(ServerOptions.Section).Get<ServerOptions>() ?? new ServerOptions(),
            configuration.GetSection(StoreOptions.Section).Get<StoreOptions>() ?? new StoreOptions()));

    /// <summary>
    /// Listens on the configured address and port. Over HTTPS: HTTP/1.1 and HTTP/2 by ALPN, and a client certificate is
    /// asked for in the handshake but never required nor judged there. As with the apiserver, the authenticator decides
    /// later, so an unknown certificate is a 401 rather than a failed handshake; asking in the handshake (not by
    /// renegotiation, which HTTP/2 forbids) puts it on the connection for both protocols.
    /// </summary>
    public static void ConfigureListener(this KestrelServerOptions kestrel, ServerOptions listen, ServerCertificates certificates)
    {
        kestrel.Listen(IPAddress.Parse(listen.Address), listen.Port, endpoint =>
        {
            if (!listen.Https)
            {
                return;
            }

            endpoint.Protocols = HttpProtocols.Http1AndHttp2;
            endpoint.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificate = certificates.ServingCertificate,
                ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                ClientCertificateValidation = (_, _, _) => true,
                CheckCertificateRevocation = false,
            });
        });
    }
}
