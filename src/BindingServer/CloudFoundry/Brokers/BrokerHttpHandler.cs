using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using BindingServer.Hosting;

namespace BindingServer.CloudFoundry.Brokers;

/// <summary>
/// The connection handler broker requests use: ordinary certificate checks, except that this server's own serving
/// certificate is trusted, so the built-in broker is reachable when the server listens over HTTPS.
/// </summary>
public static class BrokerHttpHandler
{
    public static HttpMessageHandler Create(IServiceProvider services)
    {
        var certificates = services.GetRequiredService<ServerCertificates>();
        return new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                    errors == SslPolicyErrors.None ||
                    (certificate is not null && certificate.GetCertHashString() == certificates.ServingCertificate.GetCertHashString()),
            },
        };
    }
}
