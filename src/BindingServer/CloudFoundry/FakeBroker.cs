using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace BindingServer.CloudFoundry;

/// <summary>
/// The built-in service broker behind the seeded services: synchronous plans answer a bind with credentials at
/// once; asynchronous plans leave the binding "in progress" and finish it after <c>CloudFoundry:AsyncOperationSeconds</c>.
/// </summary>
public sealed class FakeBroker(CfStore store, IOptions<CloudFoundryOptions> options, TimeProvider clock) : BackgroundService
{
    public static JsonObject Credentials(string instanceGuid) => new()
    {
        ["uri"] = $"fake://{instanceGuid}",
        ["username"] = "user-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)),
        ["password"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)),
    };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200), clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var due = clock.GetUtcNow().AddSeconds(-options.Value.AsyncOperationSeconds);
                foreach (var binding in store.List(CfStore.ServiceBindings))
                {
                    var operation = binding["last_operation"];
                    if (operation?["state"]?.GetValue<string>() != "in progress" ||
                        DateTimeOffset.Parse(operation["updated_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) > due)
                    {
                        continue;
                    }

                    await store.UpdateAsync(CfStore.ServiceBindings, binding["guid"]!.GetValue<string>(), record =>
                    {
                        record["credentials"] = Credentials(record["service_instance_guid"]!.GetValue<string>());
                        record["last_operation"]!["state"] = "succeeded";
                        record["last_operation"]!["updated_at"] = store.Now;
                    });
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}

/// <summary>Renders Cloud Controller errors for every /v2 path, and CC's "Unknown request" for paths and methods it does not route.</summary>
public sealed class CfErrorMiddleware(RequestDelegate next, ILogger<CfErrorMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments("/v2", StringComparison.Ordinal))
        {
            await next(context);
            return;
        }

        CfHttp.SetRequestId(context);
        try
        {
            await next(context);
            if (!context.Response.HasStarted && (context.Response.StatusCode == 405 || (context.Response.StatusCode == 404 && context.GetEndpoint() is null)))
            {
                await CfHttp.WriteErrorAsync(context, CfApiException.RouteNotFound());
            }
        }
        catch (CfApiException error) when (!context.Response.HasStarted)
        {
            await CfHttp.WriteErrorAsync(context, error);
        }
        catch (Exception error) when (!context.Response.HasStarted && error is not OperationCanceledException)
        {
            logger.LogError(error, "unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
            await CfHttp.WriteErrorAsync(context, CfApiException.Unknown());
        }
    }
}
