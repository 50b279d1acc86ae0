using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using BindingServer.Documentation;
using Microsoft.Extensions.Options;

namespace BindingServer.CloudFoundry.Brokers;

/// <summary>
/// The broker behind the seeded services, served by this server over the Open Service Broker API under
/// <c>/_bindingserver/osb</c> and registered at start like any other broker, so Cloud Controller reaches it the way it
/// reaches every broker. Synchronous plans answer at once; asynchronous plans answer 202 and report their operation
/// finished <c>CloudFoundry:AsyncOperationSeconds</c> later (the due time travels in the operation string, so nothing
/// waits); the <c>fail-*</c> plans fail a bind in each way CC maps. Bindings are kept so they can be fetched back.
/// </summary>
public sealed class BuiltInBroker(CfStore store, IOptions<CloudFoundryOptions> options, TimeProvider clock)
{
    public const string Prefix = "/_bindingserver/osb";

    /// <summary>The ways a <c>fail-</c> plan fails a bind.</summary>
    public static readonly string[] Failures =
    [
        "server-error", "conflict", "rejected", "unauthorized", "timeout", "unreachable", "requires-app", "async-required", "concurrency", "malformed",
        "syslog-drain", "volume-mounts", "client-timeout",
    ];

    private const string FailureText = "fake broker failure";

    public static string ServiceId(string label) => $"bindingserver-{label}";

    public static string PlanId(string label, string plan) => $"bindingserver-{label}-{plan}";

    /// <summary>The catalog, as <c>GET /v2/catalog</c> serves it.</summary>
    public static JsonObject Catalog()
    {
        static JsonObject Service(string label, string description, bool bindable, bool retrievable, string[] requires, params string[] plans) => new()
        {
            ["id"] = ServiceId(label),
            ["name"] = label,
            ["description"] = description,
            ["bindable"] = bindable,
            ["bindings_retrievable"] = retrievable,
            ["plan_updateable"] = true,
            ["tags"] = new JsonArray(),
            ["requires"] = new JsonArray(requires.Select(r => (JsonNode)r).ToArray()),
            ["plans"] = new JsonArray(plans.Select(plan => (JsonNode)new JsonObject
            {
                ["id"] = PlanId(label, plan), ["name"] = plan, ["description"] = $"The {plan} plan", ["free"] = true,
            }).ToArray()),
        };

        return new JsonObject
        {
            ["services"] = new JsonArray(
                Service("fake-db", "A database from the built-in fake broker", true, true, [], ["small", "async", .. Failures.Select(f => $"fail-{f}")]),
                Service("fake-queue", "Binds asynchronously but cannot show bindings", true, false, [], "queue-async"),
                Service("fake-dns", "A service whose instances cannot be bound", false, false, [], "standard"),
                Service("fake-nfs", "A volume service: binding it needs CloudFoundry:VolumeServicesEnabled", true, false, ["volume_mount"], "nfs")),
        };
    }

