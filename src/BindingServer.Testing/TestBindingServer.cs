using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace BindingServer.Testing;

/// <summary>Where a <see cref="TestBindingServer"/> answers.</summary>
public enum TestServerTransport
{
    /// <summary>Kestrel on a free loopback port: every client works, kubectl and other processes included.</summary>
    Loopback,

    /// <summary>No socket at all: only the clients this object hands out can reach it; the fastest to start.</summary>
    InMemory,
}

/// <summary>
/// BindingServer inside the test process, on an in-memory store. Start one per test class (or per test run), reset it
/// between tests with <see cref="ResetAsync"/>, and talk to it with <see cref="CreateClient"/>,
/// <see cref="CreateKubernetesClient"/> or, for kubectl, <see cref="KubeconfigPath"/>.
/// </summary>
/// <remarks>
/// The same type is also a tenant of a server (<see cref="CreateTenantAsync"/>): an isolated cluster and Cloud
/// Controller under <c>/tenants/{id}/</c> of the same process, with every client member below aimed at it, so test
/// classes running in parallel can share one server without sharing state (<see cref="SharedAsync"/>, <see cref="TenantFixture"/>).
/// </remarks>
public sealed class TestBindingServer : IAsyncDisposable
{
    /// <summary>How long the exit of the test process waits for the shared servers to stop.</summary>
    private static readonly TimeSpan SharedStopTimeout = TimeSpan.FromSeconds(10);

    private static readonly Lock SharedGate = new();
    private static readonly Dictionary<TestServerTransport, Task<TestBindingServer>> SharedServers = [];

    private readonly Host _host;
    private readonly string _folder;

    /// <summary>For a tenant, the server it lives in (whose admin API deletes it); null for a server.</summary>
    private readonly TestBindingServer? _server;

    private string? _kubeconfigPath;

    /// <summary>Set on the process-wide servers of <see cref="SharedAsync"/>, which only the process's exit disposes.</summary>
    private bool _shared;

    private int _disposed;

    private TestBindingServer(Host host, Uri baseAddress, TestServerTransport transport, TestBindingServer? server = null, string? tenantId = null)
    {
        _host = host;
        _server = server;
        BaseAddress = baseAddress;
        Transport = transport;
        TenantId = tenantId;
        _folder = Path.Combine(Path.GetTempPath(), "bindingserver-testing-" + Guid.NewGuid().ToString("N"));
    }

    /// <summary>
    /// The server's root URL, or a tenant's (<c>.../tenants/{id}/</c>); for <see cref="TestServerTransport.InMemory"/>, a
    /// name only its own clients resolve.
    /// </summary>
    public Uri BaseAddress { get; }

    /// <summary>Where the server answers; a tenant answers where its server does.</summary>
    public TestServerTransport Transport { get; }

    /// <summary>The tenant's id when this object is a tenant (<see cref="CreateTenantAsync"/>); null for a server.</summary>
    public string? TenantId { get; }

    /// <summary>
    /// Services of the running server, for tests that need to look inside it; for a tenant, the tenant's own container
    /// (its store, controllers, journal and faults, and the services it shares with the server).
    /// </summary>
    public IServiceProvider Services => TenantId is null ? _host.Services
        : _host.Services.GetRequiredService<Hosting.Tenants.TenantRegistry>().TryGet(TenantId, out var tenant) ? tenant.Services
        : throw new InvalidOperationException($"tenant \"{TenantId}\" was deleted");

    /// <summary>Starts a server and returns once it answers. Pass settings as configuration keys, e.g. <c>("CloudFoundry:VolumeServicesEnabled", "true")</c>.</summary>
    public static async Task<TestBindingServer> StartAsync(TestServerTransport transport = TestServerTransport.Loopback,
        params (string Key, string Value)[] settings)
    {
        var host = new Host(settings);
        Uri address;
        if (transport == TestServerTransport.Loopback)
        {
            host.UseKestrel();
            host.StartServer();
            var bound = host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            address = new Uri(bound.TrimEnd('/') + "/");
        }
        else
        {
            host.StartServer();
            address = new Uri("http://localhost/");
        }

        var server = new TestBindingServer(host, address, transport);
        using var client = server.CreateClient();
        (await client.GetAsync("readyz")).EnsureSuccessStatusCode();
        return server;
    }

