using BindingServer.CloudFoundry;
using BindingServer.CloudFoundry.Brokers;
using BindingServer.Documentation;
using BindingServer.Hosting;
using BindingServer.Hosting.Tenants;
using BindingServer.Kubernetes;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Authentication;
using BindingServer.Kubernetes.Authorization;
using BindingServer.Storage;
using Serilog;

// "serve" (the default) runs the server; "kubeconfig" prints a kubeconfig for the configured address; "--healthcheck"
// asks a running server for its health (the container HEALTHCHECK); "--help" prints the usage.
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.Out.Write(Usage.Text);
    return 0;
}

var printKubeconfig = args.FirstOrDefault() == "kubeconfig";
var probeOnly = args.Contains("--healthcheck");
var (seedPaths, settings) = SeedFiles.TakeOptions((args.FirstOrDefault() is "serve" or "kubeconfig" ? args[1..] : args).Where(a => a != "--healthcheck"));
var builder = WebApplication.CreateBuilder(settings);

builder.Host.UseSerilog((context, logging) => logging
    .FromConfiguration(context.Configuration)
    .WriteTo.Console(formatProvider: System.Globalization.CultureInfo.InvariantCulture));

var serverOptions = builder.Configuration.GetSection(ServerOptions.Section).Get<ServerOptions>() ?? new ServerOptions();
if (probeOnly)
{
    return await HealthEndpoints.ProbeAsync(ListenSettings.From(builder.Configuration).ClientUrl());
}

if (printKubeconfig)
{
    return Kubeconfig.Command(builder.Configuration, args, Console.Out, Console.Error);
}

// Read when Kestrel starts rather than now, so a host that adds settings later (a WebApplicationFactory) is obeyed.
builder.WebHost.ConfigureKestrel((context, kestrel) =>
{
    var listen = ListenSettings.From(context.Configuration);
    if (listen.Notice is { } notice)
    {
        Console.Error.WriteLine(notice);
    }

    kestrel.ConfigureListener(listen, kestrel.ApplicationServices.GetRequiredService<ServerCertificates>());
    kestrel.Limits.MaxRequestBodySize = null;

    // Go's HTTP server, the apiserver's, takes up to 1 MiB of request line and headers (a long name is then the
    // apiserver's 404, not a 414 from the web server).
    kestrel.Limits.MaxRequestLineSize = 1 << 20;
    kestrel.Limits.MaxRequestHeadersTotalSize = 1 << 20;
    kestrel.Limits.MaxRequestBufferSize = 4 << 20;

    // Go's HTTP server, the apiserver's, sends no Server header.
    kestrel.AddServerHeader = false;
});

builder.Services.Configure<ServerOptions>(builder.Configuration.GetSection(ServerOptions.Section));
builder.Services.AddServerCertificates(builder.Configuration);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddObjectStore(builder.Configuration, ResourceCatalog.Default.KeyPrefixes.Concat(CfStore.Prefixes));
builder.Services.AddKubernetesApi(builder.Configuration);
builder.Services.AddCloudFoundry(builder.Configuration);
builder.Services.AddAdminApi();
builder.Services.AddApiDocumentation();
builder.Services.AddHostedService<StartupBanner>();

var app = builder.Build();

// Open (and migrate) the store, and create the system namespaces, before the first request rather than on it.
try
{
    app.Services.GetRequiredService<ObjectStore>();
}
catch (Exception error) when (error is StoreUnavailableException or Microsoft.Data.Sqlite.SqliteException or Npgsql.NpgsqlException)
{
    Console.Error.WriteLine(error is StoreUnavailableException
        ? error.Message
        : $"the store in {Path.GetFullPath(app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<StoreOptions>>().Value.DataPath)} cannot be opened: {error.Message}");
    return 1;
}

// A static token file that cannot be read stops the server at start, not every request later.
try
{
    app.Services.GetRequiredService<StaticTokens>();
}
catch (Exception error) when (error is IOException or UnauthorizedAccessException or InvalidOperationException)
{
    Console.Error.WriteLine($"{AuthenticationOptions.Section}:TokenAuthFile: {error.Message}");
    return 1;
}

try
{
    await KubernetesApi.EnsureStartStateAsync(app.Services, CancellationToken.None);
    await app.Services.GetRequiredService<BrokerRegistry>().SeedAsync();
}
catch (StoreCommitException error)
{
    // A full disk, or a Store:QuotaMegabytes too small for the start state: say so rather than serve half of it.
    Console.Error.WriteLine($"the start state cannot be stored: {error.Message} ({error.InnerException?.Message})");
    return 1;
}

if (seedPaths.Count > 0 && !await SeedFiles.LoadAsync(seedPaths, app.Services.GetRequiredService<Fixtures>(), Console.Out, Console.Error))
{
    return 1;
}

await ClusterRoleAggregation.SyncAsync(app.Services.GetRequiredService<ObjectStore>(), app.Services.GetRequiredService<ResourceRegistry>(), CancellationToken.None);

if (serverOptions.LogRequests)
{
    app.UseSerilogRequestLogging();
}

// Tenants first: under /tenants/{id} the rest of the pipeline, routing included, serves that tenant.
app.UseMiddleware<TenantRouting>();
app.UseRouting();
app.UseMiddleware<RequestJournal.Middleware>();
app.UseMiddleware<InFlightLimit>();
app.UseMiddleware<FaultInjection.Middleware>();
app.UseMiddleware<KubernetesErrorMiddleware>();
app.UseMiddleware<CfErrorMiddleware>();
app.UseConsistentReads();
app.UseMiddleware<KubernetesAuthMiddleware>();
app.UseApiDocumentation();
app.MapAdminApi();
app.MapKubernetesApi();
app.MapCloudFoundry();

await app.RunAsync();
return 0;

/// <summary>Entry point; public so the in-process tests can host it.</summary>
public partial class Program;
