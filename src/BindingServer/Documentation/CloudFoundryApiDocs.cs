using System.Text.Json.Nodes;

namespace BindingServer.Documentation;

/// <summary>The documentation of the Cloud Controller v2 routes and the schemas of their bodies.</summary>
public static class CloudFoundryApiDocs
{
    public const string Error = "cf.Error";
    public const string Resource = "cf.Resource";
    public const string ListSchema = "cf.List";
    public const string Binding = "cf.ServiceBinding";
    public const string BindingRequest = "cf.ServiceBindingRequest";
    public const string CreateRequest = "cf.CreateRequest";

    private static readonly ApiParam[] ListParameters =
    [
        new("q", "Filters such as app_guid:<guid>, name:x, name IN a,b; repeat or join with ';'."),
        new("page", "The page, from 1.", "integer"),
        new("results-per-page", "Page size, 1 to 100 (50 by default).", "integer"),
        new("order-direction", "asc (default) or desc."),
        new("inline-relations-depth", "0 to 3: inline related resources.", "integer"),
    ];

    private static readonly ApiResponse Unauthenticated = new(401, "No or invalid bearer token (CF-NotAuthenticated, CF-InvalidAuthToken)", Error);

    public static ApiDoc List(string what) => new($"List {what}", ListParameters,
        [new(200, "OK", ListSchema), new(400, "Bad query parameter", Error), Unauthenticated, new(403, "Insufficient scope", Error)])
    { Bearer = true };

    public static ApiDoc Get(string what) => new($"Get {what}", [new("inline-relations-depth", "0 to 3: inline related resources.", "integer")],
        [new(200, "OK", Resource), Unauthenticated, new(404, "Not found", Error)])
    { Bearer = true };

    public static ApiDoc Create(string what, JsonNode example) => new($"Create {what}", [],
        [new(201, "Created; Location names the new resource", Resource), new(400, "Invalid body or relation", Error), Unauthenticated, new(404, "A related resource was not found", Error)])
    {
        Bearer = true,
        RequestSchema = CreateRequest,
        RequestExample = example,
    };

    public static ApiDoc Delete(string what) => new($"Delete {what}", [new("recursive", "true deletes the service bindings too.", "boolean")],
        [new(204, "Deleted", null), new(400, "Bindings exist (CF-AssociationNotEmpty)", Error), Unauthenticated, new(404, "Not found", Error)])
    { Bearer = true };

    public static ApiDoc UpdateOrganization { get; } = new("Rename an organization, or (admins) suspend or reactivate it", [],
        [new(201, "Updated", Resource), new(400, "Invalid body", Error), Unauthenticated, new(403, "Not an admin or the org's manager (CF-NotAuthorized)", Error),
            new(404, "Not found", Error)])
    {
        Bearer = true,
        RequestSchema = CreateRequest,
        RequestExample = JsonNode.Parse("""{"status":"suspended"}"""),
    };

    public static ApiDoc GrantRole(string where) => new($"Give a user a role in {where}", [],
        [new(201, "Granted", Resource), Unauthenticated, new(403, "Not an admin or manager (CF-NotAuthorized), or the org is suspended (CF-OrgSuspended)", Error),
            new(404, "Not found", Error)])
    { Bearer = true };

    public static ApiDoc RevokeRole(string where) => new($"Take a role in {where} from a user", [],
        [new(204, "Revoked", null), Unauthenticated, new(403, "Not an admin or manager (CF-NotAuthorized), or the org is suspended (CF-OrgSuspended)", Error),
            new(404, "Not found", Error)])
    { Bearer = true };

    public static ApiDoc Info { get; } = new("Cloud Controller information (no token needed)", [], [new(200, "OK", null)]);

    public static ApiDoc CreateBinding { get; } = new("Bind an app to a service instance",
        [new("accepts_incomplete", "true lets the broker bind asynchronously (202, then poll the binding).")],
        [new(201, "Bound", Binding), new(202, "Binding in progress (asynchronous broker)", Binding), new(400, "Invalid body, duplicate binding, space mismatch, unbindable", Error),
            Unauthenticated, new(404, "App or service instance not found", Error), new(409, "Instance operation in progress", Error),
            new(502, "The broker answered asynchronously without accepts_incomplete", Error)])
    {
        Bearer = true,
        RequestSchema = BindingRequest,
        RequestExample = SeedRequest,
        ResponseExample = SeedResponse,
    };

    public static ApiDoc GetBinding { get; } = new("Get a service binding", [new("inline-relations-depth", "0 to 3: inline app and instance.", "integer")],
        [new(200, "OK", Binding), Unauthenticated, new(404, "Not found (CF-ServiceBindingNotFound)", Error)])
    { Bearer = true };

