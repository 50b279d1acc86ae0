using System.Text.Json.Nodes;
using BindingServer.Documentation;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Discovery;
using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.Patching;
using BindingServer.Kubernetes.Resources;
using BindingServer.Storage;

namespace BindingServer.OpenShift;

/// <summary>
/// The <c>authorization.openshift.io/v1</c> rolebindings, clusterrolebindings, roles and clusterroles endpoints, served like
/// openshift-apiserver's proxy: every request becomes a call on the RBAC kind, every answer is converted back,
/// and errors from the RBAC layer are rewritten to name the OpenShift resource. No watch, no deletecollection,
/// no create on update.
/// </summary>
public sealed class OpenShiftAuthorizationEndpoints(ObjectStore store, ResourceRegistry registry, ListHandlers lists, TimeProvider clock)
{
    /// <summary>One OpenShift kind: its definition, the RBAC kind behind it, and the conversions both ways.</summary>
    private sealed record View(ResourceDefinition OpenShift, ResourceDefinition Rbac, Func<KubeObject, KubeObject> ToRbac, Func<KubeObject, KubeObject> FromRbac)
    {
        public bool ClusterScoped => !OpenShift.Namespaced;
    }

    private static readonly View[] Views =
    [
        BindingView(OpenShiftRoleBindingStrategy.RoleBindings, RoleBindingStrategy.Definition),
        BindingView(OpenShiftRoleBindingStrategy.ClusterRoleBindings, ClusterRoleBindingStrategy.Definition),
        new(OpenShiftRoleStrategy.Roles, RoleStrategy.Definition, RoleConversion.ToRbac, RoleConversion.FromRbac),
        new(OpenShiftRoleStrategy.ClusterRoles, ClusterRoleStrategy.Definition, RoleConversion.ToRbac, RoleConversion.FromRbac),
    ];

    private static View BindingView(ResourceDefinition openShift, ResourceDefinition rbac)
    {
        var clusterScoped = !openShift.Namespaced;
        return new View(openShift, rbac,
            obj =>
            {
                var binding = (OpenShiftRoleBinding)obj;
                var (subjects, roleRef) = RoleBindingConversion.ToRbac(binding, clusterScoped);
                KubeObject result = clusterScoped
                    ? new ClusterRoleBinding { Subjects = subjects, RoleRef = roleRef }
                    : new RoleBinding { Subjects = subjects, RoleRef = roleRef };
                result.Metadata = RoleBindingConversion.ToRbacMetadata(binding.Metadata);
                return result;
            },
            obj => RoleBindingConversion.FromRbac(obj, (IRoleBinding)obj, clusterScoped));
    }

    public static IEnumerable<ResourceDefinition> Definitions { get; } = Views.Select(v => v.OpenShift).ToList();


