using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BindingServer.Storage;

namespace BindingServer.Hosting;

/// <summary>
/// The server's small PKI for <c>Server:Https</c>: a self-signed CA and a serving certificate it signs, kept as PEM
/// files in <c>&lt;DataPath&gt;/pki</c> (in memory only, fresh per process, for an in-memory store), and the client
/// certificates it issues and recognises as the apiserver's x509 authenticator does (CN = user, O = groups).
/// Nothing is generated until first used, so a plain-HTTP server pays nothing.
/// </summary>
public sealed class ServerCertificates
{
    public const string AdminUser = Kubernetes.Authentication.UserInfo.AdminName;
    public static readonly IReadOnlyList<string> AdminGroups = [Kubernetes.Authentication.UserInfo.Masters];

    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    private const string CommonNameOid = "2.5.4.3";
    private const string OrganizationOid = "2.5.4.10";

    // kubeadm's lifetimes: ten years for the CA, one for what it signs.
    private static readonly TimeSpan AuthorityLifetime = TimeSpan.FromDays(3650);
    private static readonly TimeSpan LeafLifetime = TimeSpan.FromDays(365);

    // A serving certificate this close to its end is replaced at start rather than left to lapse mid-run.
    private static readonly TimeSpan RenewBefore = TimeSpan.FromDays(30);

    // Clocks of a client and the server may disagree a little; a certificate dated "now" would be refused by one ahead.
    private static readonly TimeSpan Backdate = TimeSpan.FromMinutes(5);

    private readonly ServerOptions _server;
    private readonly string? _folder;
    private readonly TimeProvider _time;
    private readonly Lazy<X509Certificate2> _authority;
    private readonly Lazy<X509Certificate2> _serving;

