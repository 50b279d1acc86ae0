using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using BindingServer.TestBroker;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;

// A scripted Open Service Broker (API 2.15) for BindingServer's end-to-end tests: it records every /v2 request and
// answers as the requested plan's name says (see Broker). Arguments: --urls, --username, --password.
var builder = WebApplication.CreateBuilder(args);
if (builder.Configuration["urls"] is null)
{
    builder.WebHost.UseUrls("http://127.0.0.1:0");
}

// Standard output carries only the ready line the tests wait for; warnings go to standard error.
builder.Logging.ClearProviders()
    .AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace)
    .SetMinimumLevel(LogLevel.Warning);

var username = builder.Configuration["username"] ?? "broker-user";
var password = builder.Configuration["password"] ?? "broker-pass";
var credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}"));

var app = builder.Build();
var log = new RequestLog();
var broker = new Broker();

// Recorded before being judged, so the tests also see the requests the broker refuses.
app.UseWhen(context => context.Request.Path.StartsWithSegments("/v2"), v2 => v2.Use(async (context, next) =>
{
    await log.RecordAsync(context);
    if (!AuthenticationHeaderValue.TryParse(context.Request.Headers.Authorization, out var authorization)
        || !authorization.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase)
        || authorization.Parameter != credentials)
    {
        context.Response.Headers.WWWAuthenticate = "Basic realm=\"TestBroker\"";
        await Results.Json(new JsonObject(), statusCode: StatusCodes.Status401Unauthorized).ExecuteAsync(context);
        return;
    }

    if (!context.Request.Headers["X-Broker-API-Version"].ToString().StartsWith("2.", StringComparison.Ordinal))
    {
        var error = new JsonObject
        {
            ["error"] = "UnsupportedAPIVersion",
            ["description"] = "The X-Broker-API-Version header must name a 2.x version; this broker implements 2.15.",
        };
        await Results.Json(error, statusCode: StatusCodes.Status412PreconditionFailed).ExecuteAsync(context);
        return;
    }

    await next(context);
}));

const string Instance = "/v2/service_instances/{id}";
const string Binding = Instance + "/service_bindings/{bindingId}";

app.MapGet("/v2/catalog", () => Results.Text(broker.Catalog, "application/json"));
app.MapPut(Instance, (HttpContext c, string id) => broker.Provision(id, RequestLog.BodyOf(c), AcceptsIncomplete(c)));
app.MapPatch(Instance, (HttpContext c, string id) => broker.Update(id, RequestLog.BodyOf(c), AcceptsIncomplete(c)));
app.MapDelete(Instance, (HttpContext c, string id) => broker.Deprovision(id, PlanId(c), AcceptsIncomplete(c)));
app.MapGet(Instance, (string id) => broker.GetInstance(id));
app.MapGet(Instance + "/last_operation", (string id) => broker.InstanceLastOperation(id));
app.MapPut(Binding, (HttpContext c, string id, string bindingId) =>
    broker.BindAsync(id, bindingId, RequestLog.BodyOf(c), AcceptsIncomplete(c), c.RequestAborted));
app.MapDelete(Binding, (HttpContext c, string id, string bindingId) => broker.Unbind(id, bindingId, PlanId(c), AcceptsIncomplete(c)));
app.MapGet(Binding, (string id, string bindingId) => broker.GetBinding(id, bindingId));
app.MapGet(Binding + "/last_operation", (string id, string bindingId) => broker.BindingLastOperation(id, bindingId));

// The tests' side door: no authentication, never recorded.
// With ?after=N the answer waits until the log holds more than N requests.
app.MapGet("/control/requests", async (int? after, CancellationToken aborted) =>
    Results.Json(after is { } count ? await log.SnapshotAfterAsync(count, aborted) : log.Snapshot()));
app.MapDelete("/control/requests", () =>
{
    log.Clear();
    return Results.NoContent();
});
app.MapPut("/control/catalog", async (HttpContext c) =>
{
    // Kept as text, so even a malformed catalog reaches the server under test exactly as given.
    using var reader = new StreamReader(c.Request.Body);
    broker.Catalog = await reader.ReadToEndAsync(c.RequestAborted);
    return Results.NoContent();
});
app.MapDelete("/control/catalog", () =>
{
    broker.Catalog = Broker.DefaultCatalog;
    return Results.NoContent();
});

await app.StartAsync();
var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
Console.Out.WriteLine($"TestBroker ready: {address}");
Console.Out.Flush();
await app.WaitForShutdownAsync();

static bool AcceptsIncomplete(HttpContext context) => context.Request.Query["accepts_incomplete"] == "true";

static string? PlanId(HttpContext context) => context.Request.Query["plan_id"];
