using BindingServer.CloudFoundry;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Errors;
using Microsoft.Extensions.Options;

namespace BindingServer.Hosting;

/// <summary>
/// The apiserver's in-flight limits (<c>--max-requests-inflight</c> 400, <c>--max-mutating-requests-inflight</c> 200):
/// past them a request is answered at once with 429 and <c>Retry-After: 1</c>, in the dialect's own error format, rather
/// than queued until the machine gives out. Watches are long-running and not counted, nor are the server's own pages.
/// </summary>
public sealed class InFlightLimit(RequestDelegate next, IOptions<ServerOptions> options)
{
    private int _reading;
    private int _mutating;

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!RequestJournal.Records(request.Path) || ListOptions.IsWatch(request))
        {
            await next(context);
            return;
        }

        var mutating = !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method));
        var limit = mutating ? options.Value.MaxMutatingRequestsInFlight : options.Value.MaxRequestsInFlight;
        ref var count = ref mutating ? ref _mutating : ref _reading;
        if (limit > 0 && Interlocked.Increment(ref count) > limit)
        {
            Interlocked.Decrement(ref count);
            await RefuseAsync(context);
            return;
        }

        try
        {
            await next(context);
        }
        finally
        {
            if (limit > 0)
            {
                Interlocked.Decrement(ref mutating ? ref _mutating : ref _reading);
            }
        }
    }

    private static Task RefuseAsync(HttpContext context)
    {
        context.Response.Headers.RetryAfter = "1";
        if (context.Request.Path.StartsWithSegments("/v2", StringComparison.Ordinal))
        {
            CfHttp.SetRequestId(context);
            return CfHttp.WriteErrorAsync(context, new CfApiException(429, "RateLimitV2APIExceeded", 10018, "Rate Limit of V2 API Exceeded. Please consider using the V3 API"));
        }

        return KubeHttp.WriteStatusAsync(context, StatusErrors.TooManyRequests("Too many requests, please try again later.", 1).Status);
    }
}
