using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Api;

namespace BindingServer.Documentation;

/// <summary>The documentation of the Kubernetes-style routes, derived from each kind's definition.</summary>
public static class KubernetesApiDocs
{
    public const string Status = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
    public const string Patch = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";
    public const string DeleteOptions = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions";

    private static readonly ApiParam Pretty = new("pretty", "\"true\" indents the JSON answer (curl, Wget and browsers get indentation anyway).");
    private static readonly ApiParam DryRun = new("dryRun", "\"All\": run every check, store nothing.");
    private static readonly ApiParam FieldManager = new("fieldManager", "The name recorded in managedFields as owner of what this request sets.");
    private static readonly ApiParam FieldValidation = new("fieldValidation", "Unknown or duplicate fields: Ignore, Warn (default, as Warning headers) or Strict (400).");

    private static readonly ApiParam[] ListParameters =
    [
        new("labelSelector", "Label requirements, comma-separated: k=v, k!=v, k in (a,b), k notin (a), k, !k."),
        new("fieldSelector", "Field requirements such as metadata.name=x (pods also spec.nodeName=, status.phase=...)."),
        new("limit", "At most this many items; follow metadata.continue for more.", "integer"),
        new("continue", "The continue token of the previous page."),
        new("resourceVersion", "List at or watch from this revision (\"0\": any, from the cache)."),
        new("resourceVersionMatch", "Exact or NotOlderThan."),
        new("watch", "Stream changes as newline-delimited JSON events instead of answering a list.", "boolean"),
        new("allowWatchBookmarks", "Allow BOOKMARK events on a watch.", "boolean"),
        new("timeoutSeconds", "End the watch after this many seconds.", "integer"),
        new("sendInitialEvents", "On a watch: the current state first, ended by an annotated bookmark.", "boolean"),
    ];

    private static ApiResponse Error(int code, string description) => new(code, description, Status);

    private static string Schema(ResourceDefinition definition) => definition.ObjectType.GetCustomAttributes(typeof(Kubernetes.OpenApi.SchemaNameAttribute), false)
        .OfType<Kubernetes.OpenApi.SchemaNameAttribute>().Single().Name;