    public static IEndpointRouteBuilder Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup($"/apis/{OpenShiftRoleBindingStrategy.Group}/v1").WithTags($"{OpenShiftRoleBindingStrategy.Group}/v1");
        foreach (var view in Views)
        {
            var plural = view.OpenShift.Plural;
            var collection = view.ClusterScoped ? $"/{plural}" : $"/namespaces/{{namespace}}/{plural}";
            var scope = view.ClusterScoped ? "" : "Namespaced";
            var kind = view.OpenShift.Kind;
            group.MapGet(collection, (HttpContext c, OpenShiftAuthorizationEndpoints h, string? @namespace) => h.ListAsync(c, view, @namespace))
                .WithName($"listAuthorizationOpenshiftIoV1{scope}{kind}")
                .WithMetadata(KubernetesApiDocs.For(view.OpenShift, "list", KubernetesApiDocs.ExampleFor(view.OpenShift)));
            group.MapPost(collection, (HttpContext c, OpenShiftAuthorizationEndpoints h, string? @namespace) => h.CreateAsync(c, view, @namespace))
                .WithName($"createAuthorizationOpenshiftIoV1{scope}{kind}")
                .WithMetadata(KubernetesApiDocs.For(view.OpenShift, "create", KubernetesApiDocs.ExampleFor(view.OpenShift)));
            group.MapGet($"{collection}/{{name}}", (HttpContext c, OpenShiftAuthorizationEndpoints h, string? @namespace, string name) => h.GetAsync(c, view, @namespace, name))
                .WithName($"readAuthorizationOpenshiftIoV1{scope}{kind}")
                .WithMetadata(KubernetesApiDocs.For(view.OpenShift, "get", KubernetesApiDocs.ExampleFor(view.OpenShift)));
            group.MapPut($"{collection}/{{name}}", (HttpContext c, OpenShiftAuthorizationEndpoints h, string? @namespace, string name) => h.UpdateAsync(c, view, @namespace, name))
                .WithName($"replaceAuthorizationOpenshiftIoV1{scope}{kind}")
                .WithMetadata(KubernetesApiDocs.For(view.OpenShift, "update", KubernetesApiDocs.ExampleFor(view.OpenShift)));
            group.MapPatch($"{collection}/{{name}}", (HttpContext c, OpenShiftAuthorizationEndpoints h, string? @namespace, string name) => h.PatchAsync(c, view, @namespace, name))
                .WithName($"patchAuthorizationOpenshiftIoV1{scope}{kind}")
                .WithMetadata(KubernetesApiDocs.For(view.OpenShift, "patch", KubernetesApiDocs.ExampleFor(view.OpenShift)));
            group.MapDelete($"{collection}/{{name}}", (HttpContext c, OpenShiftAuthorizationEndpoints h, string? @namespace, string name) => h.DeleteAsync(c, view, @namespace, name))
                .WithName($"deleteAuthorizationOpenshiftIoV1{scope}{kind}")
                .WithMetadata(KubernetesApiDocs.For(view.OpenShift, "delete", KubernetesApiDocs.ExampleFor(view.OpenShift)));
            if (!view.ClusterScoped)
            {
                group.MapGet($"/{plural}", (HttpContext c, OpenShiftAuthorizationEndpoints h) => h.ListAsync(c, view, null))
                    .WithName($"listAuthorizationOpenshiftIoV1{kind}ForAllNamespaces")
                    .WithMetadata(KubernetesApiDocs.For(view.OpenShift, "list"));
            }
        }

