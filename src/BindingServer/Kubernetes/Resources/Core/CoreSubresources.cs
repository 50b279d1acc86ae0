using BindingServer.Documentation;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Discovery;
using BindingServer.Kubernetes.Json;

namespace BindingServer.Kubernetes.Resources.Core;

/// <summary>The core/v1 subresources the server serves, their routes and their discovery entries.</summary>
public static class CoreSubresources
{
    public static IEnumerable<DiscoveredResource> Discovery { get; } =
    [
        DiscoveredResource.From(BindingStrategy.Definition),
        new("", "v1", "pods/binding", "", true, "Binding", ["create"], [], []),
        new("", "v1", "namespaces/finalize", "", false, "Namespace", ["update"], [], []),
        new("", "v1", "namespaces/status", "", false, "Namespace", ["get", "patch", "update"], [], []),
        new("", "v1", "nodes/status", "", false, "Node", ["get", "patch", "update"], [], []),
        new("", "v1", "pods/status", "", true, "Pod", ["get", "patch", "update"], [], []),
        new("", "v1", "serviceaccounts/token", "", true, "TokenRequest", ["create"], [], [], "authentication.k8s.io", "v1"),
    ];

    public static IEndpointRouteBuilder MapCoreSubresources(this IEndpointRouteBuilder app)
    {
        app.MapPut("/api/v1/namespaces/{name}/finalize", FinalizeAsync).WithTags("core/v1").WithName("replaceNamespaceFinalize")
            .WithMetadata(new ApiDoc("Replace a namespace's spec.finalizers", [],
                [new(200, "OK", "io.k8s.api.core.v1.Namespace"), new(404, "NotFound", KubernetesApiDocs.Status)]) { RequestSchema = "io.k8s.api.core.v1.Namespace" });
        return app;
    }

    /// <summary><c>PUT namespaces/{name}/finalize</c>: the only way to change a namespace's <c>spec.finalizers</c>.</summary>
    private static async Task FinalizeAsync(HttpContext context, ResourceRegistry registry, string name)
    {
        var options = WriteOptions.Parse(context.Request, "UpdateOptions");
        var body = KubeHttp.BodyAsJson(context.Request, await KubeHttp.ReadBodyAsync(context.Request, context.RequestAborted));
        var requested = (Namespace)BodyDecoder.Decode(NamespaceStrategy.Definition, body, options.FieldValidation, []);
        if (!string.IsNullOrEmpty(requested.Metadata.Name) && requested.Metadata.Name != name)
        {
            throw Errors.StatusErrors.BadRequest($"the name of the object ({requested.Metadata.Name}) does not match the name on the URL ({name})");
        }

        var result = await registry.UpdateSubresourceAsync(NamespaceStrategy.Definition, null, name,
            obj => ((Namespace)obj).Spec = new NamespaceSpec { Finalizers = requested.Spec?.Finalizers is { Count: > 0 } f ? f : null },
            context.RequestAborted);
        await KubeHttp.WriteJsonAsync(context, 200, KubeJson.SerializeToUtf8(result));
    }
}