    public static ApiDoc DeleteBinding { get; } = new("Unbind",
        [new("accepts_incomplete", "true lets the broker unbind asynchronously (202)."), new("async", "true queues a background job and answers 202 with it.")],
        [new(204, "Unbound", null), new(202, "Unbind in progress, or the queued job", Binding), Unauthenticated, new(404, "Not found", Error)])
    { Bearer = true };

    public static ApiDoc DeleteBindingOfApp { get; } = new("Unbind through the app (deprecated: answers X-Cf-Warnings: Endpoint+deprecated)", [],
        [new(204, "Unbound", null), Unauthenticated, new(403, "Not a developer of the app's space", Error), new(404, "App or binding not found", Error)])
    { Bearer = true };

    public static ApiDoc UpdateUserProvided { get; } = new("Update a user-provided service instance; its bindings get the new credentials", [],
        [new(201, "Updated", Resource), new(400, "Invalid body, name taken, or a space change", Error), Unauthenticated,
            new(403, "Not a developer of the instance's space", Error), new(404, "Not found", Error)])
    {
        Bearer = true,
        RequestSchema = CreateRequest,
        RequestExample = JsonNode.Parse("""{"credentials":{"uri":"mysql://new-db"},"syslog_drain_url":"syslog://logs.example.com"}"""),
    };

    public static ApiDoc GetJob { get; } = new("Get a background job: queued, running or failed; a finished job reads back as job 0", [],
        [new(200, "OK", Resource), Unauthenticated, new(403, "Insufficient scope", Error)])
    { Bearer = true };

    public static ApiDoc BindingParameters { get; } = new("The parameters the broker holds for a binding", [],
        [new(200, "The parameters object", null), new(400, "Not retrievable (user-provided instance or service without bindings_retrievable)", Error),
            Unauthenticated, new(404, "Not found", Error)])
    { Bearer = true };

    public static ApiDoc UpdateManaged { get; } = new("Rename, retag, re-plan or re-parameterize a managed service instance (a new plan or parameters go to the broker)",
        [new("accepts_incomplete", "true lets the broker update asynchronously (202, then poll the instance).")],
        [new(201, "Updated", Resource), new(202, "Update in progress (asynchronous broker)", Resource), new(400, "Invalid body, plan not updateable, space change", Error),
            Unauthenticated, new(403, "Not a developer of the instance's space", Error), new(404, "Not found", Error), new(409, "Operation in progress", Error),
            new(502, "The broker failed", Error)])
    {
        Bearer = true,
        RequestSchema = CreateRequest,
        RequestExample = JsonNode.Parse("""{"service_plan_guid":"<plan guid>","parameters":{"size":"large"}}"""),
    };

    public static ApiDoc UpdatePlan { get; } = new("Make a service plan public or private (admins)", [],
        [new(201, "Updated", Resource), Unauthenticated, new(403, "Not an admin", Error), new(404, "Not found", Error)])
    {
        Bearer = true,
        RequestSchema = CreateRequest,
        RequestExample = JsonNode.Parse("""{"public":true}"""),
    };

    public static ApiDoc CreateBroker { get; } = new("Register a service broker: its catalog is fetched and becomes services and (private) plans", [],
        [new(201, "Registered", Resource), new(400, "Invalid body or URL, name taken", Error), Unauthenticated, new(403, "Not an admin or the space's developer", Error),
            new(502, "The broker could not be reached, failed, or its catalog is invalid", Error), new(504, "The broker timed out", Error)])
    {
        Bearer = true,
        RequestSchema = CreateRequest,
        RequestExample = JsonNode.Parse("""{"name":"my-broker","broker_url":"http://127.0.0.1:9000","auth_username":"user","auth_password":"secret"}"""),
    };

    public static ApiDoc UpdateBroker { get; } = new("Update a service broker: anything but a new name fetches the catalog again", [],
        [new(200, "Updated", Resource), new(400, "Invalid body or URL, name taken", Error), Unauthenticated, new(403, "Not allowed", Error), new(404, "Not found (empty body)", null),
            new(502, "The broker could not be reached, failed, or its catalog is invalid", Error)])
    {
        Bearer = true,
        RequestSchema = CreateRequest,
        RequestExample = JsonNode.Parse("""{"auth_password":"new-secret"}"""),
    };

    public static ApiDoc KeyParameters { get; } = new("The parameters the broker holds for a service key", [],
        [new(200, "The parameters object", null), new(400, "The service does not support fetching them", Error), Unauthenticated, new(404, "Not found", Error)])
    { Bearer = true };

    /// <summary>The seed's request body (POST /v2/service_bindings).</summary>
    public static JsonNode SeedRequest => JsonNode.Parse("""
        {"service_instance_guid":"a0029c76-7017-4a74-94b0-54a04ad94b80","app_guid":"081d55a0-1bfa-4e51-8d08-273f764988db",
         "parameters":{"the_service_broker":"wants this object"},"name":"prod-db"}
        """)!;