    public ServerCertificates(ServerOptions server, StoreOptions store, TimeProvider? time = null)
    {
        _server = server;
        _folder = store.InMemory ? null : Path.GetFullPath(Path.Combine(store.DataPath, "pki"));
        _time = time ?? TimeProvider.System;
        _authority = new Lazy<X509Certificate2>(LoadOrCreateAuthority, LazyThreadSafetyMode.ExecutionAndPublication);
        _serving = new Lazy<X509Certificate2>(LoadOrCreateServing, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Whether the server listens over HTTPS, so kubeconfigs should name the CA and carry a client certificate.</summary>
    public bool Enabled => _server.Https;

    /// <summary>Where the PEM files live; null for an in-memory store.</summary>
    public string? Folder => _folder;

    /// <summary>The CA, with its private key.</summary>
    public X509Certificate2 Authority => _authority.Value;

    /// <summary>The CA as PEM, for <c>certificate-authority-data</c> and clients' trust.</summary>
    public string AuthorityPem => Authority.ExportCertificatePem() + "\n";

    /// <summary>The certificate Kestrel serves, with its private key.</summary>
    public X509Certificate2 ServingCertificate => _serving.Value;

    /// <summary>The names the serving certificate must carry: loopback in every form, the listen address if it is a particular one, and <c>Server:HostNames</c>.</summary>
    public IReadOnlyList<string> SubjectAlternativeNames()
    {
        var names = new List<string> { "localhost", "127.0.0.1", "::1" };
        if (IPAddress.TryParse(_server.Address, out var listen) && !listen.Equals(IPAddress.Any) && !listen.Equals(IPAddress.IPv6Any))
        {
            names.Add(listen.ToString());
        }

        foreach (var name in _server.HostNames.Select(n => n.Trim()).Where(n => n.Length > 0))
        {
            names.Add(IPAddress.TryParse(name, out var address) ? address.ToString() : name.ToLowerInvariant());
        }

        return names.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// A client certificate as envtest's <c>AddUser</c> makes one: CN = user, one O per group (in order), client-auth
    /// usage, signed by the CA for a year. PEM of the certificate and of its (PKCS#8) key, for a kubeconfig.
    /// </summary>
    public (string CertificatePem, string KeyPem) IssueClientCertificate(string user, IReadOnlyList<string> groups)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        var subject = new X500DistinguishedNameBuilder();

        // Encoded with the organizations first, in order, and the common name last, as openssl's
        // "/O=system:masters/CN=kubernetes-admin" writes it. The builder encodes the last-added part first, hence backwards.
        subject.AddCommonName(user);
        foreach (var group in groups.Reverse())
        {
            subject.AddOrganizationName(group);
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = Sign(subject.Build(), key, ClientAuthOid, sans: null);
        return (certificate.ExportCertificatePem() + "\n", key.ExportPkcs8PrivateKeyPem() + "\n");
    }

    /// <summary>
    /// The apiserver's x509 authenticator: a certificate that chains to our CA, may be used for client authentication
    /// and is within its validity names its user by CN (the last one) and its groups by O (in order). An empty CN is no
    /// identity, as for the apiserver.
    /// </summary>
    public bool TryAuthenticate(X509Certificate2 client, out string user, out IReadOnlyList<string> groups)
    {
        user = "";
        groups = [];
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ClientAuthOid));
        chain.ChainPolicy.VerificationTime = _time.GetUtcNow().UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        try
        {
            if (!chain.Build(client))
            {
                return false;
            }
        }
        finally
        {
            foreach (var element in chain.ChainElements)
            {
                element.Certificate.Dispose();
            }
        }

        var (commonName, organizations) = ReadSubject(client.SubjectName);
        if (string.IsNullOrEmpty(commonName))
        {
            return false;
        }

        user = commonName;
        groups = organizations;
        return true;
    }

    /// <summary>CN and the O values of a subject in encoded order, reading multi-valued RDNs too (as Go's pkix.Name does).</summary>
    private static (string? CommonName, List<string> Organizations) ReadSubject(X500DistinguishedName subject)
    {
        string? commonName = null;
        var organizations = new List<string>();
        try
        {
            var sequence = new AsnReader(subject.RawData, AsnEncodingRules.DER).ReadSequence();
            while (sequence.HasData)
            {
                var set = sequence.ReadSetOf();
                while (set.HasData)
                {
                    var attribute = set.ReadSequence();
                    var type = attribute.ReadObjectIdentifier();
                    if (!TryReadString(attribute, out var value))
                    {
                        continue;
                    }

                    if (type == CommonNameOid)
                    {
                        commonName = value;
                    }
                    else if (type == OrganizationOid)
                    {
                        organizations.Add(value);
                    }
                }
            }
        }
        catch (AsnContentException)
        {
            return (null, []);
        }

        return (commonName, organizations);
    }

    private static bool TryReadString(AsnReader attribute, out string value)
    {
        value = "";
        var tag = attribute.PeekTag();
        if (tag.TagClass != TagClass.Universal)
        {
            return false;
        }

        switch ((UniversalTagNumber)tag.TagValue)
        {
            case UniversalTagNumber.UTF8String:
            case UniversalTagNumber.PrintableString:
            case UniversalTagNumber.IA5String:
            case UniversalTagNumber.BMPString:
            case UniversalTagNumber.T61String:
                value = attribute.ReadCharacterString((UniversalTagNumber)tag.TagValue);
                return true;
            default:
                return false;
        }
    }

    private X509Certificate2 LoadOrCreateAuthority()
    {
        if (_folder is not null && TryLoad("ca", out var stored))
        {
            return stored;
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName("CN=bindingserver-ca"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var now = _time.GetUtcNow();
        using var created = request.CreateSelfSigned(now - Backdate, now + AuthorityLifetime);
        return Keep("ca", created, key);
    }

    private X509Certificate2 LoadOrCreateServing()
    {
        var names = SubjectAlternativeNames();
        if (_folder is not null && TryLoad("apiserver", out var stored))
        {
            if (IsCurrentServing(stored, names))
            {
                return stored;
            }

            stored.Dispose();
        }

        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
        {
            if (IPAddress.TryParse(name, out var address))
            {
                san.AddIpAddress(address);
            }
            else
            {
                san.AddDnsName(name);
            }
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var created = Sign(new X500DistinguishedName("CN=bindingserver"), key, ServerAuthOid, san.Build());
        return Keep("apiserver", created, key);
    }

    /// <summary>A stored serving certificate is kept while it is signed by the CA, names exactly what is wanted and has a month to run.</summary>
    private bool IsCurrentServing(X509Certificate2 serving, IReadOnlyList<string> wanted)
    {
        if (serving.NotAfter.ToUniversalTime() - _time.GetUtcNow().UtcDateTime < RenewBefore || serving.Issuer != Authority.Subject)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = _time.GetUtcNow().UtcDateTime;
        var chained = chain.Build(serving);
        foreach (var element in chain.ChainElements)
        {
            element.Certificate.Dispose();
        }

        var extension = serving.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        if (!chained || extension is null)
        {
            return false;
        }

        var present = extension.EnumerateDnsNames().Concat(extension.EnumerateIPAddresses().Select(a => a.ToString())).ToHashSet(StringComparer.Ordinal);
        return present.SetEquals(wanted);
    }

    /// <summary>A leaf signed by the CA: a year (never past the CA's end), one extended key usage, its SANs if any.</summary>
    private X509Certificate2 Sign(X500DistinguishedName subject, ECDsa key, string usage, X509Extension? sans)
    {
        var authority = Authority;
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        if (sans is not null)
        {
            request.CertificateExtensions.Add(sans);
        }

        var now = _time.GetUtcNow();
        var notAfter = now + LeafLifetime;
        if (notAfter > authority.NotAfter.ToUniversalTime())
        {
            notAfter = authority.NotAfter.ToUniversalTime();
        }

        using var signed = request.Create(authority, now - Backdate, notAfter, SerialNumber());
        return signed.CopyWithPrivateKey(key);
    }

    /// <summary>Sixteen random bytes, positive: Go refuses certificates with a negative serial number.</summary>
    private static byte[] SerialNumber()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x01);
        return serial;
    }

    private bool TryLoad(string name, out X509Certificate2 certificate)
    {
        certificate = null!;
        var (crt, key) = Paths(name);
        if (!File.Exists(crt) || !File.Exists(key))
        {
            return false;
        }

        certificate = Usable(X509Certificate2.CreateFromPemFile(crt, key));
        return true;
    }

    /// <summary>Writes the pair (when there is a data folder) and returns a copy with its private key, usable by TLS.</summary>
    private X509Certificate2 Keep(string name, X509Certificate2 certificate, ECDsa key)
    {
        var certificatePem = certificate.ExportCertificatePem() + "\n";
        var keyPem = key.ExportPkcs8PrivateKeyPem() + "\n";
        if (_folder is not null)
        {
            Directory.CreateDirectory(_folder);
            var (crt, keyPath) = Paths(name);
            WriteFile(keyPath, keyPem, secret: true);
            WriteFile(crt, certificatePem, secret: false);
        }

        return Usable(X509Certificate2.CreateFromPem(certificatePem, keyPem));
    }

    private static void WriteFile(string path, string text, bool secret)
    {
        // Written beside and moved into place, so a crash mid-write never leaves half a key to load next time.
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (secret && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(temporary, System.Text.Encoding.ASCII, options))
        {
            writer.Write(text);
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Windows' TLS cannot use a key that lives only in memory; a PKCS#12 round trip gives it a stored one.</summary>
    private static X509Certificate2 Usable(X509Certificate2 certificate)
    {
        if (!OperatingSystem.IsWindows())
        {
            return certificate;
        }

        using (certificate)
        {
            return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), password: null);
        }
    }

    private (string Certificate, string Key) Paths(string name) =>
        (Path.Combine(_folder!, name + ".crt"), Path.Combine(_folder!, name + ".key"));
}
