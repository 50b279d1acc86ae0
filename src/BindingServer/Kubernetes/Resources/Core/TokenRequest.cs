using System.ComponentModel;
using BindingServer.Documentation;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Authentication;
using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.OpenApi;
using BindingServer.Kubernetes.Patching;
using BindingServer.Kubernetes.Validation;
using BindingServer.Storage;
using BindingServer.Kubernetes.Protobuf;

namespace BindingServer.Kubernetes.Resources.Core;

[SchemaName("io.k8s.api.authentication.v1.TokenRequest")]
[Description("Asks for a token of a service account; the answer carries it in status.")]
public sealed class TokenRequest : KubeObject
{
    [Required]
    [EmitEmpty]
    [Description("The audiences, lifetime and bound object of the token.")]
    public TokenRequestSpec Spec { get; set; } = new();

    [EmitEmpty]
    [Description("The token and when it expires.")]
    public TokenRequestStatus Status { get; set; } = new();
}

[SchemaName("io.k8s.api.authentication.v1.TokenRequestSpec")]
[Description("What token is asked for.")]
public sealed class TokenRequestSpec
{
    [Atomic]
    [EmitEmpty]
    [Description("Who the token is for; the apiserver's own audience when empty.")]
    public List<string>? Audiences { get; set; }

    [EmitEmpty]
    [Description("How long the token is valid, in seconds: at least 600, 3600 by default.")]
    public long? ExpirationSeconds { get; set; }

    [EmitEmpty]
    [Description("An object (a pod or a node) the token is bound to: it stops working when the object is deleted.")]
    public BoundObjectReference? BoundObjectRef { get; set; }
}

[SchemaName("io.k8s.api.authentication.v1.BoundObjectReference")]
[Description("The object a token is bound to.")]
public sealed class BoundObjectReference
{
    [Description("Pod, Node or Secret.")]
    public string? Kind { get; set; }

    [Description("The object's API version, v1.")]
    public string? ApiVersion { get; set; }

    [Description("The object's name.")]
    public string? Name { get; set; }

    [Description("The object's uid; when given it must match.")]
    public string? Uid { get; set; }
}

[SchemaName("io.k8s.api.authentication.v1.TokenRequestStatus")]
[Description("The issued token.")]
public sealed class TokenRequestStatus
{
    [EmitEmpty]
    [Description("The signed JWT.")]
    public string Token { get; set; } = "";

    [EmitEmpty]
    [Description("When the token expires.")]
    public DateTimeOffset? ExpirationTimestamp { get; set; }
}

/// <summary>Token requests are never stored: the strategy only lets the generic decoder read them.</summary>
public sealed class TokenRequestStrategy : ResourceStrategy<TokenRequest>
{
    public static ResourceDefinition Definition { get; } = new()
    {
        Group = "authentication.k8s.io",
        Version = "v1",
        Kind = "TokenRequest",
        Plural = "serviceaccounts",
        Singular = "tokenrequest",
        Namespaced = true,
        Verbs = ["create"],
        Subresource = "token",
        Strategy = new TokenRequestStrategy(),
        Protobuf = ProtoSchemas.TokenRequest,
    };
}

/// <summary>
/// <c>POST /api/v1/namespaces/{ns}/serviceaccounts/{name}/token</c> (<c>kubectl create token</c>), as the apiserver's
/// token subresource answers it (<c>pkg/registry/core/serviceaccount/storage/token.go</c>).
/// </summary>
public static class TokenRequestEndpoint
{
    private const long DefaultExpirationSeconds = 3600;
    private const long MinimumExpirationSeconds = 600;

    public static IEndpointRouteBuilder MapTokenRequests(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token", CreateAsync)
            .WithTags("core/v1").WithName("createNamespacedServiceAccountToken")
            .WithMetadata(new ApiDoc("Issue a token for a service account (kubectl create token)", [],
                [new(201, "The request with status.token and status.expirationTimestamp", "io.k8s.api.authentication.v1.TokenRequest"),
                    new(404, "NotFound", KubernetesApiDocs.Status)]) { RequestSchema = "io.k8s.api.authentication.v1.TokenRequest" });
        return app;
    }

