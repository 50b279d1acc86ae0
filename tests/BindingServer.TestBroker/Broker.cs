using System.Text.Json.Nodes;

namespace BindingServer.TestBroker;

/// <summary>
/// The broker's in-memory instances and bindings. Each plan's name scripts how its requests are answered
/// (sync, async, failing, slow, conflict, async-failing, async-required), so a test picks a behaviour by picking a plan.
/// </summary>
public sealed class Broker
{
    private static readonly string[] PlanNames = ["sync", "async", "failing", "slow", "conflict", "async-failing", "async-required"];

    public static string DefaultCatalog { get; } = new JsonObject
    {
        ["services"] = new JsonArray(new JsonObject
        {
            ["id"] = "test-db-service-id",
            ["name"] = "test-db",
            ["description"] = "A database from the test broker",
            ["bindable"] = true,
            ["instances_retrievable"] = true,
            ["bindings_retrievable"] = true,
            ["plan_updateable"] = true,
            ["tags"] = new JsonArray("test", "db"),
            ["requires"] = new JsonArray(),
            ["metadata"] = new JsonObject { ["displayName"] = "Test DB" },
            ["plans"] = new JsonArray([.. PlanNames.Select(name => new JsonObject
            {
                ["id"] = PlanId(name),
                ["name"] = name,
                ["description"] = $"The {name} plan",
                ["free"] = true,
            })]),
        }),
    }.ToJsonString();

    private static readonly TimeSpan SlowBind = TimeSpan.FromSeconds(5);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Resource> _instances = [];
    private readonly Dictionary<(string Instance, string Binding), Resource> _bindings = [];

    /// <summary>The catalog as text, served verbatim (tests may set an invalid one).</summary>
    public string Catalog { get; set; } = DefaultCatalog;

    public static string PlanId(string name) => $"test-db-{name}-id";

    public IResult Provision(string id, JsonNode? body, bool acceptsIncomplete)
    {
        var planId = (string?)body?["plan_id"];
        var plan = PlanName(planId);
        if (plan is null)
        {
            return Json(400, new JsonObject { ["description"] = "unknown plan" });
        }

        lock (_gate)
        {
            if (_instances.TryGetValue(id, out var existing))
            {
                return Json(JsonNode.DeepEquals(existing.Request, body) ? 200 : 409, new JsonObject());
            }

            if (IsAsync(plan, "provision") && !acceptsIncomplete)
            {
                return AsyncRequired();
            }

            var instance = new Resource(planId, body) { DashboardUrl = $"http://dashboard.example/{id}" };
            _instances[id] = instance;
            return IsAsync(plan, "provision")
                ? Start(instance, "provision", id)
                : Json(201, new JsonObject { ["dashboard_url"] = instance.DashboardUrl });
        }
    }

    public IResult Update(string id, JsonNode? body, bool acceptsIncomplete)
    {
        lock (_gate)
        {
            if (!_instances.TryGetValue(id, out var instance))
            {
                return Json(400, new JsonObject { ["description"] = "unknown service instance" });
            }

            // The instance's current plan decides how the update runs, whatever plan it moves to.
            var isAsync = IsAsync(PlanName(instance.PlanId), "update");
            if (isAsync && !acceptsIncomplete)
            {
                return AsyncRequired();
            }

            instance.PlanId = (string?)body?["plan_id"] ?? instance.PlanId;
            instance.Parameters = body?["parameters"]?.DeepClone() ?? instance.Parameters;
            return isAsync ? Start(instance, "update", id) : Json(200, new JsonObject());
        }
    }

    public IResult Deprovision(string id, string? planId, bool acceptsIncomplete)
    {
        lock (_gate)
        {
            if (!_instances.TryGetValue(id, out var instance))
            {
                return Missing(planId);
            }

            var plan = PlanName(instance.PlanId);
            if (!IsAsync(plan, "deprovision"))
            {
                RemoveInstance(id);
                return Json(200, new JsonObject());
            }

            return acceptsIncomplete ? Start(instance, "deprovision", id) : AsyncRequired();
        }
    }

    public async Task<IResult> BindAsync(string id, string bindingId, JsonNode? body, bool acceptsIncomplete, CancellationToken aborted)
    {
        string? planId;
        lock (_gate)
        {
            planId = (string?)body?["plan_id"] ?? _instances.GetValueOrDefault(id)?.PlanId;
        }

        var plan = PlanName(planId);
        switch (plan)
        {
            case null:
                return Json(400, new JsonObject { ["description"] = "unknown plan" });
            case "failing":
                return Json(500, new JsonObject { ["description"] = "the test broker failed on purpose" });
            case "conflict":
                return Json(409, new JsonObject { ["description"] = "binding already exists with other attributes" });
            case "slow":
                try
                {
                    await Task.Delay(SlowBind, aborted);
                }
                catch (OperationCanceledException) when (aborted.IsCancellationRequested)
                {
                    // The client gave up (its timeout is the point of this plan): nobody is left to answer.
                    return Results.Empty;
                }

                break;
        }

        if (IsAsync(plan, "bind") && !acceptsIncomplete)
        {
            return AsyncRequired();
        }

        lock (_gate)
        {
            // A binding whose bind failed was never made, so binding it again starts afresh.
            if (_bindings.TryGetValue((id, bindingId), out var existing) && existing.Operation is not { State: "failed" })
            {
                if (!JsonNode.DeepEquals(existing.Request, body))
                {
                    return Json(409, new JsonObject());
                }

                return existing.Operation is { State: "in progress" }
                    ? Json(202, new JsonObject { ["operation"] = $"bind-{bindingId}" })
                    : Json(200, new JsonObject { ["credentials"] = existing.Credentials!.DeepClone() });
            }

            var binding = new Resource(planId, body)
            {
                Credentials = new JsonObject
                {
                    ["uri"] = $"testdb://{id}/{bindingId}",
                    ["username"] = $"user-{bindingId[..Math.Min(8, bindingId.Length)]}",
                    ["password"] = $"pw-{bindingId}",
                },
            };
            _bindings[(id, bindingId)] = binding;
            return IsAsync(plan, "bind")
                ? Start(binding, "bind", bindingId)
                : Json(201, new JsonObject { ["credentials"] = binding.Credentials.DeepClone() });
        }
    }

