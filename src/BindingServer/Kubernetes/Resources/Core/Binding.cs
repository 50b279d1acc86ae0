using System.ComponentModel;
using BindingServer.Documentation;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.OpenApi;
using BindingServer.Kubernetes.Validation;
using BindingServer.Storage;

namespace BindingServer.Kubernetes.Resources.Core;

[SchemaName("io.k8s.api.core.v1.Binding")]
[Description("Binds a pod to a node: what a scheduler posts once it has picked the node.")]
public sealed class Binding : KubeObject
{
    [Required]
    [Description("The node to bind to.")]
    public ObjectReference Target { get; set; } = new();
}

[SchemaName("io.k8s.api.core.v1.ObjectReference")]
[Description("A reference to an object.")]
public sealed class ObjectReference
{
    [Description("The kind of the object; Node (or empty) for a binding target.")]
    public string? Kind { get; set; }

    [Description("The object's namespace.")]
    public string? Namespace { get; set; }

    [Description("The object's name.")]
    public string? Name { get; set; }

    [Description("The object's uid.")]
    public string? Uid { get; set; }

    [Description("The object's API version.")]
    public string? ApiVersion { get; set; }

    [Description("The object's resourceVersion.")]
    public string? ResourceVersion { get; set; }

    [Description("A field within the object.")]
    public string? FieldPath { get; set; }
}

/// <summary>Bindings are never stored: this strategy exists so the generic decoder can read them.</summary>
public sealed class BindingStrategy : ResourceStrategy<Binding>
{
    public static ResourceDefinition Definition { get; } = new()
    {
        Group = "",
        Version = "v1",
        Kind = "Binding",
        Plural = "bindings",
        Singular = "binding",
        Namespaced = true,
        Verbs = ["create"],
        Strategy = new BindingStrategy(),
    };
}

/// <summary>
/// <c>POST .../pods/{name}/binding</c> and the older <c>POST .../bindings</c>: the apiserver's BindingREST, check for
/// check and message for message, including the plain 500 it answers for an invalid target.
/// </summary>
public sealed class BindingHandler(ObjectStore store, ResourceCatalog catalog, TimeProvider clock)
{
    private static readonly GroupResource BindingResource = new("", "pods/binding");

    public async Task PostBindingAsync(HttpContext context, string ns, string? podName)
    {
        var options = WriteOptions.Parse(context.Request, "CreateOptions");
        var body = KubeHttp.BodyAsJson(context.Request, await KubeHttp.ReadBodyAsync(context.Request, context.RequestAborted));
        var warnings = new List<string>();
        var binding = (Binding)BodyDecoder.Decode(BindingStrategy.Definition, body, options.FieldValidation, warnings);
        var meta = binding.Metadata;
        if (!string.IsNullOrEmpty(meta.Namespace) && meta.Namespace != ns)
        {
            throw StatusErrors.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }

        CheckNamespace(ns);
        if (podName is null)
        {
            // The legacy collection takes the pod's name from the body and, being a plain create, drops the uid.
            meta.Uid = null;
            if (string.IsNullOrEmpty(meta.Name))
            {
                throw StatusErrors.BadRequest("Name parameter required.");
            }
        }
        else if (meta.Name != podName)
        {
            throw StatusErrors.BadRequest("name in URL does not match name in Binding object");
        }

        var errors = new List<FieldError>();
        if (!string.IsNullOrEmpty(binding.Target.Kind) && binding.Target.Kind != "Node")
        {
            errors.Add(FieldError.NotSupported("target.kind", binding.Target.Kind, "Node", "<empty>"));
        }

        if (string.IsNullOrEmpty(binding.Target.Name))
        {
            errors.Add(FieldError.Required("target.name"));
        }

        if (errors.Count > 0)
        {
            // ValidatePodBinding's errors are not wrapped in a Status, so the real server answers a reasonless 500.
            throw StatusErrors.PlainError(FieldError.Aggregate(errors));
        }

        await AssignAsync(ns, meta.Name!, binding, options.DryRun, context.RequestAborted);
        KubeHttp.AddWarnings(context.Response, warnings);
        await KubeHttp.WriteJsonAsync(context, 201, KubeJson.SerializeToUtf8(new Status { Outcome = "Success", Code = 201 }));
    }

