using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Models;

namespace BindingServer.EndToEnd;

/// <summary>
/// The real server over HTTPS with a data folder, so its CA is a file the tests trust directly (no skipped checks): the
/// folder where the server created it once, and where the <c>kubeconfig</c> command finds it again.
/// </summary>
public sealed class HttpsServer : IAsyncLifetime
{
    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "bindingserver-https-" + Guid.NewGuid().ToString("N"));

    public string DataPath => Path.Combine(Folder, "data");

    public ServerProcess Server { get; private set; } = null!;

    public X509Certificate2 Authority { get; private set; } = null!;

    /// <summary>The kubeconfig the server hands out by default (the admin's client certificate).</summary>
    public string AdminKubeconfig => Path.Combine(Folder, "admin.yaml");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Folder);
        Server = new ServerProcess("--Server:Https=true", "--Store:InMemory=false", $"--Store:DataPath={DataPath}");
        await Server.InitializeAsync();
        Authority = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(DataPath, "pki", "ca.crt"));
        using var client = Client();
        await File.WriteAllTextAsync(AdminKubeconfig, await client.GetStringAsync("_bindingserver/kubeconfig"));
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Authority?.Dispose();
        Directory.Delete(Folder, recursive: true);
    }

    /// <summary>An HttpClient that trusts only the server's CA, optionally presenting a client certificate whatever the server asks for.</summary>
    public HttpClient Client(X509Certificate2? clientCertificate = null, Version? version = null)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.CertificateChainPolicy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        handler.SslOptions.CertificateChainPolicy.CustomTrustStore.Add(Authority);
        if (clientCertificate is not null)
        {
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate;
        }

        return new HttpClient(handler)
        {
            BaseAddress = Server.BaseAddress,
            DefaultRequestVersion = version ?? HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
    }

    public string WriteFile(string name, string content)
    {
        var path = Path.Combine(Folder, name);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>The machine's kubectl with a kubeconfig of ours and no insecure flags; its own HOME and discovery cache.</summary>
    public async Task<(int ExitCode, string Out, string Err)> KubectlAsync(string kubeconfig, params string[] args)
    {
        var start = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add($"--kubeconfig={kubeconfig}");
        start.ArgumentList.Add($"--cache-dir={Path.Combine(Folder, "cache")}");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["HOME"] = Folder;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("kubectl could not be started");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await errors);
    }
}

/// <summary>HTTPS as the issue asks: kubectl, HttpClient (HTTP/1.1 and HTTP/2) and KubernetesClient trusting the generated CA, and client certificates as identities.</summary>
public sealed class HttpsTests(HttpsServer https) : IClassFixture<HttpsServer>
{
    [Fact]
    public void The_ready_line_names_an_https_address()
    {
        Assert.Equal("https", https.Server.BaseAddress.Scheme);
    }

    [Fact]
    public async Task Kubectl_works_with_the_generated_kubeconfig_and_verifies_the_server()
    {
        var kubeconfig = await File.ReadAllTextAsync(https.AdminKubeconfig);
        Assert.Contains("certificate-authority-data: ", kubeconfig);
        Assert.Contains("client-certificate-data: ", kubeconfig);
        Assert.DoesNotContain("insecure-skip-tls-verify", kubeconfig);

        var namespaces = await https.KubectlAsync(https.AdminKubeconfig, "get", "namespaces", "-o", "name");
        Assert.True(namespaces.ExitCode == 0, namespaces.Err);
        Assert.Contains("namespace/default", namespaces.Out);

        var version = await https.KubectlAsync(https.AdminKubeconfig, "version", "-o", "json");
        Assert.True(version.ExitCode == 0, version.Err);
        Assert.Contains("\"serverVersion\"", version.Out);

        var whoami = await https.KubectlAsync(https.AdminKubeconfig, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}");
        Assert.True(whoami.ExitCode == 0, whoami.Err);
        Assert.Equal("kubernetes-admin", whoami.Out);
    }

