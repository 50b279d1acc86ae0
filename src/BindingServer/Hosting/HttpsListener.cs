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
    /// Listens on the configured address and port, or on what ASP.NET Core's own settings name (see
    /// <see cref="ListenSettings"/>). Over HTTPS: HTTP/1.1 and HTTP/2 by ALPN, and a client certificate is asked for in
    /// the handshake but never required nor judged there. As with the apiserver, the authenticator decides later, so an
    /// unknown certificate is a 401 rather than a failed handshake; asking in the handshake (not by renegotiation, which
    /// HTTP/2 forbids) puts it on the connection for both protocols.
    /// </summary>
    public static void ConfigureListener(this KestrelServerOptions kestrel, ListenSettings listen, ServerCertificates certificates)
    {
        var https = new HttpsConnectionAdapterOptions
        {
            ClientCertificateMode = ClientCertificateMode.AllowCertificate,
            ClientCertificateValidation = (_, _, _) => true,
            CheckCertificateRevocation = false,
        };
        if (listen.UsesAspNetUrls)
        {
            // Kestrel binds the URLs itself; the https ones get this server's certificate and client-certificate rules.
            kestrel.ConfigureHttpsDefaults(defaults =>
            {
                defaults.ServerCertificate = certificates.ServingCertificate;
                defaults.ClientCertificateMode = https.ClientCertificateMode;
                defaults.ClientCertificateValidation = https.ClientCertificateValidation;
                defaults.CheckCertificateRevocation = false;
            });
            return;
        }

        kestrel.Listen(IPAddress.Parse(listen.Server.Address), listen.Server.Port, endpoint =>
        {
            if (!listen.Server.Https)
            {
                return;
            }

            endpoint.Protocols = HttpProtocols.Http1AndHttp2;
            https.ServerCertificate = certificates.ServingCertificate;
            endpoint.UseHttps(https);
        });
    }
}