    /// <summary>
    /// The process's one server of <paramref name="transport"/> for tenants, started by the first call (concurrent
    /// first calls share one start) and stopped when the process exits; disposing it does nothing, since other test
    /// classes use it too. Give each test class or collection a tenant of it (<see cref="CreateTenantAsync"/>,
    /// <see cref="TenantFixture"/>) rather than using its own state.
    /// </summary>
    public static Task<TestBindingServer> SharedAsync(TestServerTransport transport = TestServerTransport.Loopback)
    {
        lock (SharedGate)
        {
            // A start that failed is tried again by the next caller rather than failing every test class after it.
            if (!SharedServers.TryGetValue(transport, out var starting) || starting.IsFaulted || starting.IsCanceled)
            {
                starting = Task.Run(() => StartSharedAsync(transport));
                SharedServers[transport] = starting;
            }

            return starting;
        }
    }

    private static async Task<TestBindingServer> StartSharedAsync(TestServerTransport transport)
    {
        var server = await StartAsync(transport);
        server._shared = true;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.StopShared();
        return server;
    }

    /// <summary>At the process's exit: stops the shared server, bounded so that a stuck connection cannot hold the exit up.</summary>
    private void StopShared()
    {
        try
        {
            DisposeCoreAsync().AsTask().Wait(SharedStopTimeout);
        }
        catch (AggregateException)
        {
            // The process is ending either way; a failed stop leaves nothing behind but the temporary folder.
        }
    }

    /// <summary>
    /// Creates a tenant of this server: an isolated cluster and Cloud Controller under <c>/tenants/{id}/</c>, in the
    /// start state and loaded with <paramref name="fixtures"/> (as <see cref="LoadFixturesAsync"/> takes them; a refused
    /// fixture creates no tenant), returned as a <see cref="TestBindingServer"/> whose clients, kubeconfigs and admin
    /// calls (reset, fixtures, journal, faults) all reach that tenant alone. Disposing it deletes the tenant, not the
    /// server. <paramref name="id"/> must be a DNS label not in use; null generates one.
    /// </summary>
    public async Task<TestBindingServer> CreateTenantAsync(string? id = null, string? fixtures = null, CancellationToken cancellationToken = default)
    {
        if (TenantId is not null)
        {
            throw new InvalidOperationException("tenants are created on the server, not inside a tenant");
        }

        var created = await SendAsync(HttpMethod.Post, id is null ? "_bindingserver/tenants" : $"_bindingserver/tenants?id={Uri.EscapeDataString(id)}",
            string.IsNullOrEmpty(fixtures) ? null : new StringContent(fixtures, Encoding.UTF8, "application/yaml"), cancellationToken);
        var tenantId = created["id"]!.GetValue<string>();
        var root = new Uri(BaseAddress, Hosting.Tenants.Tenant.PathOf(tenantId).TrimStart('/') + "/");
        return new TestBindingServer(_host, root, Transport, this, tenantId);
    }

    /// <summary>Whether the server answers over HTTPS (started with <c>("Server:Https", "true")</c> on loopback).</summary>
    private bool Https => BaseAddress.Scheme == Uri.UriSchemeHttps;

    private Hosting.ServerCertificates Certificates => _host.Services.GetRequiredService<Hosting.ServerCertificates>();

    /// <summary>An HttpClient with <see cref="BaseAddress"/> set (trusting the server's CA over HTTPS); the caller disposes it.</summary>
    public HttpClient CreateClient()
    {
        var client = Transport != TestServerTransport.Loopback ? _host.CreateClient()
            : Https ? new HttpClient(TrustingHandler()) : new HttpClient();
        client.BaseAddress = BaseAddress;
        return client;
    }

