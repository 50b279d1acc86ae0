using BindingServer.Documentation;
using BindingServer.Kubernetes.Api;

namespace BindingServer.Kubernetes.OpenApi;

public static class OpenApiEndpoints
{
    public static IEndpointRouteBuilder MapKubernetesOpenApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/openapi/v3", (HttpContext c, KubeOpenApi o) => KubeHttp.WriteNodeAsync(c, 200, o.Index()))
            .WithTags("Discovery").WithMetadata(ApiDoc.Simple("Index of the Kubernetes OpenAPI v3 documents (what kubectl reads)"));
        app.MapGet("/openapi/v3/{**groupVersion}", (HttpContext c, KubeOpenApi o, string groupVersion) => WriteGroupVersionAsync(c, o, groupVersion))
            .WithTags("Discovery").WithMetadata(ApiDoc.Simple("One group-version's Kubernetes OpenAPI v3 document"));
        app.MapGet("/openapi/v2", (HttpContext c, KubeOpenApi o) => WriteV2Async(c, o))
            .WithTags("Discovery").WithMetadata(ApiDoc.Simple("The Kubernetes Swagger 2.0 document"));
        return app;
    }

    /// <summary>Hashed URLs are immutable; a stale hash is redirected to the current one, as the real server does.</summary>
    private static Task WriteGroupVersionAsync(HttpContext context, KubeOpenApi openApi, string groupVersion)
    {
        if (!openApi.GroupVersions.TryGetValue(groupVersion, out var entry))
        {
            context.Response.StatusCode = 404;
            context.Response.ContentType = "text/plain; charset=utf-8";
            return context.Response.WriteAsync("404 page not found\n");
        }

        var hash = context.Request.Query["hash"].ToString();
        if (hash.Length > 0 && hash != entry.Hash)
        {
            context.Response.StatusCode = 301;
            context.Response.Headers.Location = $"/openapi/v3/{groupVersion}?hash={entry.Hash}";
            return Task.CompletedTask;
        }

        context.Response.Headers.CacheControl = hash.Length > 0 ? "public, immutable" : "no-cache, private";
        context.Response.Headers.ETag = $"\"{entry.Hash}\"";
        return KubeHttp.WriteNodeAsync(context, 200, entry.Document);
    }

    /// <summary>
    /// JSON, or the protobuf form kubectl asks for when it validates a manifest itself (kinds without a patch
    /// operation, such as Binding); any other media type is Go's plain 404, as a server without that form answers.
    /// </summary>
    private static async Task WriteV2Async(HttpContext context, KubeOpenApi openApi)
    {
        var accept = context.Request.Headers.Accept.ToString();
        if (accept.Contains("protobuf", StringComparison.OrdinalIgnoreCase) && !accept.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            var bytes = openApi.V2Protobuf;
            context.Response.StatusCode = 200;
            context.Response.ContentType = OpenApiV2Protobuf.MediaType;
            context.Response.ContentLength = bytes.Length;
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
            return;
        }

        if (accept.Length > 0 && !accept.Contains("json", StringComparison.OrdinalIgnoreCase) && !accept.Contains("*/*", StringComparison.Ordinal))
        {
            context.Response.StatusCode = 404;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync("404 page not found\n");
            return;
        }

        await KubeHttp.WriteNodeAsync(context, 200, openApi.V2);
    }
}