    public static JsonObject Credentials(string instanceGuid) => new()
    {
        ["uri"] = $"fake://{instanceGuid}",
        ["username"] = "user-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)),
        ["password"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)),
    };

    public static void Map(IEndpointRouteBuilder app)
    {
        var osb = app.MapGroup(Prefix + "/v2").WithTags("Built-in service broker (OSB 2.15)").AddEndpointFilter(async (context, next) =>
            context.HttpContext.RequestServices.GetRequiredService<BuiltInBroker>().Authorized(context.HttpContext.Request)
                ? await next(context)
                : Results.Json(new JsonObject(), statusCode: 401));
        osb.MapGet("/catalog", () => Results.Json(Catalog())).WithMetadata(Doc("The catalog: the fake services and their plans"));
        osb.MapPut("/service_instances/{id}", (BuiltInBroker broker, HttpRequest request) => broker.StartAsync(request, "provision", created: true))
            .WithMetadata(Doc("Provision (202 for an async plan with accepts_incomplete=true)", 201, 202));
        osb.MapPatch("/service_instances/{id}", (BuiltInBroker broker, HttpRequest request) => broker.StartAsync(request, "update", created: false))
            .WithMetadata(Doc("Update", 200, 202));
        osb.MapDelete("/service_instances/{id}", (BuiltInBroker broker, HttpRequest request) => broker.StartAsync(request, "deprovision", created: false))
            .WithMetadata(Doc("Deprovision", 200, 202));
        osb.MapGet("/service_instances/{id}/last_operation", (BuiltInBroker broker, HttpRequest request) => broker.LastOperation(request))
            .WithMetadata(Doc("The state of an instance operation"));
        osb.MapPut("/service_instances/{id}/service_bindings/{binding}", (BuiltInBroker broker, HttpContext context, string id, string binding) =>
            broker.BindAsync(context, id, binding)).WithMetadata(Doc("Bind (a fail-* plan fails as its name says)", 201, 202));
        osb.MapDelete("/service_instances/{id}/service_bindings/{binding}", (BuiltInBroker broker, HttpRequest request, string binding) =>
            broker.UnbindAsync(request, binding)).WithMetadata(Doc("Unbind", 200, 202, 410));
        osb.MapGet("/service_instances/{id}/service_bindings/{binding}", (BuiltInBroker broker, string binding) => broker.FetchBinding(binding))
            .WithMetadata(Doc("A binding's credentials and parameters", 200, 404));
        osb.MapGet("/service_instances/{id}/service_bindings/{binding}/last_operation", (BuiltInBroker broker, HttpRequest request) => broker.LastOperation(request))
            .WithMetadata(Doc("The state of a binding operation"));
    }

    private static ApiDoc Doc(string summary, params int[] codes) =>
        new(summary, [], [.. (codes.Length == 0 ? [200] : codes).Select(code => new ApiResponse(code, code switch
        {
            202 => "Accepted: poll last_operation",
            404 or 410 => "Not known",
            _ => "OK",
        }, null)), new ApiResponse(401, "Wrong or missing basic credentials", null)]);

    private bool Authorized(HttpRequest request)
    {
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.Value.BuiltInBrokerUsername}:{options.Value.BuiltInBrokerPassword}"));
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(request.Headers.Authorization.ToString()), Encoding.UTF8.GetBytes(expected));
    }

    private static bool IsAsynchronousPlan(string? planId) => planId is not null && planId.EndsWith("async", StringComparison.Ordinal);

    /// <summary>An operation that finishes after the configured delay; its due time is its name, so a poll needs no state.</summary>
    private string Operation(string verb) =>
        $"{verb}:{clock.GetUtcNow().AddSeconds(options.Value.AsyncOperationSeconds).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}";

    private async Task<IResult> StartAsync(HttpRequest request, string verb, bool created)
    {
        var plans = request.Query["plan_id"].ToString() is { Length: > 0 } fromQuery ? [fromQuery] : await PlanIdsOfBodyAsync(request);
        if (plans.Any(IsAsynchronousPlan) && request.Query["accepts_incomplete"] == "true")
        {
            return Results.Json(new JsonObject { ["operation"] = Operation(verb) }, statusCode: 202);
        }

        return Results.Json(new JsonObject(), statusCode: created ? 201 : 200);
    }

    /// <summary>
    /// Provision and update name the plan in the body (deprovision in the query); an update is asynchronous when either
    /// the plan it leaves or the plan it moves to is.
    /// </summary>
    private static async Task<string?[]> PlanIdsOfBodyAsync(HttpRequest request)
    {
        try
        {
            var body = await JsonNode.ParseAsync(request.Body) as JsonObject;
            static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
            return [Text(body?["plan_id"]), Text((body?["previous_values"] as JsonObject)?["plan_id"])];
        }
        catch (System.Text.Json.JsonException)
        {
            return [];
        }
    }

    private IResult LastOperation(HttpRequest request)
    {
        var operation = request.Query["operation"].ToString();
        var colon = operation.LastIndexOf(':');
        var finished = colon < 0 || !long.TryParse(operation[(colon + 1)..], CultureInfo.InvariantCulture, out var due) ||
                       clock.GetUtcNow().ToUnixTimeMilliseconds() >= due;
        return Results.Json(new JsonObject { ["state"] = finished ? "succeeded" : "in progress", ["description"] = "" });
    }

    private async Task<IResult> BindAsync(HttpContext context, string instanceId, string bindingId)
    {
        JsonObject body;
        try
        {
            body = await JsonNode.ParseAsync(context.Request.Body) as JsonObject ?? [];
        }
        catch (System.Text.Json.JsonException)
        {
            return Results.Json(new JsonObject { ["description"] = "the request body is not a JSON object" }, statusCode: 400);
        }

        var planId = body["plan_id"] is JsonValue id && id.TryGetValue<string>(out var text) ? text : "";
        var failure = Failures.FirstOrDefault(f => planId.EndsWith($"-fail-{f}", StringComparison.Ordinal));
        if (failure is not null)
        {
            return await FailAsync(context, failure);
        }

        var binding = BuiltInBrokerBindingRecord.New(Credentials(instanceId), body["parameters"]?.DeepClone() ?? new JsonObject());
        if (planId == PlanId("fake-nfs", "nfs"))
        {
            binding.VolumeMounts = new JsonArray(new JsonObject
            {
                ["driver"] = "fakedriver", ["container_dir"] = $"/var/vcap/data/{instanceId}", ["mode"] = "rw", ["device_type"] = "shared",
                ["device"] = new JsonObject { ["volume_id"] = instanceId },
            });
        }

        await store.CreateAsync(binding, guid: bindingId);
        if (IsAsynchronousPlan(planId))
        {
            // Answered asynchronously whatever the client accepts, as a broker that cannot bind at once does.
            return Results.Json(new JsonObject { ["operation"] = Operation("bind") }, statusCode: 202);
        }

        var answer = new JsonObject { ["credentials"] = binding.Credentials!.DeepClone() };
        if (binding.VolumeMounts is { } mounts)
        {
            answer["volume_mounts"] = mounts.DeepClone();
        }

        return Results.Json(answer, statusCode: 201);
    }

    private async Task<IResult> FailAsync(HttpContext context, string failure)
    {
        var described = new JsonObject { ["description"] = FailureText };
        switch (failure)
        {
            case "unreachable":
                context.Abort();
                return Results.Empty;
            case "client-timeout":
                await Task.Delay(TimeSpan.FromSeconds(options.Value.BrokerClientTimeoutSeconds + 5), clock, context.RequestAborted);
                return Results.Json(new JsonObject(), statusCode: 201);
        }

        return failure switch
        {
            "conflict" => Results.Json(described, statusCode: 409),
            "rejected" => Results.Json(described, statusCode: 400),
            "unauthorized" => Results.Json(new JsonObject(), statusCode: 401),
            "timeout" => Results.Json(new JsonObject(), statusCode: 408),
            "requires-app" => Results.Json(new JsonObject { ["error"] = "RequiresApp", ["description"] = FailureText }, statusCode: 422),
            "async-required" => Results.Json(new JsonObject { ["error"] = "AsyncRequired", ["description"] = FailureText }, statusCode: 422),
            "concurrency" => Results.Json(new JsonObject { ["error"] = "ConcurrencyError", ["description"] = FailureText }, statusCode: 422),
            "malformed" => Results.Text(FailureText, "text/plain", statusCode: 201),
            "syslog-drain" => Results.Json(new JsonObject { ["credentials"] = new JsonObject(), ["syslog_drain_url"] = "syslog://fake-broker" }, statusCode: 201),
            "volume-mounts" => Results.Json(new JsonObject
            {
                ["credentials"] = new JsonObject(),
                ["volume_mounts"] = new JsonArray(new JsonObject
                {
                    ["driver"] = "fakedriver", ["container_dir"] = "/data", ["mode"] = "rw", ["device_type"] = "shared", ["device"] = new JsonObject { ["volume_id"] = "v" },
                }),
            }, statusCode: 201),
            _ => Results.Json(described, statusCode: 500),
        };
    }

    private async Task<IResult> UnbindAsync(HttpRequest request, string bindingId)
    {
        var known = store.Get<BuiltInBrokerBindingRecord>(bindingId) is not null;
        await store.DeleteAsync<BuiltInBrokerBindingRecord>(bindingId);
        if (IsAsynchronousPlan(request.Query["plan_id"]))
        {
            return Results.Json(new JsonObject { ["operation"] = Operation("unbind") }, statusCode: 202);
        }

        return Results.Json(new JsonObject(), statusCode: known ? 200 : 410);
    }

    private IResult FetchBinding(string bindingId) => store.Get<BuiltInBrokerBindingRecord>(bindingId) is { } binding
        ? Results.Json(new JsonObject
        {
            ["credentials"] = binding.Credentials?.DeepClone(),
            ["parameters"] = binding.Parameters?.DeepClone(),
            ["volume_mounts"] = binding.VolumeMounts?.DeepClone() ?? new JsonArray(),
        })
        : Results.Json(new JsonObject(), statusCode: 404);
}
