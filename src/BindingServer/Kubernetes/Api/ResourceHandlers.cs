using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Model;
using BindingServer.Storage;

namespace BindingServer.Kubernetes.Api;

/// <summary>
/// The generic verbs over HTTP, written once for every kind: create, get, update, patch, delete and deletecollection.
/// Each reads its options and body, leaves the write to the <see cref="ResourceRegistry"/> (or <see cref="ServerSideApply"/>)
/// and writes the answer.
/// </summary>
public sealed class ResourceHandlers(ResourceRegistry registry, ObjectStore store, TimeProvider clock)
{
    public async Task CreateAsync(HttpContext context, ResourceDefinition definition, string? ns)
    {
        var options = WriteOptions.Parse(context.Request, "CreateOptions");
        var body = KubeHttp.BodyAsJson(context.Request, await KubeHttp.ReadBodyAsync(context.Request, context.RequestAborted));
        var warnings = new List<string>();
        var obj = DecodeAndDefault(definition, body, options.FieldValidation, warnings);
        var created = await registry.CreateAsync(definition, ns, obj, options, warnings, context.RequestAborted);
        KubeHttp.AddWarnings(context.Response, warnings);
        await KubeHttp.WriteJsonAsync(context, 201, KubeJson.SerializeToUtf8(created));
    }

    private static KubeObject DecodeAndDefault(ResourceDefinition definition, byte[] json, FieldValidation validation, List<string> warnings)
    {
        var obj = BodyDecoder.Decode(definition, json, validation, warnings);
        definition.Strategy.ApplyDefaults(obj);
        return obj;
    }

    public async Task GetAsync(HttpContext context, ResourceDefinition definition, string? ns, string name)
    {
        var output = KubeHttp.Negotiate(context.Request);
        var entry = store.Current.Get(definition.KeyPrefix, definition.Key(ns, name))
                    ?? throw StatusErrors.NotFound(definition.GroupResource, name);
        switch (output.Form)
        {
            case OutputForm.Table:
                var obj = ObjectCodec.Decode(definition, entry.Body);
                var includeObject = ListHandlers.IncludeObject(context.Request);
                await KubeHttp.WriteNodeAsync(context, 200, definition.Strategy.Table.Render([obj],
                    new ListMeta { ResourceVersion = obj.Metadata.ResourceVersion }, output.MetaVersion, includeObject, true, clock.GetUtcNow()));
                return;
            case OutputForm.PartialObjectMetadata:
                await KubeHttp.WriteNodeAsync(context, 200, ListHandlers.PartialMetadata(ObjectCodec.Decode(definition, entry.Body), output.MetaVersion));
                return;
            case OutputForm.PartialObjectMetadataList:
                throw StatusErrors.NotAcceptable($"you requested PartialObjectMetadataList, but the requested object is not a list (*v1.{definition.Kind})");
            default:
                await KubeHttp.WriteJsonAsync(context, 200, ObjectCodec.WithTypeMeta(definition, entry.Body));
                return;
        }
    }

    public async Task UpdateAsync(HttpContext context, ResourceDefinition definition, string? ns, string name)
    {
        var options = WriteOptions.Parse(context.Request, "UpdateOptions");
        var body = KubeHttp.BodyAsJson(context.Request, await KubeHttp.ReadBodyAsync(context.Request, context.RequestAborted));
        var warnings = new List<string>();
        var obj = DecodeAndDefault(definition, body, options.FieldValidation, warnings);
        var (result, created) = await registry.ReplaceAsync(definition, ns, name, obj, options, warnings, context.RequestAborted);
        KubeHttp.AddWarnings(context.Response, warnings);
        await KubeHttp.WriteJsonAsync(context, created ? 201 : 200, KubeJson.SerializeToUtf8(result));
    }

    public async Task PatchAsync(HttpContext context, ResourceDefinition definition, string? ns, string name)
    {
        var mediaType = KubeHttp.MediaType(context.Request);
        var isApply = mediaType == "application/apply-patch+yaml";
        if (mediaType is not ("application/json-patch+json" or "application/merge-patch+json" or "application/strategic-merge-patch+json") && !isApply)
        {
            throw StatusErrors.UnsupportedMediaType(
                "application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml");
        }

        var options = WriteOptions.Parse(context.Request, "PatchOptions", isApply);
        var patch = KubeHttp.ValidUtf8(await KubeHttp.ReadBodyAsync(context.Request, context.RequestAborted));
        var warnings = new List<string>();
        var (result, created) = isApply
            ? await ServerSideApply.ApplyAsync(registry, definition, ns, name, patch, options, warnings, context.RequestAborted)
            : (await registry.PatchAsync(definition, ns, name, mediaType, patch, options, warnings, context.RequestAborted), false);
        KubeHttp.AddWarnings(context.Response, warnings);
        await KubeHttp.WriteJsonAsync(context, created ? 201 : 200, KubeJson.SerializeToUtf8(result));
    }

    public async Task DeleteAsync(HttpContext context, ResourceDefinition definition, string? ns, string name)
    {
        var options = await DeleteOptions.ReadAsync(context.Request, context.RequestAborted);
        var (obj, deleted) = await registry.DeleteAsync(definition, ns, name, options, context.RequestAborted);
        var code = !deleted && options.OrphanDependents == false ? 202 : 200;
        if (deleted && definition.Strategy.DeleteResponse == DeleteResponse.Status)
        {
            // The RBAC stores answer a Success Status without a code field.
            await KubeHttp.WriteJsonAsync(context, code, KubeJson.SerializeToUtf8(new Status
            {
                Outcome = "Success",
                Details = new StatusDetails { Name = name, Group = definition.Group, Kind = definition.Plural, Uid = obj.Metadata.Uid },
            }));
            return;
        }

        await KubeHttp.WriteJsonAsync(context, code, KubeJson.SerializeToUtf8(obj));
    }

    public async Task DeleteCollectionAsync(HttpContext context, ResourceDefinition definition, string? ns)
    {
        var options = await DeleteOptions.ReadAsync(context.Request, context.RequestAborted);
        var listOptions = ListOptions.Parse(context.Request, definition, forDeleteCollection: true);
        var items = await registry.DeleteCollectionAsync(definition, ns, listOptions, options, context.RequestAborted);
        var list = new JsonObject
        {
            ["kind"] = definition.ListKind,
            ["apiVersion"] = definition.ApiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = store.Current.Revision.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            ["items"] = new JsonArray(items.Select(i =>
            {
                // Items of a list carry no type meta of their own.
                i.Kind = null;
                i.ApiVersion = null;
                return (JsonNode)KubeJson.ToNode(i);
            }).ToArray()),
        };
        await KubeHttp.WriteNodeAsync(context, 200, list);
    }
}