    /// <summary>A handler that trusts the server's generated CA and nothing else.</summary>
    private SocketsHttpHandler TrustingHandler()
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.CertificateChainPolicy = new System.Security.Cryptography.X509Certificates.X509ChainPolicy
        {
            TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust,
            RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
        };
        handler.SslOptions.CertificateChainPolicy.CustomTrustStore.Add(Certificates.Authority);
        return handler;
    }

    /// <summary>The client configuration for this server: over HTTPS it trusts the server's CA.</summary>
    private KubernetesClientConfiguration Configuration(string? token = null) => new()
    {
        Host = BaseAddress.ToString().TrimEnd('/'),
        AccessToken = token,
        SslCaCerts = Https ? [Certificates.Authority] : null,
    };

    /// <summary>An HttpClient for the Cloud Foundry v2 API, carrying a UAA-shaped bearer token with the given scopes.</summary>
    public HttpClient CreateCloudFoundryClient(string userId = "test-user", params string[] scopes)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("bearer",
            UnsignedToken(userId, scopes.Length > 0 ? scopes : ["cloud_controller.read", "cloud_controller.write"]));
        return client;
    }

    /// <summary>A KubernetesClient (<c>k8s.Kubernetes</c>) configured for this server; the caller disposes it.</summary>
    public k8s.Kubernetes CreateKubernetesClient()
    {
        var configuration = Configuration();
        return Transport == TestServerTransport.Loopback
            ? new k8s.Kubernetes(configuration)
            : new k8s.Kubernetes(configuration, new InMemoryTransport(_host.Server.CreateHandler()));
    }

    /// <summary>
    /// A KubernetesClient acting as <paramref name="user"/> in <paramref name="groups"/> through impersonation, the way
    /// client-go's <c>ImpersonationConfig</c> and <c>kubectl --as</c> do: RBAC decides what it may do.
    /// </summary>
    public k8s.Kubernetes CreateKubernetesClient(string user, params string[] groups)
    {
        var configuration = Configuration();
        var impersonation = new Impersonating(user, groups);
        if (Transport != TestServerTransport.Loopback)
        {
            impersonation.InnerHandler = _host.Server.CreateHandler();
            return new k8s.Kubernetes(configuration, new InMemoryTransport(impersonation));
        }

        return new k8s.Kubernetes(configuration, impersonation);
    }

    /// <summary>A token of the service account (created when missing), as <c>kubectl create token</c> asks for one.</summary>
    public async Task<string> CreateServiceAccountTokenAsync(string ns, string name, CancellationToken cancellationToken = default)
    {
        using var client = CreateClient();
        using var account = await client.PostAsync($"api/v1/namespaces/{Uri.EscapeDataString(ns)}/serviceaccounts",
            JsonContent(new JsonObject { ["metadata"] = new JsonObject { ["name"] = name } }), cancellationToken);
        if (!account.IsSuccessStatusCode && account.StatusCode != System.Net.HttpStatusCode.Conflict)
        {
            throw new HttpRequestException($"creating service account {ns}/{name} answered {(int)account.StatusCode}: {await account.Content.ReadAsStringAsync(cancellationToken)}");
        }

        var request = await SendAsync(HttpMethod.Post, $"api/v1/namespaces/{Uri.EscapeDataString(ns)}/serviceaccounts/{Uri.EscapeDataString(name)}/token",
            JsonContent(new JsonObject { ["spec"] = new JsonObject() }), cancellationToken);
        return request["status"]!["token"]!.GetValue<string>();
    }

    /// <summary>A KubernetesClient that authenticates with a token of the service account, as an operator under test runs.</summary>
    public async Task<k8s.Kubernetes> CreateKubernetesClientForServiceAccountAsync(string ns, string name, CancellationToken cancellationToken = default)
    {
        var configuration = Configuration(await CreateServiceAccountTokenAsync(ns, name, cancellationToken));
        return Transport == TestServerTransport.Loopback
            ? new k8s.Kubernetes(configuration)
            : new k8s.Kubernetes(configuration, new InMemoryTransport(_host.Server.CreateHandler()));
    }

    private static StringContent JsonContent(JsonObject body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    /// <summary>Adds the Impersonate-* headers to every request.</summary>
    private sealed class Impersonating(string user, string[] groups) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Add("Impersonate-User", user);
            foreach (var group in groups)
            {
                request.Headers.Add("Impersonate-Group", group);
            }

            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>A kubeconfig file naming this server, written on first use and removed on dispose (loopback servers only).</summary>
    public string KubeconfigPath
    {
        get
        {
            _kubeconfigPath ??= WriteKubeconfig("kubeconfig.yaml", Https
                ? Hosting.Kubeconfig.For(Url, Certificates, Hosting.ServerCertificates.AdminUser, Hosting.ServerCertificates.AdminGroups)
                : Hosting.Kubeconfig.For(Url));
            return _kubeconfigPath;
        }
    }

    private string Url => BaseAddress.ToString().TrimEnd('/');

    /// <summary>
    /// A kubeconfig for kubectl acting as <paramref name="user"/> in <paramref name="groups"/>: over HTTPS a client
    /// certificate of theirs (as envtest's <c>AddUser</c>), over HTTP the admin impersonating them (<c>as</c>, <c>as-groups</c>).
    /// </summary>
    public string KubeconfigFor(string user, params string[] groups) => WriteKubeconfig($"kubeconfig-{Guid.NewGuid():N}.yaml", Https
        ? Hosting.Kubeconfig.For(Url, Certificates, user, groups)
        : Hosting.Kubeconfig.ForImpersonation(Url, null, null, user, groups));

    /// <summary>A kubeconfig whose user is a token of the service account (created when missing). kubectl sends tokens only over HTTPS.</summary>
    public async Task<string> KubeconfigForServiceAccountAsync(string ns, string name, CancellationToken cancellationToken = default)
    {
        var token = await CreateServiceAccountTokenAsync(ns, name, cancellationToken);
        return WriteKubeconfig($"kubeconfig-{ns}-{name}.yaml", Hosting.Kubeconfig.ForToken(Url, Https ? Certificates.AuthorityPem : null, token));
    }

    private string WriteKubeconfig(string fileName, string content)
    {
        if (Transport != TestServerTransport.Loopback)
        {
            throw new InvalidOperationException("kubectl runs in another process and cannot reach an in-memory server; start it with TestServerTransport.Loopback");
        }

        Directory.CreateDirectory(_folder);
        var path = Path.Combine(_folder, fileName);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>Back to the start state: every family, or <c>kubernetes</c> or <c>cloudfoundry</c> alone.</summary>
    public Task<JsonObject> ResetAsync(string? family = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, family is null ? "_bindingserver/reset" : $"_bindingserver/reset?family={Uri.EscapeDataString(family)}", null, cancellationToken);

    /// <summary>Loads Kubernetes manifests (YAML or JSON, several documents) or a Cloud Foundry fixture document, in one transaction.</summary>
    public Task<JsonObject> LoadFixturesAsync(string fixtures, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "_bindingserver/fixtures", new StringContent(fixtures, Encoding.UTF8, "application/yaml"), cancellationToken);

    /// <summary>Loads the fixture files a path names (a file, or a folder's .yaml, .yml and .json files).</summary>
    public async Task<JsonObject> LoadFixtureFilesAsync(string path, CancellationToken cancellationToken = default)
    {
        var documents = new List<string>();
        foreach (var file in Hosting.SeedFiles.Expand(path))
        {
            documents.Add(await File.ReadAllTextAsync(file, cancellationToken));
        }

        return await LoadFixturesAsync(string.Join("\n---\n", documents), cancellationToken);
    }

    /// <summary>Adds a fault rule (see docs/ci.md), e.g. <c>{"method":"PUT","path":"/api/v1/**","status":409,"count":1}</c>.</summary>
    public Task<JsonObject> AddFaultAsync(string rule, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "_bindingserver/faults", new StringContent(rule, Encoding.UTF8, "application/json"), cancellationToken);

    /// <summary>Removes every fault rule: requests are served normally again.</summary>
    public Task ClearFaultsAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, "_bindingserver/faults", null, cancellationToken);

    /// <summary>The requests received since the journal was last cleared, oldest first.</summary>
    public async Task<JsonArray> JournalAsync(CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Get, "_bindingserver/journal", null, cancellationToken))["entries"]!.AsArray();

    /// <summary>Empties the journal, so that <see cref="JournalAsync"/> shows only what comes after.</summary>
    public Task ClearJournalAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, "_bindingserver/journal", null, cancellationToken);

    private async Task<JsonObject> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var client = CreateClient();
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await client.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{method} /{path} answered {(int)response.StatusCode}: {text}", null, response.StatusCode);
        }

        return text.Length == 0 ? [] : JsonNode.Parse(text) as JsonObject ?? [];
    }

    /// <summary>The emulator checks a token's claims but not its signature, so tests need no UAA.</summary>
    private static string UnsignedToken(string userId, string[] scopes)
    {
        static string Segment(JsonNode json) =>
            Convert.ToBase64String(Encoding.UTF8.GetBytes(json.ToJsonString())).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var claims = new JsonObject { ["user_id"] = userId, ["scope"] = new JsonArray(scopes.Select(s => (JsonNode)s).ToArray()) };
        return $"{Segment(new JsonObject { ["alg"] = "HS256", ["typ"] = "JWT" })}.{Segment(claims)}.c2ln";
    }

    /// <summary>
    /// Stops the server; for a tenant, deletes the tenant (its watches end) and leaves the server running. Either way
    /// the kubeconfig files it wrote are removed. Does nothing on a server of <see cref="SharedAsync"/>.
    /// </summary>
    public ValueTask DisposeAsync() => _shared ? ValueTask.CompletedTask : DisposeCoreAsync();

    private async ValueTask DisposeCoreAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_server is null)
        {
            await _host.DisposeAsync();
        }
        else if (Volatile.Read(ref _server._disposed) == 0)
        {
            await DeleteTenantAsync(_server, TenantId!);
        }

        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static async Task DeleteTenantAsync(TestBindingServer server, string id)
    {
        try
        {
            await server.SendAsync(HttpMethod.Delete, $"_bindingserver/tenants/{Uri.EscapeDataString(id)}", null, CancellationToken.None);
        }
        catch (HttpRequestException error) when (error.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            // Deleted already, through the admin API: what disposing is for has happened.
        }
    }

    /// <summary>The server's own Program, hosted with an in-memory store, quiet logs and any port.</summary>
    private sealed class Host : WebApplicationFactory<Program>
    {
        /// <summary>The hosting layer's own override of where WebApplicationFactory looks for the app's content root.</summary>
        private const string ContentRootVariable = "ASPNETCORE_TEST_CONTENTROOT_BINDINGSERVER";

        private readonly (string Key, string Value)[] _settings;

        public Host((string Key, string Value)[] settings)
        {
            _settings = settings;

            // The content root is the test's output folder rather than a source tree, which a package's users do not
            // have (the factory would otherwise search for a solution file and fail without one).
            if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(ContentRootVariable)))
            {
                Environment.SetEnvironmentVariable(ContentRootVariable, AppContext.BaseDirectory);
            }
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("Store:InMemory", "true");
            builder.UseSetting("Server:Port", "0");
            builder.UseSetting("Serilog:MinimumLevel:Default", "Warning");
            foreach (var (key, value) in _settings)
            {
                builder.UseSetting(key, value);
            }
        }
    }

    /// <summary>Hands KubernetesClient's requests to the in-memory server instead of the network.</summary>
    private sealed class InMemoryTransport(HttpMessageHandler server) : DelegatingHandler
    {
        private readonly HttpMessageInvoker _invoker = new(server);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            _invoker.SendAsync(request, cancellationToken);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _invoker.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
