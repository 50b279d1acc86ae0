namespace BindingServer.CloudFoundry;

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
        catch (BindingServer.Storage.StoreCommitException error) when (!context.Response.HasStarted)
        {
            // CC answers a failed database write as an unknown error; the write is not stored and the server goes on.
            logger.LogWarning("write not committed on {Method} {Path}: {Reason}", context.Request.Method, context.Request.Path, error.InnerException?.Message);
            await CfHttp.WriteErrorAsync(context, CfApiException.Unknown());
        }
        catch (Exception error) when (!context.Response.HasStarted && error is not OperationCanceledException)
        {
            logger.LogError(error, "unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
            await CfHttp.WriteErrorAsync(context, CfApiException.Unknown());
        }
    }
}