    private void CheckNamespace(string ns)
    {
        var namespaces = catalog.Namespaces!;
        if (store.Current.Get(namespaces.KeyPrefix, namespaces.Key(null, ns)) is null)
        {
            throw StatusErrors.NotFound(namespaces.GroupResource, ns);
        }
    }

    private async Task AssignAsync(string ns, string name, Binding binding, bool dryRun, CancellationToken cancellationToken)
    {
        var pods = PodStrategy.Definition;
        var key = pods.Key(ns, name);
        await store.MutateAsync(key, (entry, revision) =>
        {
            if (entry is null)
            {
                throw StatusErrors.NotFound(pods.GroupResource, name);
            }

            var pod = (Pod)ObjectCodec.Decode(pods, entry.Body);
            new DeleteOptions(false, null, NullIfEmpty(binding.Metadata.Uid), NullIfEmpty(binding.Metadata.ResourceVersion), null, null)
                .CheckPreconditions(pods, pod, key);
            if (pod.Metadata.DeletionTimestamp is not null)
            {
                throw StatusErrors.Conflict(BindingResource, name, $"pod {name} is being deleted, cannot be assigned to a host");
            }

            if (!string.IsNullOrEmpty(pod.Spec.NodeName))
            {
                throw StatusErrors.Conflict(BindingResource, name, $"pod {name} is already assigned to node \"{pod.Spec.NodeName}\"");
            }

            if (pod.Spec.SchedulingGates is { Count: > 0 })
            {
                throw StatusErrors.Conflict(BindingResource, name, $"pod {name} has non-empty .spec.schedulingGates");
            }

            pod.Spec.NodeName = binding.Target.Name;
            foreach (var (annotation, value) in binding.Metadata.Annotations ?? [])
            {
                pod.Metadata.Annotations ??= [];
                pod.Metadata.Annotations[annotation] = value;
            }

            var status = pod.Status ??= new PodStatus();
            var conditions = status.Conditions ?? [];
            var existing = conditions.FindIndex(c => c.Type == "PodScheduled");
            var now = KubeTimeConverter.Truncate(clock.GetUtcNow());
            var scheduled = new PodCondition
            {
                Type = "PodScheduled",
                Status = "True",
                LastTransitionTime = existing >= 0 && conditions[existing].Status == "True" ? conditions[existing].LastTransitionTime : now,
            };
            if (existing >= 0)
            {
                conditions[existing] = scheduled;
            }
            else
            {
                conditions.Add(scheduled);
            }

            status.Conditions = conditions;
            pod.Metadata.ResourceVersion = revision.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return new Mutation.Put(ObjectCodec.Encode(pod));
        }, dryRun, cancellationToken);
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static ApiDoc BindingDoc(string summary) => new(summary,
        [new("dryRun", "\"All\": check everything, change nothing."), new("fieldManager", "Recorded manager name."), new("pretty", "Indent the answer.")],
        [
            new(201, "Bound: a Success Status with code 201", KubernetesApiDocs.Status),
            new(400, "Name or namespace mismatch, unreadable body", KubernetesApiDocs.Status),
            new(404, "The pod or the namespace does not exist", KubernetesApiDocs.Status),
            new(409, "Already assigned, being deleted, gated, or a precondition failed", KubernetesApiDocs.Status),
            new(500, "Invalid target (the real server answers this with a reasonless 500)", KubernetesApiDocs.Status),
        ])
    {
        RequestSchema = "io.k8s.api.core.v1.Binding",
        RequestExample = KubernetesApiDocs.ExampleBinding,
    };

    public static IEndpointRouteBuilder MapBindings(IEndpointRouteBuilder app)
    {
        var core = app.MapGroup("/api/v1/namespaces/{namespace}").WithTags("core/v1");
        core.MapPost("/bindings", (HttpContext c, BindingHandler h, string @namespace) => h.PostBindingAsync(c, @namespace, null))
            .WithName("createNamespacedBinding")
            .WithMetadata(BindingDoc("Bind a pod to a node (the older collection; the pod is named in the body)"));
        core.MapPost("/pods/{name}/binding", (HttpContext c, BindingHandler h, string @namespace, string name) => h.PostBindingAsync(c, @namespace, name))
            .WithName("createNamespacedPodBinding")
            .WithMetadata(BindingDoc("Bind a pod to a node"));
        return app;
    }
}
