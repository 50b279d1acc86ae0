using BindingServer.Documentation;
using BindingServer.Kubernetes.Errors;
using BindingServer.Storage;

namespace BindingServer.Kubernetes.Api;

/// <summary>Maps the REST paths of every catalogued kind onto the generic handlers.</summary>
public static class KubernetesRoutes
{
    public static IEndpointRouteBuilder MapKubernetesResources(this IEndpointRouteBuilder app, ResourceCatalog catalog)
    {
        foreach (var definition in catalog.Definitions)
        {
            var group = app.MapGroup(definition.GroupVersionPath).WithTags(definition.Group.Length == 0 ? "core/v1" : definition.ApiVersion);
            var item = definition.Namespaced ? $"/namespaces/{{namespace}}/{definition.Plural}/{{name}}" : $"/{definition.Plural}/{{name}}";
            if (definition.HasStatus)
            {
                MapStatus(group, item + "/status", definition.StatusView());
            }

            if (definition.Namespaced)
            {
                MapCollection(group, $"/namespaces/{{namespace}}/{definition.Plural}", definition);
                MapItem(group, item, definition);
                if (definition.Supports("list"))
                {
                    group.MapGet($"/{definition.Plural}", (HttpContext c, ListHandlers h) => h.ListAsync(c, definition, null))
                        .WithName($"list{definition.Kind}ForAllNamespaces")
                        .WithMetadata(KubernetesApiDocs.For(definition, "list"));
                }
            }
            else
            {
                MapCollection(group, $"/{definition.Plural}", definition);
                MapItem(group, item, definition);
            }
        }

        return app;
    }

    private static void MapCollection(RouteGroupBuilder group, string path, ResourceDefinition definition)
    {
        var scope = definition.Namespaced ? "Namespaced" : "";
        if (definition.Supports("list"))
        {
            group.MapGet(path, (HttpContext c, ListHandlers h, string? @namespace) => h.ListAsync(c, definition, @namespace))
                .WithName($"list{scope}{definition.Kind}")
                .WithMetadata(KubernetesApiDocs.For(definition, "list", KubernetesApiDocs.ExampleFor(definition)));
        }

        if (definition.Supports("create"))
        {
            group.MapPost(path, (HttpContext c, ResourceHandlers h, string? @namespace) => h.CreateAsync(c, definition, @namespace))
                .WithName($"create{scope}{definition.Kind}")
                .WithMetadata(KubernetesApiDocs.For(definition, "create", KubernetesApiDocs.ExampleFor(definition)));
        }

        if (definition.Supports("deletecollection"))
        {
            group.MapDelete(path, (HttpContext c, ResourceHandlers h, string? @namespace) => h.DeleteCollectionAsync(c, definition, @namespace))
                .WithName($"deletecollection{scope}{definition.Kind}")
                .WithMetadata(KubernetesApiDocs.For(definition, "deletecollection", KubernetesApiDocs.ExampleFor(definition)));
        }
    }

    /// <summary>GET, PUT and PATCH of <c>…/{name}/status</c>, through the generic handlers with the status strategy.</summary>
    private static void MapStatus(RouteGroupBuilder group, string path, ResourceDefinition status)
    {
        var scope = status.Namespaced ? "Namespaced" : "";
        group.MapGet(path, (HttpContext c, ResourceHandlers h, string? @namespace, string name) => h.GetAsync(c, status, @namespace, name))
            .WithName($"read{scope}{status.Kind}Status")
            .WithMetadata(KubernetesApiDocs.ForStatus(status, "get"));
        group.MapPut(path, (HttpContext c, ResourceHandlers h, string? @namespace, string name) => h.UpdateAsync(c, status, @namespace, name))
            .WithName($"replace{scope}{status.Kind}Status")
            .WithMetadata(KubernetesApiDocs.ForStatus(status, "update"));
        group.MapPatch(path, (HttpContext c, ResourceHandlers h, string? @namespace, string name) => h.PatchAsync(c, status, @namespace, name))
            .WithName($"patch{scope}{status.Kind}Status")
            .WithMetadata(KubernetesApiDocs.ForStatus(status, "patch"));
    }