    [Fact]
    public async Task Over_https_cloud_controller_reaches_the_built_in_broker_at_the_servers_own_address()
    {
        using var client = https.Client();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("bearer", CloudFoundryTests.AdminToken);
        var brokers = System.Text.Json.Nodes.JsonNode.Parse(await client.GetStringAsync("/v2/service_brokers"))!["resources"]!.AsArray();
        Assert.Equal($"https://127.0.0.1:{https.Server.BaseAddress.Port}/_bindingserver/osb",
            brokers.Single(b => b!["entity"]!["name"]!.GetValue<string>() == "bindingserver")!["entity"]!["broker_url"]!.GetValue<string>());

        // Re-registering fetches the catalog over TLS from the server itself, which trusts its own certificate.
        var guid = brokers.Single(b => b!["entity"]!["name"]!.GetValue<string>() == "bindingserver")!["metadata"]!["guid"]!.GetValue<string>();
        using var refreshed = await client.PutAsync($"/v2/service_brokers/{guid}", new StringContent("""{"auth_password":"bindingserver"}"""));
        Assert.Equal(System.Net.HttpStatusCode.OK, refreshed.StatusCode);

        var plans = System.Text.Json.Nodes.JsonNode.Parse(await client.GetStringAsync("/v2/service_plans?results-per-page=100"))!["resources"]!.AsArray();
        var small = plans.First(p => p!["entity"]!["name"]!.GetValue<string>() == "small")!["metadata"]!["guid"]!.GetValue<string>();
        var spaces = System.Text.Json.Nodes.JsonNode.Parse(await client.GetStringAsync("/v2/spaces"))!["resources"]!.AsArray();
        var space = spaces[0]!["metadata"]!["guid"]!.GetValue<string>();
        using var app = await client.PostAsync("/v2/apps", new StringContent($$"""{"name":"tls-app","space_guid":"{{space}}"}"""));
        using var instance = await client.PostAsync("/v2/service_instances", new StringContent($$"""{"name":"tls-db","space_guid":"{{space}}","service_plan_guid":"{{small}}"}"""));
        Assert.Equal(System.Net.HttpStatusCode.Created, instance.StatusCode);
        string Guid(string json) => System.Text.Json.Nodes.JsonNode.Parse(json)!["metadata"]!["guid"]!.GetValue<string>();
        var instanceGuid = Guid(await instance.Content.ReadAsStringAsync());
        using var bound = await client.PostAsync("/v2/service_bindings",
            new StringContent($$"""{"app_guid":"{{Guid(await app.Content.ReadAsStringAsync())}}","service_instance_guid":"{{instanceGuid}}"}"""));

        var body = await bound.Content.ReadAsStringAsync();
        Assert.True(bound.StatusCode == System.Net.HttpStatusCode.Created, body);
        Assert.Equal($"fake://{instanceGuid}", System.Text.Json.Nodes.JsonNode.Parse(body)!["entity"]!["credentials"]!["uri"]!.GetValue<string>());
    }