    private static async Task CreateAsync(HttpContext context, ObjectStore store, ServiceAccountTokens tokens, TimeProvider clock, string @namespace, string name)
    {
        var definition = TokenRequestStrategy.Definition;
        var options = WriteOptions.Parse(context.Request, "CreateOptions");
        var body = KubeHttp.BodyAsJson(context.Request, await KubeHttp.ReadBodyAsync(context.Request, context.RequestAborted));
        var warnings = new List<string>();
        var request = (TokenRequest)BodyDecoder.Decode(definition, body, options.FieldValidation, warnings);
        request.Spec ??= new TokenRequestSpec();
        var meta = request.Metadata;
        if (!string.IsNullOrEmpty(meta.Name) && meta.Name != name)
        {
            throw StatusErrors.Invalid(definition.Kind, definition.Group, name,
                [FieldError.Invalid("metadata.name", meta.Name, "must match the service account name if specified")]);
        }

        if (!string.IsNullOrEmpty(meta.Namespace) && meta.Namespace != @namespace)
        {
            throw StatusErrors.Invalid(definition.Kind, definition.Group, name,
                [FieldError.Invalid("metadata.namespace", meta.Namespace, "must match the service account namespace if specified")]);
        }

        var accounts = ServiceAccountStrategy.Definition;
        var snapshot = store.Current;
        var account = snapshot.Get(accounts.KeyPrefix, accounts.Key(@namespace, name)) is { } entry
            ? (ServiceAccount)ObjectCodec.Decode(accounts, entry.Body)
            : throw StatusErrors.NotFound(accounts.GroupResource, name);

        var spec = request.Spec;
        spec.Audiences = spec.Audiences is { Count: > 0 } ? spec.Audiences : [.. ServiceAccountTokens.ApiAudiences];
        spec.ExpirationSeconds ??= DefaultExpirationSeconds;
        var now = KubeTimeConverter.Truncate(clock.GetUtcNow());
        request.Metadata = new ObjectMeta { Name = account.Metadata.Name, Namespace = account.Metadata.Namespace, CreationTimestamp = now };
        if (spec.ExpirationSeconds < MinimumExpirationSeconds)
        {
            throw StatusErrors.Invalid(definition.Kind, definition.Group, "",
                [FieldError.Invalid("spec.expirationSeconds", spec.ExpirationSeconds, "may not specify a duration less than 10 minutes")]);
        }

        if (spec.ExpirationSeconds > uint.MaxValue)
        {
            throw StatusErrors.Invalid(definition.Kind, definition.Group, "",
                [FieldError.Invalid("spec.expirationSeconds", spec.ExpirationSeconds, "may not specify a duration larger than 2^32 seconds")]);
        }

        var bound = spec.BoundObjectRef is { } reference ? Bound(snapshot, reference, @namespace, name) : null;
        request.Status = new TokenRequestStatus
        {
            Token = tokens.Issue(account, spec.Audiences, spec.ExpirationSeconds.Value, bound, now),
            ExpirationTimestamp = now.AddSeconds(spec.ExpirationSeconds.Value),
        };
        KubeHttp.AddWarnings(context.Response, warnings);
        await KubeHttp.WriteJsonAsync(context, 201, KubeJson.SerializeToUtf8(request));
    }

    /// <summary>
    /// The object a token is bound to: a pod that runs as the account (and its node), or a node. The object must exist
    /// and have the uid the reference gives. Secrets are not served, so a Secret is never found.
    /// </summary>
    private static ServiceAccountTokens.BoundObject Bound(Snapshot snapshot, BoundObjectReference reference, string ns, string account)
    {
        var apiVersion = reference.ApiVersion ?? "";
        var group = apiVersion.Contains('/') ? apiVersion[..apiVersion.IndexOf('/')] : "";
        var name = reference.Name ?? "";
        switch (group, reference.Kind)
        {
            case ("", "Pod"):
                var pods = PodStrategy.Definition;
                var pod = snapshot.Get(pods.KeyPrefix, pods.Key(ns, name)) is { } entry
                    ? (Pod)ObjectCodec.Decode(pods, entry.Body)
                    : throw StatusErrors.NotFound(pods.GroupResource, name);
                if ((pod.Spec.ServiceAccountName ?? ServiceAccountStrategy.DefaultName) != account)
                {
                    throw StatusErrors.BadRequest($"cannot bind token for serviceaccount \"{account}\" to pod running with different serviceaccount name.");
                }

                CheckUid(reference, "Pod", pod.Metadata.Uid);
                var nodeName = pod.Spec.NodeName is { Length: > 0 } n ? n : null;
                var nodeUid = nodeName is null ? null : NodeOf(snapshot, nodeName)?.Metadata.Uid;
                return new ServiceAccountTokens.BoundObject(pod.Metadata.Name, pod.Metadata.Uid, nodeName, nodeUid);
            case ("", "Node"):
                var node = NodeOf(snapshot, name) ?? throw StatusErrors.NotFound(NodeStrategy.Definition.GroupResource, name);
                CheckUid(reference, "Node", node.Metadata.Uid);
                return new ServiceAccountTokens.BoundObject(null, null, node.Metadata.Name, node.Metadata.Uid);
            case ("", "Secret"):
                throw StatusErrors.NotFound(new GroupResource("", "secrets"), name);
            default:
                var version = apiVersion.Contains('/') ? apiVersion[(apiVersion.IndexOf('/') + 1)..] : apiVersion;
                throw StatusErrors.BadRequest($"cannot bind token to object of type {group}/{version}, Kind={reference.Kind}");
        }
    }

    private static void CheckUid(BoundObjectReference reference, string kind, string? uid)
    {
        if (!string.IsNullOrEmpty(reference.Uid) && reference.Uid != uid)
        {
            throw StatusErrors.Conflict(new GroupResource("", kind), reference.Name ?? "",
                $"the UID in the bound object reference ({reference.Uid}) does not match the UID in record. The object might have been deleted and then recreated");
        }
    }

    private static Model.KubeObject? NodeOf(Snapshot snapshot, string name) =>
        snapshot.Get(NodeStrategy.Definition.KeyPrefix, NodeStrategy.Definition.Key(null, name)) is { } entry
            ? ObjectCodec.Decode(NodeStrategy.Definition, entry.Body)
            : null;
}