    /// <summary>The seed's response, with the syslog drain current servers give user-provided bindings.</summary>
    public static JsonNode SeedResponse => JsonNode.Parse("""
        {"metadata":{"guid":"4e690cd4-66ef-4052-a23d-0d748316f18c","url":"/v2/service_bindings/4e690cd4-66ef-4052-a23d-0d748316f18c",
          "created_at":"2016-06-08T16:41:42Z","updated_at":"2016-06-08T16:41:42Z"},
         "entity":{"app_guid":"081d55a0-1bfa-4e51-8d08-273f764988db","service_instance_guid":"a0029c76-7017-4a74-94b0-54a04ad94b80",
          "credentials":{"creds-key-63":"creds-val-63"},"binding_options":{},"gateway_data":null,"gateway_name":"","syslog_drain_url":"",
          "volume_mounts":[],"name":"prod-db",
          "last_operation":{"type":"create","state":"succeeded","description":"","updated_at":"2016-06-08T16:41:42Z","created_at":"2016-06-08T16:41:42Z"},
          "app_url":"/v2/apps/081d55a0-1bfa-4e51-8d08-273f764988db",
          "service_instance_url":"/v2/user_provided_service_instances/a0029c76-7017-4a74-94b0-54a04ad94b80",
          "service_binding_parameters_url":"/v2/service_bindings/4e690cd4-66ef-4052-a23d-0d748316f18c/parameters"}}
        """)!;

    /// <summary>JSON Schemas of the v2 bodies, in the same form as the Kubernetes ones.</summary>
    public static IReadOnlyDictionary<string, JsonObject> Schemas { get; } = new Dictionary<string, JsonObject>
    {
        [Error] = JsonNode.Parse("""
            {"type":"object","description":"A Cloud Controller error.","required":["description","error_code","code"],
             "properties":{"description":{"type":"string"},"error_code":{"type":"string","description":"CF- followed by the error's name."},"code":{"type":"integer"}}}
            """)!.AsObject(),
        ["cf.Metadata"] = JsonNode.Parse("""
            {"type":"object","required":["guid","url","created_at","updated_at"],
             "properties":{"guid":{"type":"string"},"url":{"type":"string"},"created_at":{"type":"string"},"updated_at":{"type":"string"}}}
            """)!.AsObject(),
        [Resource] = JsonNode.Parse("""
            {"type":"object","description":"A v2 resource: metadata and entity.","required":["metadata","entity"],
             "properties":{"metadata":{"$ref":"#/components/schemas/cf.Metadata"},"entity":{"type":"object"}}}
            """)!.AsObject(),
        [ListSchema] = JsonNode.Parse("""
            {"type":"object","description":"A page of v2 resources.","required":["total_results","total_pages","resources"],
             "properties":{"total_results":{"type":"integer"},"total_pages":{"type":"integer"},"prev_url":{"type":["string","null"]},
              "next_url":{"type":["string","null"]},"resources":{"type":"array","items":{"$ref":"#/components/schemas/cf.Resource"}}}}
            """)!.AsObject(),
        [Binding] = JsonNode.Parse("""
            {"type":"object","description":"A service binding.","required":["metadata","entity"],
             "properties":{"metadata":{"$ref":"#/components/schemas/cf.Metadata"},
              "entity":{"type":"object","required":["app_guid","service_instance_guid","last_operation"],
               "properties":{"app_guid":{"type":"string"},"service_instance_guid":{"type":"string"},"credentials":{"type":["object","null"]},
                "binding_options":{"type":"object"},"gateway_data":{"type":["object","null"]},"gateway_name":{"type":"string"},
                "syslog_drain_url":{"type":["string","null"]},"volume_mounts":{"type":"array","items":{"type":"object"}},"name":{"type":["string","null"]},
                "last_operation":{"type":"object","properties":{"type":{"type":"string"},"state":{"type":"string"},"description":{"type":"string"},
                  "updated_at":{"type":"string"},"created_at":{"type":"string"}}},
                "app_url":{"type":"string"},"service_instance_url":{"type":"string"},"service_binding_parameters_url":{"type":"string"}}}}}
            """)!.AsObject(),
        [BindingRequest] = JsonNode.Parse("""
            {"type":"object","description":"What to bind.","required":["app_guid","service_instance_guid"],
             "properties":{"app_guid":{"type":"string"},"service_instance_guid":{"type":"string"},"name":{"type":"string"},
              "parameters":{"type":"object","description":"Passed to the broker; ignored for user-provided instances."}}}
            """)!.AsObject(),
        [CreateRequest] = JsonNode.Parse("""
            {"type":"object","description":"The fields of the resource to create (name and its space or organization, and its own fields)."}
            """)!.AsObject(),
    };
}
