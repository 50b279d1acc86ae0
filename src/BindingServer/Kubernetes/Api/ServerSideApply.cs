using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.Patching;

namespace BindingServer.Kubernetes.Api;

/// <summary>
/// Server-side apply (a PATCH of <c>application/apply-patch+yaml</c>, or a controller's own apply): the applied
/// configuration is read and checked as the apiserver checks it, merged with the live object by field ownership,
/// and written through the registry's create or update path.
/// </summary>
public static class ServerSideApply
{
    public static async Task<(KubeObject Result, bool Created)> ApplyAsync(ResourceRegistry registry, ResourceDefinition definition, string? ns,
        string name, byte[] patch, WriteOptions options, List<string> warnings, CancellationToken cancellationToken)
    {
        if (YamlConversion.ToJson(patch) is not JsonObject intent)
        {
            throw StatusErrors.BadRequest("error decoding YAML: the applied configuration is not an object");
        }

        // Read as the apiserver reads an unstructured object: an apiVersion that is not a string is none.
        var apiVersion = KubeJson.Text(intent["apiVersion"]) ?? "";
        if (apiVersion != definition.ApiVersion)
        {
            throw StatusErrors.BadRequest(
                $"Incorrect version specified in apply patch. Specified patch version: {apiVersion}, expected: {definition.ApiVersion}");
        }

        if (intent["metadata"] is JsonObject metadata && metadata.ContainsKey("managedFields"))
        {
            throw StatusErrors.BadRequest("metadata.managedFields must be nil");
        }

        // Unknown fields in an apply configuration are a plain error (500) on the real server.
        var unknown = new List<string>();
        var typedIntent = BodyDecoder.DecodeObject(definition, intent, FieldValidation.Warn, unknown, [], strictAsPatch: false);
        definition.Strategy.ApplyDefaults(typedIntent);
        var defaultedIntent = KubeJson.ToNode(typedIntent);
        if (unknown.Count > 0)
        {
            var field = unknown[0]["unknown field \"".Length..^1];
            var gvk = definition.Group.Length == 0 ? $"/{definition.Version}, Kind={definition.Kind}" : $"{definition.ApiVersion}, Kind={definition.Kind}";
            throw StatusErrors.PlainError($"failed to create typed patch object ({ns}/{name}; {gvk}): .{field}: field not declared in schema");
        }

        var now = registry.Now;
        var exists = registry.Exists(definition, ns, name);
        if (!exists && definition.Subresource is not null)
        {
            throw StatusErrors.NotFound(definition.GroupResource, name);
        }

        if (!exists)
        {
            var (merged, entries) = ApplyMerge.Apply(null, null, intent, defaultedIntent, definition.ObjectType, options.FieldManager, definition.ApiVersion, false, now);
            var obj = BodyDecoder.DecodeObject(definition, merged, FieldValidation.Ignore, warnings, [], strictAsPatch: false);
            definition.Strategy.ApplyDefaults(obj);
            ResourceRegistry.CheckIdentity(definition, obj, ns, name);
            registry.CheckNamespaceExists(definition, obj.Metadata.Namespace);
            return (await registry.CreateNewAsync(definition, obj, options, warnings, cancellationToken, entries), true);
        }

        return await registry.UpdateAsync(definition, ns, name, old =>
        {
            var live = KubeJson.ToNode(old!);
            var (merged, entries) = ApplyMerge.Apply(live, old!.Metadata.ManagedFields, intent, defaultedIntent, definition.ObjectType,
                options.FieldManager, definition.ApiVersion, options.Force, now, definition.Subresource);
            var obj = BodyDecoder.DecodeObject(definition, merged, FieldValidation.Ignore, warnings, [], strictAsPatch: false);
            definition.Strategy.ApplyDefaults(obj);
            ResourceRegistry.CheckIdentity(definition, obj, ns, name);
            obj.Metadata.ManagedFields = entries;
            return obj;
        }, options, warnings, "Apply", cancellationToken, allowCreate: false);
    }
}
