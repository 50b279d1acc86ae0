using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using BindingServer.Hosting;
using BindingServer.Storage;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace BindingServer.Tests.Hosting;

/// <summary>The server's CA, serving certificate and client certificates (<see cref="ServerCertificates"/>).</summary>
public sealed class ServerCertificatesTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("bindingserver-pki-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static ServerCertificates InMemory(params string[] hostNames) =>
        new(new ServerOptions { Https = true, HostNames = [.. hostNames] }, new StoreOptions { InMemory = true });

    private ServerCertificates OnDisk(TimeProvider? time = null, params string[] hostNames) =>
        new(new ServerOptions { Https = true, HostNames = [.. hostNames] }, new StoreOptions { DataPath = _folder }, time);

    /// <summary>A clock that can be moved, to issue certificates in the past.</summary>
    private sealed class MovableTime : TimeProvider
    {
        public TimeSpan Offset { get; set; }

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
    }

    private static X509Certificate2 Load((string CertificatePem, string KeyPem) pair) => X509Certificate2.CreateFromPem(pair.CertificatePem, pair.KeyPem);

    [Fact]
    public void The_serving_certificate_names_loopback_and_the_configured_hosts_and_chains_to_the_CA()
    {
        var certificates = InMemory("bindingserver.test", "10.1.2.3");
        var serving = certificates.ServingCertificate;

        var san = serving.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["localhost", "bindingserver.test"], san.EnumerateDnsNames());
        Assert.Equal([IPAddress.Loopback, IPAddress.IPv6Loopback, IPAddress.Parse("10.1.2.3")], san.EnumerateIPAddresses());
        Assert.True(serving.HasPrivateKey);
        Assert.Equal("1.3.6.1.5.5.7.3.1", serving.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages[0].Value);
        Assert.Equal(certificates.Authority.Subject, serving.Issuer);
        Assert.True(Chains(serving, certificates.Authority));

        // Positive serial numbers: Go refuses negative ones.
        Assert.True(serving.SerialNumberBytes.Span[0] < 0x80);
    }

    [Fact]
    public void The_CA_is_a_CA_and_its_PEM_is_what_clients_are_given()
    {
        var certificates = InMemory();

        var constraints = certificates.Authority.Extensions.OfType<X509BasicConstraintsExtension>().Single();
        Assert.True(constraints.CertificateAuthority);
        Assert.Equal("CN=bindingserver-ca", certificates.Authority.Subject);
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", certificates.AuthorityPem);
        Assert.Equal(certificates.Authority.Thumbprint, X509Certificate2.CreateFromPem(certificates.AuthorityPem).Thumbprint);
    }

    [Fact]
    public void With_a_data_folder_the_CA_and_serving_certificate_are_created_once_and_reused()
    {
        var first = OnDisk();
        var (ca, serving) = (first.Authority.Thumbprint, first.ServingCertificate.Thumbprint);

        var second = OnDisk();
        Assert.Equal(ca, second.Authority.Thumbprint);
        Assert.Equal(serving, second.ServingCertificate.Thumbprint);
        Assert.True(File.Exists(Path.Combine(_folder, "pki", "ca.crt")));
        Assert.True(File.Exists(Path.Combine(_folder, "pki", "apiserver.key")));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_folder, "pki", "ca.key")));
        }

        // A certificate issued by one instance is recognised by the next: the same CA.
        using var client = Load(first.IssueClientCertificate("alice", ["devs"]));
        Assert.True(second.TryAuthenticate(client, out var user, out _));
        Assert.Equal("alice", user);
    }

    [Fact]
    public void A_new_host_name_gets_a_new_serving_certificate_from_the_same_CA()
    {
        var first = OnDisk();
        var serving = first.ServingCertificate.Thumbprint;

        var second = OnDisk(null, "bindingserver.test");

        Assert.Equal(first.Authority.Thumbprint, second.Authority.Thumbprint);
        Assert.NotEqual(serving, second.ServingCertificate.Thumbprint);
        Assert.Contains("bindingserver.test", second.ServingCertificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames());
    }

    [Fact]
    public void In_memory_every_instance_has_its_own_CA_and_writes_nothing()
    {
        Assert.NotEqual(InMemory().Authority.Thumbprint, InMemory().Authority.Thumbprint);
        Assert.Null(InMemory().Folder);
    }

    [Fact]
    public void An_issued_client_certificate_authenticates_as_its_CN_with_its_Os_in_order()
    {
        var certificates = InMemory();
        using var client = Load(certificates.IssueClientCertificate("alice", ["devs", "qa", "system:masters"]));

        Assert.True(certificates.TryAuthenticate(client, out var user, out var groups));
        Assert.Equal("alice", user);
        Assert.Equal(["devs", "qa", "system:masters"], groups);

        // Encoded as openssl's "/O=devs/O=qa/O=system:masters/CN=alice": what Go reads as Organization, in that order.
        var encoded = client.SubjectName.EnumerateRelativeDistinguishedNames(reversed: false).Select(r => (r.GetSingleElementType().Value, r.GetSingleElementValue()));
        Assert.Equal([("2.5.4.10", "devs"), ("2.5.4.10", "qa"), ("2.5.4.10", "system:masters"), ("2.5.4.3", "alice")], encoded);
        Assert.Contains(client.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>(), o => o.Value == "1.3.6.1.5.5.7.3.2");
        Assert.InRange(client.NotAfter - client.NotBefore, TimeSpan.FromDays(364), TimeSpan.FromDays(366));
    }

    [Fact]
    public void A_user_without_groups_has_none()
    {
        var certificates = InMemory();
        using var client = Load(certificates.IssueClientCertificate("robot", []));

        Assert.True(certificates.TryAuthenticate(client, out var user, out var groups));
        Assert.Equal("robot", user);
        Assert.Empty(groups);
    }

    [Fact]
    public void A_certificate_from_another_CA_of_the_same_name_is_refused()
    {
        var ours = InMemory();
        var theirs = InMemory();
        using var client = Load(theirs.IssueClientCertificate("mallory", ["system:masters"]));

        Assert.False(ours.TryAuthenticate(client, out var user, out var groups));
        Assert.Equal("", user);
        Assert.Empty(groups);
    }

    [Fact]
    public void A_self_signed_certificate_is_refused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("O=system:masters, CN=mallory", key, HashAlgorithmName.SHA256);
        using var forged = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));

        Assert.False(InMemory().TryAuthenticate(forged, out _, out _));
    }

    [Fact]
    public void An_expired_certificate_is_refused()
    {
        var time = new MovableTime { Offset = TimeSpan.FromDays(-800) };
        var certificates = OnDisk(time);
        using var client = Load(certificates.IssueClientCertificate("alice", ["devs"]));
        Assert.True(certificates.TryAuthenticate(client, out _, out _));

        time.Offset = TimeSpan.Zero;

        Assert.True(client.NotAfter < DateTime.Now);
        Assert.False(certificates.TryAuthenticate(client, out _, out _));
    }

    [Fact]
    public void The_serving_certificate_is_no_client_certificate()
    {
        var certificates = InMemory();

        Assert.False(certificates.TryAuthenticate(certificates.ServingCertificate, out _, out _));
    }

    [Fact]
    public void Nothing_is_generated_until_used()
    {
        _ = new ServerCertificates(new ServerOptions { Https = true }, new StoreOptions { DataPath = _folder });

        Assert.False(Directory.Exists(Path.Combine(_folder, "pki")));
    }

    private static bool Chains(X509Certificate2 leaf, X509Certificate2 authority)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(leaf);
    }
}