        return app;
    }

    /// <summary>syncStatusError: an RBAC error with details is made to name the OpenShift resource instead.</summary>
    private static async Task<T> RewriteAsync<T>(View view, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        // Only errors about the RBAC object become the view's; another resource's (the namespace's) stays as it is,
        // as the real server answers a create in a missing namespace with `namespaces "x" not found` on both APIs.
        catch (KubeApiException error) when (error.Status.Details is { } details && error.Status.Code != 403
            && !(details.Kind == "namespaces" && string.IsNullOrEmpty(details.Group)))
        {
            var old = string.IsNullOrEmpty(details.Group) ? details.Kind ?? "" : $"{details.Kind}.{details.Group}";
            var replacement = view.OpenShift.GroupResource.ToString();
            var message = error.Status.Message ?? "";
            var at = old.Length == 0 ? -1 : message.IndexOf(old, StringComparison.Ordinal);
            if (at >= 0)
            {
                error.Status.Message = message[..at] + replacement + message[(at + old.Length)..];
            }

            details.Group = OpenShiftRoleBindingStrategy.Group;
            details.Kind = view.OpenShift.Plural;
            throw;
        }
    }

    private static KubeObject Render(View view, KubeObject rbac)
    {
        var rendered = view.FromRbac(rbac);
        rendered.Kind = view.OpenShift.Kind;
        rendered.ApiVersion = view.OpenShift.ApiVersion;
        return rendered;
    }

    private static KubeObject ToRbacObject(View view, KubeObject openShift)
    {
        var rbac = view.ToRbac(openShift);
        rbac.Kind = view.Rbac.Kind;
        rbac.ApiVersion = view.Rbac.ApiVersion;
        return rbac;
    }

    private async Task ListAsync(HttpContext context, View view, string? ns)
    {
        var options = ListOptions.Parse(context.Request, view.Rbac);
        if (options.Watch)
        {
            throw new KubeApiException(new Status
            {
                Outcome = "Failure", Code = 405, Reason = "MethodNotAllowed",
                Message = $"watch is not supported on resources of kind \"{view.OpenShift.GroupResource}\"",
                Details = new StatusDetails { Group = OpenShiftRoleBindingStrategy.Group, Kind = view.OpenShift.Plural },
            });
        }

        var output = KubeHttp.Negotiate(context.Request);
        var (items, meta) = await lists.PageAsync(view.Rbac, ns, options, decode: true, context.RequestAborted);
        var rendered = items.Select(i => Render(view, i.Object!)).ToList();
        if (output.Form == OutputForm.Table)
        {
            await KubeHttp.WriteNodeAsync(context, 200, view.OpenShift.Strategy.Table.Render(rendered, meta, output.MetaVersion,
                ListHandlers.IncludeObject(context.Request), true, clock.GetUtcNow()));
            return;
        }

        await KubeHttp.WriteNodeAsync(context, 200, new JsonObject
        {
            ["kind"] = view.OpenShift.ListKind,
            ["apiVersion"] = view.OpenShift.ApiVersion,
            ["metadata"] = KubeJson.ToNode(meta),
            ["items"] = new JsonArray(rendered.Select(r =>
            {
                var node = KubeJson.ToNode(r);
                node.Remove("kind");
                node.Remove("apiVersion");
                return (JsonNode)node;
            }).ToArray()),
        });
    }

    private async Task GetAsync(HttpContext context, View view, string? ns, string name)
    {
        var output = KubeHttp.Negotiate(context.Request);
        var rendered = await RewriteAsync(view, () => Task.FromResult(Render(view, Read(view, ns, name))));
        if (output.Form == OutputForm.Table)
        {
            await KubeHttp.WriteNodeAsync(context, 200, view.OpenShift.Strategy.Table.Render([rendered],
                new ListMeta { ResourceVersion = rendered.Metadata.ResourceVersion }, output.MetaVersion, ListHandlers.IncludeObject(context.Request), true, clock.GetUtcNow()));
            return;
        }

        await KubeHttp.WriteJsonAsync(context, 200, KubeJson.SerializeToUtf8(rendered));
    }

    private KubeObject Read(View view, string? ns, string name)
    {
        var entry = store.Current.Get(view.Rbac.KeyPrefix, view.Rbac.Key(ns, name)) ?? throw StatusErrors.NotFound(view.Rbac.GroupResource, name);
        return ObjectCodec.Decode(view.Rbac, entry.Body);
    }

    private static KubeObject DecodeBody(View view, byte[] json, FieldValidation validation, List<string> warnings) =>
        BodyDecoder.Decode(view.OpenShift, json, validation, warnings);

    private static void PlaceInScope(View view, KubeObject obj, string? ns)
    {
        if (view.ClusterScoped)
        {
            obj.Metadata.Namespace = null;
        }
        else if (string.IsNullOrEmpty(obj.Metadata.Namespace))
        {
            obj.Metadata.Namespace = ns;
        }
        else if (obj.Metadata.Namespace != ns)
        {
            throw StatusErrors.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }
    }

    private async Task CreateAsync(HttpContext context, View view, string? ns)
    {
        var options = WriteOptions.Parse(context.Request, "CreateOptions");
        var body = KubeHttp.BodyAsJson(context.Request, await KubeHttp.ReadBodyAsync(context.Request, context.RequestAborted));
        var warnings = new List<string>();
        var binding = DecodeBody(view, body, options.FieldValidation, warnings);
        PlaceInScope(view, binding, ns);
        var rbac = ToRbacObject(view, binding);
        view.Rbac.Strategy.ApplyDefaults(rbac);
        var created = await RewriteAsync(view, () => registry.CreateObjectAsync(view.Rbac, rbac, options, warnings, context.RequestAborted));
        KubeHttp.AddWarnings(context.Response, warnings);
        await KubeHttp.WriteJsonAsync(context, 201, KubeJson.SerializeToUtf8(Render(view, created)));
    }

    private async Task UpdateAsync(HttpContext context, View view, string? ns, string name)
    {
        var options = WriteOptions.Parse(context.Request, "UpdateOptions");
        var body = KubeHttp.BodyAsJson(context.Request, await KubeHttp.ReadBodyAsync(context.Request, context.RequestAborted));
        var warnings = new List<string>();
        var binding = DecodeBody(view, body, options.FieldValidation, warnings);
        PlaceInScope(view, binding, ns);
        if (binding.Metadata.Name != name)
        {
            throw StatusErrors.BadRequest($"the name of the object ({binding.Metadata.Name}) does not match the name on the URL ({name})");
        }

        var updated = await RewriteAsync(view, () =>
        {
            Read(view, ns, name);
            return registry.UpdateObjectAsync(view.Rbac, ns, name, _ => Defaulted(view, ToRbacObject(view, binding)), options, warnings, context.RequestAborted);
        });
        KubeHttp.AddWarnings(context.Response, warnings);
        await KubeHttp.WriteJsonAsync(context, 200, KubeJson.SerializeToUtf8(Render(view, updated)));
    }

    private static KubeObject Defaulted(View view, KubeObject rbac)
    {
        view.Rbac.Strategy.ApplyDefaults(rbac);
        return rbac;
    }

    /// <summary>
    /// Patches apply to the OpenShift rendering (with its derived name lists), and the result is read back with the
    /// legacy rule, exactly as the proxy does, traps included: a patch of subjects alone is undone by the lists.
    /// </summary>
    private async Task PatchAsync(HttpContext context, View view, string? ns, string name)
    {
        var mediaType = KubeHttp.MediaType(context.Request);
        if (mediaType is not ("application/json-patch+json" or "application/merge-patch+json" or "application/strategic-merge-patch+json" or "application/apply-patch+yaml"))
        {
            throw StatusErrors.UnsupportedMediaType(
                "application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml");
        }

        var options = WriteOptions.Parse(context.Request, "PatchOptions", mediaType == "application/apply-patch+yaml");
        var patch = KubeHttp.ValidUtf8(await KubeHttp.ReadBodyAsync(context.Request, context.RequestAborted));
        var mergePatch = mediaType is "application/merge-patch+json" or "application/strategic-merge-patch+json" ? ResourceRegistry.ParsePatch(patch) : null;
        var warnings = new List<string>();
        var updated = await RewriteAsync(view, () => registry.UpdateObjectAsync(view.Rbac, ns, name, current =>
        {
            var document = KubeJson.ToNode(Render(view, current));
            JsonObject patched = mediaType switch
            {
                "application/json-patch+json" => JsonPatch.Apply(document, patch),
                "application/apply-patch+yaml" => Applied(document, YamlConversion.ToJson(patch), view.OpenShift.ObjectType),
                _ => (JsonObject)MergePatch.Apply(document, mergePatch)!,
            };
            var binding = BodyDecoder.DecodeObject(view.OpenShift, patched, options.FieldValidation, warnings, [], strictAsPatch: true);
            PlaceInScope(view, binding, ns);
            var rbac = Defaulted(view, ToRbacObject(view, binding));
            rbac.Metadata.Name = name;
            return rbac;
        }, options, warnings, context.RequestAborted));
        KubeHttp.AddWarnings(context.Response, warnings);
        await KubeHttp.WriteJsonAsync(context, 200, KubeJson.SerializeToUtf8(Render(view, updated)));
    }

    private static JsonObject Applied(JsonObject live, JsonNode intent, Type type)
    {
        if (intent is JsonObject obj)
        {
            ApplyMerge.Merge(live, obj, type);
        }

        return live;
    }

    /// <summary>The proxy discards RBAC's answer and returns a bare Success status.</summary>
    private async Task DeleteAsync(HttpContext context, View view, string? ns, string name)
    {
        var options = await DeleteOptions.ReadAsync(context.Request, context.RequestAborted);
        await RewriteAsync(view, () => registry.DeleteAsync(view.Rbac, ns, name, options, context.RequestAborted));
        await KubeHttp.WriteJsonAsync(context, 200, KubeJson.SerializeToUtf8(new Status { Outcome = "Success" }));
    }
}