    private static void MapItem(RouteGroupBuilder group, string path, ResourceDefinition definition)
    {
        var scope = definition.Namespaced ? "Namespaced" : "";
        if (definition.Supports("get"))
        {
            group.MapGet(path, (HttpContext c, ResourceHandlers h, string? @namespace, string name) => h.GetAsync(c, definition, @namespace, name))
                .WithName($"read{scope}{definition.Kind}")
                .WithMetadata(KubernetesApiDocs.For(definition, "get", KubernetesApiDocs.ExampleFor(definition)));
        }

        if (definition.Supports("update"))
        {
            group.MapPut(path, (HttpContext c, ResourceHandlers h, string? @namespace, string name) => h.UpdateAsync(c, definition, @namespace, name))
                .WithName($"replace{scope}{definition.Kind}")
                .WithMetadata(KubernetesApiDocs.For(definition, "update", KubernetesApiDocs.ExampleFor(definition)));
        }

        if (definition.Supports("patch"))
        {
            group.MapPatch(path, (HttpContext c, ResourceHandlers h, string? @namespace, string name) => h.PatchAsync(c, definition, @namespace, name))
                .WithName($"patch{scope}{definition.Kind}")
                .WithMetadata(KubernetesApiDocs.For(definition, "patch", KubernetesApiDocs.ExampleFor(definition)));
        }

        if (definition.Supports("delete"))
        {
            group.MapDelete(path, (HttpContext c, ResourceHandlers h, string? @namespace, string name) => h.DeleteAsync(c, definition, @namespace, name))
                .WithName($"delete{scope}{definition.Kind}")
                .WithMetadata(KubernetesApiDocs.For(definition, "delete", KubernetesApiDocs.ExampleFor(definition)));
        }
    }
}

/// <summary>
/// Turns every failure on a Kubernetes path into a <c>Status</c> body: thrown API errors, unmatched routes
/// (JSON 404 inside a served group-version, Go's plain-text 404 elsewhere), wrong methods, and anything unexpected.
/// </summary>
public sealed class KubernetesErrorMiddleware(RequestDelegate next, ResourceCatalog catalog, ILogger<KubernetesErrorMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        if (!path.StartsWith("/api", StringComparison.Ordinal))
        {
            await next(context);
            return;
        }

        context.Response.Headers["Audit-Id"] = Guid.NewGuid().ToString();
        context.Response.Headers.CacheControl = "no-cache, private";
        try
        {
            await next(context);
            if (context.Response.HasStarted)
            {
                return;
            }

            if (context.Response.StatusCode == 405)
            {
                await KubeHttp.WriteStatusAsync(context, StatusErrors.MethodNotAllowed().Status);
            }
            else if (context.Response.StatusCode == 404 && context.GetEndpoint() is null)
            {
                await WriteNotFoundAsync(context, path);
            }
        }
        catch (KubeApiException error) when (!context.Response.HasStarted)
        {
            await KubeHttp.WriteStatusAsync(context, error.Status);
        }
        catch (BadHttpRequestException error) when (!context.Response.HasStarted)
        {
            var status = error.StatusCode == 413 ? StatusErrors.TooLarge() : StatusErrors.BadRequest(error.Message);
            await KubeHttp.WriteStatusAsync(context, status.Status);
        }
        catch (StoreCommitException error) when (!context.Response.HasStarted)
        {
            // As the apiserver passes on etcd's error: the write is not stored, and the server goes on serving.
            logger.LogWarning("write not committed on {Method} {Path}: {Reason}", context.Request.Method, path, error.InnerException?.Message);
            await KubeHttp.WriteStatusAsync(context, StatusErrors.Internal(error.Message).Status);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (Exception error) when (!context.Response.HasStarted)
        {
            logger.LogError(error, "unhandled error on {Method} {Path}", context.Request.Method, path);
            await KubeHttp.WriteStatusAsync(context, StatusErrors.Internal("an unexpected error occurred; see the server log").Status);
        }
    }

    private async Task WriteNotFoundAsync(HttpContext context, string path)
    {
        if (catalog.InsideServedGroupVersion(path))
        {
            await KubeHttp.WriteStatusAsync(context, StatusErrors.RouteNotFound().Status);
            return;
        }

        context.Response.StatusCode = 404;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers["X-Content-Type-Options"] = "nosniff";
        await context.Response.WriteAsync("404 page not found\n");
    }
}