/// <summary>The kubeconfig over HTTPS: the CA and a client certificate, the admin's or the one asked for; over plain HTTP, as before.</summary>
public sealed class ServerCertificatesKubeconfigTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("bindingserver-kubeconfig-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private sealed class HttpsFactory : ServerFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Server:Https", "true");
        }
    }

    private static string Field(string kubeconfig, string key)
    {
        var line = kubeconfig.Split('\n').Single(l => l.TrimStart().StartsWith(key + ": ", StringComparison.Ordinal));
        return Encoding.ASCII.GetString(Convert.FromBase64String(line[(line.IndexOf(": ", StringComparison.Ordinal) + 2)..].Trim()));
    }

    [Fact]
    public void Over_plain_HTTP_the_kubeconfig_is_unchanged()
    {
        var certificates = new ServerCertificates(new ServerOptions(), new StoreOptions { InMemory = true });

        var text = Kubeconfig.For("http://127.0.0.1:8080", certificates, "alice", ["devs"]);

        Assert.Equal(Kubeconfig.For("http://127.0.0.1:8080"), text);
        Assert.Contains("  user: {}\n", text);
        Assert.DoesNotContain("certificate", text);
    }

    [Fact]
    public void The_URL_follows_the_scheme_and_brackets_IPv6()
    {
        Assert.Equal("https://127.0.0.1:6443", Kubeconfig.UrlFor(new ServerOptions { Https = true, Port = 6443, Address = "0.0.0.0" }));
        Assert.Equal("http://[::1]:8080", Kubeconfig.UrlFor(new ServerOptions { Address = "::1" }));
    }

    [Fact]
    public async Task The_endpoint_embeds_the_CA_and_the_admin_certificate_by_default()
    {
        using var factory = new HttpsFactory();
        using var client = factory.Client();

        var text = await client.GetStringAsync("/_bindingserver/kubeconfig");

        var certificates = factory.Services.GetRequiredService<ServerCertificates>();
        Assert.Equal(certificates.AuthorityPem, Field(text, "certificate-authority-data"));
        using var admin = X509Certificate2.CreateFromPem(Field(text, "client-certificate-data"), Field(text, "client-key-data"));
        Assert.True(certificates.TryAuthenticate(admin, out var user, out var groups));
        Assert.Equal("kubernetes-admin", user);
        Assert.Equal(["system:masters"], groups);
    }

    [Fact]
    public async Task The_endpoint_issues_a_certificate_for_the_user_and_groups_asked()
    {
        using var factory = new HttpsFactory();
        using var client = factory.Client();

        var text = await client.GetStringAsync("/_bindingserver/kubeconfig?user=alice&group=devs&group=qa");

        using var alice = X509Certificate2.CreateFromPem(Field(text, "client-certificate-data"), Field(text, "client-key-data"));
        Assert.True(factory.Services.GetRequiredService<ServerCertificates>().TryAuthenticate(alice, out var user, out var groups));
        Assert.Equal("alice", user);
        Assert.Equal(["devs", "qa"], groups);
    }

    [Theory]
    [InlineData("?user=alice")]
    [InlineData("?group=devs")]
    public async Task Over_plain_HTTP_a_user_or_group_is_a_400(string query)
    {
        using var factory = new ServerFactory();
        using var client = factory.Client();

        using var response = await client.GetAsync("/_bindingserver/kubeconfig" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Contains("HTTPS", body["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_group_without_a_user_is_a_400_over_HTTPS()
    {
        using var factory = new HttpsFactory();
        using var client = factory.Client();

        using var response = await client.GetAsync("/_bindingserver/kubeconfig?group=devs");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    private IConfiguration Settings(params string[] pairs) =>
        new ConfigurationBuilder().AddInMemoryCollection(pairs.Select(p => p.Split('=', 2)).Select(p => KeyValuePair.Create(p[0], (string?)p[1]))).Build();

    [Fact]
    public void The_command_embeds_the_CA_of_the_data_folder_and_a_certificate_for_the_user()
    {
        var settings = Settings("Server:Https=true", "Server:Port=6443", $"Store:DataPath={_folder}");
        using var output = new StringWriter();
        using var errors = new StringWriter();

        var exit = Kubeconfig.Command(settings, ["kubeconfig", "--user", "alice", "--group=devs", "--group", "qa"], output, errors);

        Assert.Equal(0, exit);
        var text = output.ToString();
        Assert.Contains("server: https://127.0.0.1:6443\n", text);
        var stored = new ServerCertificates(new ServerOptions { Https = true }, new StoreOptions { DataPath = _folder });
        Assert.Equal(stored.AuthorityPem, Field(text, "certificate-authority-data"));
        using var alice = X509Certificate2.CreateFromPem(Field(text, "client-certificate-data"), Field(text, "client-key-data"));
        Assert.True(stored.TryAuthenticate(alice, out var user, out var groups));
        Assert.Equal("alice", user);
        Assert.Equal(["devs", "qa"], groups);
    }

    [Fact]
    public void The_command_without_HTTPS_prints_the_plain_kubeconfig_and_refuses_a_user()
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        Assert.Equal(0, Kubeconfig.Command(Settings("Server:Port=6443"), ["kubeconfig"], output, errors));
        Assert.Equal(Kubeconfig.For("http://127.0.0.1:6443"), output.ToString());

        Assert.Equal(2, Kubeconfig.Command(Settings("Server:Port=6443"), ["kubeconfig", "--user=alice"], TextWriter.Null, errors));
        Assert.Contains("HTTPS", errors.ToString());
    }

    [Fact]
    public void The_command_refuses_HTTPS_with_an_in_memory_store()
    {
        using var errors = new StringWriter();

        var exit = Kubeconfig.Command(Settings("Server:Https=true", "Store:InMemory=true"), ["kubeconfig"], TextWriter.Null, errors);

        Assert.Equal(2, exit);
        Assert.Contains("InMemory", errors.ToString());
    }
}