    public IResult Unbind(string id, string bindingId, string? planId, bool acceptsIncomplete)
    {
        lock (_gate)
        {
            if (!_bindings.TryGetValue((id, bindingId), out var binding))
            {
                return Missing(planId);
            }

            if (!IsAsync(PlanName(binding.PlanId), "unbind"))
            {
                _bindings.Remove((id, bindingId));
                return Json(200, new JsonObject());
            }

            return acceptsIncomplete ? Start(binding, "unbind", bindingId) : AsyncRequired();
        }
    }

    public IResult GetInstance(string id)
    {
        lock (_gate)
        {
            // Per the spec, an instance still being provisioned is not there yet.
            if (_instances.GetValueOrDefault(id) is not { } instance || instance.Operation is { Kind: "provision", State: not "succeeded" })
            {
                return Json(404, new JsonObject());
            }

            return Json(200, new JsonObject
            {
                ["service_id"] = instance.Request?["service_id"]?.DeepClone(),
                ["plan_id"] = instance.PlanId,
                ["dashboard_url"] = instance.DashboardUrl,
                ["parameters"] = instance.Parameters?.DeepClone() ?? new JsonObject(),
            });
        }
    }

    public IResult GetBinding(string id, string bindingId)
    {
        lock (_gate)
        {
            if (_bindings.GetValueOrDefault((id, bindingId)) is not { } binding || binding.Operation is { Kind: "bind", State: not "succeeded" })
            {
                return Json(404, new JsonObject());
            }

            return Json(200, new JsonObject
            {
                ["credentials"] = binding.Credentials?.DeepClone(),
                ["parameters"] = binding.Parameters?.DeepClone() ?? new JsonObject(),
            });
        }
    }

    public IResult InstanceLastOperation(string id)
    {
        lock (_gate)
        {
            return Poll(_instances.GetValueOrDefault(id), () => RemoveInstance(id));
        }
    }

    public IResult BindingLastOperation(string id, string bindingId)
    {
        lock (_gate)
        {
            return Poll(_bindings.GetValueOrDefault((id, bindingId)), () => _bindings.Remove((id, bindingId)));
        }
    }

    private static IResult Poll(Resource? resource, Action remove)
    {
        if (resource is null)
        {
            return Json(410, new JsonObject());
        }

        var operation = resource.Operation;
        var state = operation?.Poll() ?? "succeeded";
        // A finished delete leaves nothing behind, so later polls answer 410 Gone.
        if (state == "succeeded" && operation?.Kind is "deprovision" or "unbind")
        {
            remove();
        }

        var description = state switch
        {
            "in progress" => "working",
            "failed" => $"the {operation!.Kind} failed at the broker",
            _ => "done",
        };
        return Json(200, new JsonObject { ["state"] = state, ["description"] = description });
    }

    /// <summary>Deleting what does not exist is 410 Gone, except on the failing plan, which accepts any delete so the
    /// platform's orphan mitigation after its failed binds succeeds.</summary>
    private static IResult Missing(string? planId) => Json(PlanName(planId) == "failing" ? 200 : 410, new JsonObject());

    private void RemoveInstance(string id)
    {
        _instances.Remove(id);
        foreach (var key in _bindings.Keys.Where(key => key.Instance == id).ToList())
        {
            _bindings.Remove(key);
        }
    }

    /// <summary>Which operations of a plan only run asynchronously: all of the async plan's, and binds on the other async plans.</summary>
    private static bool IsAsync(string? plan, string operation) =>
        plan == "async" || (operation == "bind" && plan is "async-failing" or "async-required");

    private static IResult Start(Resource resource, string kind, string id)
    {
        resource.Operation = new Operation(kind, fails: resource.PlanId == PlanId("async-failing"));
        return Json(202, new JsonObject { ["operation"] = $"{kind}-{id}" });
    }

    private static IResult AsyncRequired() => Json(422, new JsonObject
    {
        ["error"] = "AsyncRequired",
        ["description"] = "This plan requires asynchronous operations.",
    });

    /// <summary>The behaviour a plan id stands for, by the default catalog's ids, so it holds whatever catalog is being served.</summary>
    private static string? PlanName(string? planId) =>
        PlanNames.FirstOrDefault(name => PlanId(name) == planId);

    private static IResult Json(int status, JsonNode body) => Results.Json(body, statusCode: status);

    private sealed class Resource(string? planId, JsonNode? request)
    {
        public string? PlanId { get; set; } = planId;

        /// <summary>The provision or bind body, to tell a retry from a conflicting request.</summary>
        public JsonNode? Request { get; } = request?.DeepClone();

        public JsonNode? Parameters { get; set; } = request?["parameters"]?.DeepClone();

        public string? DashboardUrl { get; init; }

        public JsonObject? Credentials { get; init; }

        public Operation? Operation { get; set; }
    }

    private sealed class Operation(string kind, bool fails)
    {
        private int _polls;

        public string Kind { get; } = kind;

        public string State => _polls < 2 ? "in progress" : fails ? "failed" : "succeeded";

        /// <summary>The first poll sees the operation still running; every later one sees it finished.</summary>
        public string Poll()
        {
            _polls++;
            return State;
        }
    }
}