    [Fact]
    public async Task Kubectl_refuses_a_server_its_kubeconfig_does_not_trust()
    {
        // The same kubeconfig naming another CA (one made here): verification is really on, not skipped.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=bindingserver-ca", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var stranger = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var kubeconfig = await File.ReadAllTextAsync(https.AdminKubeconfig);
        var ours = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(https.Authority.ExportCertificatePem() + "\n"));
        var theirs = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(stranger.ExportCertificatePem() + "\n"));
        Assert.Contains(ours, kubeconfig);
        var path = https.WriteFile("stranger.yaml", kubeconfig.Replace(ours, theirs, StringComparison.Ordinal));

        var result = await https.KubectlAsync(path, "get", "namespaces");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("certificate", result.Err);
    }

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task HttpClient_trusting_the_CA_gets_the_version_over_both_protocols(string protocol)
    {
        using var client = https.Client(version: Version.Parse(protocol));

        using var response = await client.GetAsync("version");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Version.Parse(protocol), response.Version);
        Assert.Contains("\"gitVersion\"", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_kubeconfig_for_another_user_authenticates_as_that_user_with_kubectl()
    {
        using var admin = https.Client();
        var kubeconfig = await admin.GetStringAsync("_bindingserver/kubeconfig?user=alice&group=devs&group=qa");
        Assert.Contains("client-key-data: ", kubeconfig);
        var path = https.WriteFile("alice.yaml", kubeconfig);

        // Needs the authenticator to read the client certificate (KubernetesAuthMiddleware / RequestAuthenticator).
        var whoami = await https.KubectlAsync(path, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username} {.status.userInfo.groups}");
        Assert.True(whoami.ExitCode == 0, whoami.Err);
        Assert.StartsWith("alice [\"devs\",\"qa\"", whoami.Out);

        // alice has no bindings: the certificate is an identity, not the admin.
        var namespaces = await https.KubectlAsync(path, "get", "namespaces");
        Assert.NotEqual(0, namespaces.ExitCode);
        Assert.Contains("User \"alice\" cannot list resource \"namespaces\"", namespaces.Err);
    }

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task A_client_certificate_reaches_the_authenticator_over_both_protocols(string protocol)
    {
        using var admin = https.Client();
        var kubeconfig = await admin.GetStringAsync("_bindingserver/kubeconfig?user=bob&group=ops");
        using var certificate = X509Certificate2.CreateFromPem(Field(kubeconfig, "client-certificate-data"), Field(kubeconfig, "client-key-data"));
        using var client = https.Client(certificate, Version.Parse(protocol));

        using var response = await client.PostAsync("apis/authentication.k8s.io/v1/selfsubjectreviews",
            new StringContent("""{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}""", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(Version.Parse(protocol), response.Version);
        Assert.Contains("\"username\":\"bob\"", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_client_certificate_from_another_CA_completes_the_handshake_and_is_Unauthorized()
    {
        // As the apiserver: TLS accepts any certificate, the authenticator refuses the one that does not chain to its CA.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("O=system:masters, CN=mallory", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var forged = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        using var client = https.Client(forged);

        using var response = await client.GetAsync("api/v1/namespaces");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("\"reason\":\"Unauthorized\"", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task KubernetesClient_lists_namespaces_with_the_generated_kubeconfig()
    {
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(https.AdminKubeconfig);
        Assert.False(config.SkipTlsVerify);
        using var client = new Kubernetes(config);

        var namespaces = await client.CoreV1.ListNamespaceAsync();

        Assert.Contains("default", namespaces.Items.Select(n => n.Metadata.Name));
    }

    [Fact]
    public async Task KubernetesClient_presents_the_client_certificate_of_its_kubeconfig()
    {
        using var admin = https.Client();
        var path = https.WriteFile("carol.yaml", await admin.GetStringAsync("_bindingserver/kubeconfig?user=carol&group=devs"));
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(path));

        var review = await client.AuthenticationV1.CreateSelfSubjectReviewAsync(new V1SelfSubjectReview());

        Assert.Equal("carol", review.Status.UserInfo.Username);
        Assert.Contains("devs", review.Status.UserInfo.Groups);
    }

    [Fact]
    public async Task The_kubeconfig_command_finds_the_CA_the_server_created_in_the_data_folder()
    {
        var assembly = ServerProcess.ServerAssembly();
        var (exitCode, output) = await CommandLine.RunAsync("dotnet", Path.GetDirectoryName(assembly), assembly, "kubeconfig",
            "--Server:Https=true", $"--Server:Port={https.Server.BaseAddress.Port}", $"--Store:DataPath={https.DataPath}", "--user", "dave", "--group", "ops");
        Assert.True(exitCode == 0, output);
        Assert.Contains($"server: https://127.0.0.1:{https.Server.BaseAddress.Port}", output);
        var path = https.WriteFile("dave.yaml", output);

        // The server, not the command, judges the certificate: the CA on disk is the one both use.
        var whoami = await https.KubectlAsync(path, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}");
        Assert.True(whoami.ExitCode == 0, whoami.Err);
        Assert.Equal("dave", whoami.Out);
    }

    /// <summary>The PEM a kubeconfig carries, base64-encoded, under a key.</summary>
    internal static string Field(string kubeconfig, string key)
    {
        var line = kubeconfig.Split('\n').Single(l => l.TrimStart().StartsWith(key + ": ", StringComparison.Ordinal));
        return System.Text.Encoding.ASCII.GetString(Convert.FromBase64String(line[(line.IndexOf(": ", StringComparison.Ordinal) + 2)..].Trim()));
    }
}

/// <summary>An HTTPS server with an in-memory store (the CI default): a fresh CA per process, fetched with the kubeconfig.</summary>
public sealed class InMemoryHttpsTests
{
    [Fact]
    public async Task A_fresh_CA_per_process_and_kubectl_works_with_the_kubeconfig_fetched_from_it()
    {
        await using var server = new ServerProcessScope(new ServerProcess("--Server:Https=true"));
        await server.Process.InitializeAsync();
        Assert.Equal("https", server.Process.BaseAddress.Scheme);

        // The one request that cannot check the issuer yet (the kubeconfig brings the CA), as `curl -k` in the ready line;
        // the name must still match, and the served certificate must then chain to the CA the kubeconfig names.
        X509Certificate2? served = null;
        using var bootstrap = new HttpClient(new SocketsHttpHandler
        {
            SslOptions =
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                {
                    served = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                    return (errors & ~System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors) == System.Net.Security.SslPolicyErrors.None;
                },
            },
        })
        {
            BaseAddress = server.Process.BaseAddress,
        };
        var folder = Directory.CreateTempSubdirectory("bindingserver-https-memory-").FullName;
        try
        {
            var path = Path.Combine(folder, "kubeconfig.yaml");
            var kubeconfig = await bootstrap.GetStringAsync("_bindingserver/kubeconfig");
            await File.WriteAllTextAsync(path, kubeconfig);
            using (served)
            {
                using var authority = X509Certificate2.CreateFromPem(HttpsTests.Field(kubeconfig, "certificate-authority-data"));
                Assert.NotNull(served);
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(authority);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                Assert.True(chain.Build(served));
            }

            var start = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[] { $"--kubeconfig={path}", $"--cache-dir={Path.Combine(folder, "cache")}", "get", "namespaces", "-o", "name" })
            {
                start.ArgumentList.Add(arg);
            }

            start.Environment["HOME"] = folder;
            using var kubectl = Process.Start(start)!;
            var output = kubectl.StandardOutput.ReadToEndAsync();
            var errors = kubectl.StandardError.ReadToEndAsync();
            await kubectl.WaitForExitAsync();
            Assert.True(kubectl.ExitCode == 0, await errors);
            Assert.Contains("namespace/kube-system", await output);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Stops the server however the test ends.</summary>
    private sealed class ServerProcessScope(ServerProcess process) : IAsyncDisposable
    {
        public ServerProcess Process { get; } = process;

        public async ValueTask DisposeAsync() => await Process.DisposeAsync();
    }
}