    public static ApiDoc For(ResourceDefinition definition, string verb, JsonNode? example = null)
    {
        var schema = Schema(definition);
        var kind = definition.Kind;
        return verb switch
        {
            "list" => new ApiDoc($"List or watch {kind} objects", [Pretty, .. ListParameters],
                [new(200, "OK: the list, or with watch=true a stream of events", schema + "List"), Error(400, "Bad selector or continue token"),
                    Error(410, "The requested revision has been compacted"), Error(422, "Invalid list options")]),
            "create" => new ApiDoc($"Create a {kind}", [Pretty, DryRun, FieldManager, FieldValidation],
                [new(201, "Created", schema), Error(400, "Unreadable body, unknown fields under Strict, or a namespace mismatch"),
                    Error(404, "The namespace does not exist"), Error(409, "AlreadyExists"), Error(415, "Unsupported media type"), Error(422, "Invalid")])
            {
                RequestSchema = schema,
                RequestMediaTypes = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"],
                RequestExample = example,
            },
            "get" => new ApiDoc($"Read a {kind}", [Pretty], [new(200, "OK", schema), Error(404, "NotFound")]),
            "update" => new ApiDoc($"Replace a {kind}", [Pretty, DryRun, FieldManager, FieldValidation],
                [new(200, "OK", schema), new(201, "Created (kinds that create on update)", schema), Error(400, "Name or namespace mismatch"),
                    Error(404, "NotFound"), Error(409, "Conflict: stale resourceVersion"), Error(422, "Invalid")])
            {
                RequestSchema = schema,
                RequestMediaTypes = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"],
                RequestExample = example,
            },
            "patch" => new ApiDoc($"Patch a {kind} (JSON patch, merge patch, strategic merge patch or server-side apply)",
                [Pretty, DryRun, FieldManager, FieldValidation, new("force", "Apply patches only: take over fields other managers own.", "boolean")],
                [new(200, "OK", schema), new(201, "Created by server-side apply", schema), Error(404, "NotFound"),
                    Error(409, "Conflict: stale resourceVersion or an apply conflict"), Error(415, "Unsupported patch type"), Error(422, "Invalid")])
            {
                RequestSchema = Patch,
                RequestMediaTypes = ["application/merge-patch+json", "application/strategic-merge-patch+json", "application/json-patch+json", "application/apply-patch+yaml"],
                RequestExample = new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["team"] = "a" } } },
            },
            "delete" => new ApiDoc($"Delete a {kind}",
                [Pretty, DryRun, new("gracePeriodSeconds", "Seconds before the object goes.", "integer"), new("propagationPolicy", "Orphan, Background or Foreground.")],
                [new(200, definition.Strategy.DeleteResponse == DeleteResponse.Status ? "OK: a Success Status" : "OK: the deleted (or terminating) object",
                    definition.Strategy.DeleteResponse == DeleteResponse.Status ? Status : schema), Error(404, "NotFound"), Error(409, "Precondition failed")])
            {
                RequestSchema = DeleteOptions,
            },
            _ => new ApiDoc($"Delete a collection of {kind} objects", [Pretty, .. ListParameters],
                [new(200, "OK: the deleted objects", schema + "List"), Error(400, "Bad selector")]) { RequestSchema = DeleteOptions },
        };
    }

    /// <summary>The <c>status</c> subresource's routes: the kind's get, update and patch, said of its status.</summary>
    public static ApiDoc ForStatus(ResourceDefinition status, string verb)
    {
        var doc = For(status, verb);
        return doc with
        {
            Summary = verb switch
            {
                "get" => $"Read the status of a {status.Kind}",
                "update" => $"Replace the status of a {status.Kind} (the rest of the object keeps its stored value)",
                _ => $"Patch the status of a {status.Kind} (JSON patch, merge patch, strategic merge patch or server-side apply)",
            },
            Responses = doc.Responses.Where(r => r.Code != 201).ToList(),
            RequestExample = verb == "patch" ? JsonNode.Parse("""{"status":{"conditions":[{"type":"Ready","status":"True"}]}}""") : doc.RequestExample,
        };
    }

    /// <summary>The seed's example ClusterRoleBinding (the create page we were given).</summary>
    public static JsonNode SeedClusterRoleBinding => JsonNode.Parse("""
        {"kind":"ClusterRoleBinding","apiVersion":"rbac.authorization.k8s.io/v1",
         "metadata":{"annotations":{"CCE.com/IAM":"true"},"name":"read-secrets-global"},
         "subjects":[{"kind":"Group","name":"manager","apiGroup":"rbac.authorization.k8s.io"}],
         "roleRef":{"kind":"ClusterRole","name":"secret-reader","apiGroup":"rbac.authorization.k8s.io"}}
        """)!;

    public static JsonNode ExampleBinding => JsonNode.Parse("""
        {"apiVersion":"v1","kind":"Binding","metadata":{"name":"p1","annotations":{"scheduler.example/why":"fits"}},
         "target":{"apiVersion":"v1","kind":"Node","name":"node-1"}}
        """)!;

    public static JsonNode ExampleOpenShiftRoleBinding => JsonNode.Parse("""
        {"apiVersion":"authorization.openshift.io/v1","kind":"RoleBinding","metadata":{"name":"viewers"},
         "userNames":["bob","system:serviceaccount:default:deployer"],"groupNames":["system:authenticated"],
         "subjects":[],"roleRef":{"name":"view"}}
        """)!;

    public static JsonNode? ExampleFor(ResourceDefinition definition) => (definition.Group, definition.Kind) switch
    {
        ("rbac.authorization.k8s.io", "ClusterRoleBinding") => SeedClusterRoleBinding,
        ("", "Pod") => JsonNode.Parse("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p1"},"spec":{"containers":[{"name":"c","image":"nginx"}]}}"""),
        ("", "Namespace") => JsonNode.Parse("""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team"}}"""),
        ("authorization.openshift.io", "RoleBinding") => ExampleOpenShiftRoleBinding,
        _ => null,
    };
}
