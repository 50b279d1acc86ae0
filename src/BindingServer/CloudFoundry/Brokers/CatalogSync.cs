using System.Text.Json.Nodes;

namespace BindingServer.CloudFoundry.Brokers;

/// <summary>
/// Turns a broker's catalog into Cloud Controller's services and plans, as CC's catalog import does on registration and
/// on every broker update: the catalog is validated as a whole first (all problems listed in one
/// <c>CF-ServiceBrokerCatalogInvalid</c>), then services and plans are matched by the broker's ids, created or updated,
/// and those the catalog no longer lists are removed, or only deactivated while instances still use them.
/// </summary>
public static class CatalogSync
{
    public static CfApiException Invalid(IEnumerable<string> problems) =>
        new(502, "ServiceBrokerCatalogInvalid", 270012, "Service broker catalog is invalid: \n" + string.Join("\n", problems) + "\n");

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    /// <summary>CC's catalog validation: each problem on its own line, under the service (and plan) it belongs to.</summary>
    public static void Validate(JsonObject catalog)
    {
        var problems = new List<string>();
        if (catalog["services"] is not JsonArray services)
        {
            throw Invalid(["Service broker must provide at least one service"]);
        }

        var serviceIds = new HashSet<string>(StringComparer.Ordinal);
        var serviceNames = new HashSet<string>(StringComparer.Ordinal);
        var planIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in services)
        {
            var service = node as JsonObject ?? [];
            var header = $"Service {Text(service["name"]) ?? ""}";
            var own = new List<string>();
            RequireString(service, "id", "Service id", own);
            RequireString(service, "name", "Service name", own);
            RequireString(service, "description", "Service description", own);
            if (service["bindable"] is not JsonValue bindable || !bindable.TryGetValue<bool>(out _))
            {
                own.Add("Service \"bindable\" field must be a boolean, but has value " + (service["bindable"]?.ToJsonString() ?? "nil"));
            }

            foreach (var flag in ServiceFlags)
            {
                OptionalBoolean(service, flag, $"Service \"{flag}\" field", own);
            }

            OptionalStrings(service, "tags", "Service tags", own);
            OptionalStrings(service, "requires", "Service \"requires\" field", own);

            if (Text(service["id"]) is { } id && !serviceIds.Add(id))
            {
                own.Add("Service ids must be unique");
            }

            if (Text(service["name"]) is { } name && !serviceNames.Add(name))
            {
                own.Add("Service names must be unique within a broker");
            }

            var planProblems = new List<string>();
            if (service["plans"] is not JsonArray { Count: > 0 } plans)
            {
                own.Add("At least one plan is required");
            }
            else
            {
                var names = new HashSet<string>(StringComparer.Ordinal);
                foreach (var planNode in plans)
                {
                    var plan = planNode as JsonObject ?? [];
                    var mine = new List<string>();
                    RequireString(plan, "id", "Plan id", mine);
                    RequireString(plan, "name", "Plan name", mine);
                    RequireString(plan, "description", "Plan description", mine);
                    OptionalBoolean(plan, "free", "Plan free", mine);
                    OptionalBoolean(plan, "bindable", "Plan bindable", mine);
                    OptionalBoolean(plan, "plan_updateable", "Plan updateable", mine);
                    if (plan["maximum_polling_duration"] is { } duration && (duration is not JsonValue value || !value.TryGetValue<int>(out _)))
                    {
                        mine.Add($"Maximum polling duration must be an integer, but has value {duration.ToJsonString()}");
                    }

                    if (Text(plan["id"]) is { } planId && !planIds.Add(planId))
                    {
                        mine.Add("Plan ids must be unique. Unable to register plan with id '" + planId + "'");
                    }

                    if (Text(plan["name"]) is { } planName && !names.Add(planName))
                    {
                        mine.Add("Plan names must be unique within a service. Service " + Text(service["name"]) + " already has a plan named " + planName);
                    }

                    if (mine.Count > 0)
                    {
                        planProblems.Add($"  Plan {Text(plan["name"]) ?? ""}");
                        planProblems.AddRange(mine.Select(p => "    " + p));
                    }
                }
            }

            if (own.Count > 0 || planProblems.Count > 0)
            {
                problems.Add(header);
                problems.AddRange(own.Select(p => "  " + p));
                problems.AddRange(planProblems);
            }
        }

        if (problems.Count > 0)
        {
            throw Invalid(problems);
        }
    }

    private static readonly string[] ServiceFlags = ["plan_updateable", "bindings_retrievable", "instances_retrievable", "allow_context_updates"];

    private static void OptionalBoolean(JsonObject owner, string key, string what, List<string> problems)
    {
        if (owner[key] is { } node && (node is not JsonValue value || !value.TryGetValue<bool>(out _)))
        {
            problems.Add($"{what} must be a boolean, but has value {node.ToJsonString()}");
        }
    }

    private static void OptionalStrings(JsonObject owner, string key, string what, List<string> problems)
    {
        if (owner[key] is { } node && (node is not JsonArray items || items.Any(item => Text(item) is null)))
        {
            problems.Add($"{what} must be an array of strings, but has value {node.ToJsonString()}");
        }
    }

    private static void RequireString(JsonObject owner, string key, string what, List<string> problems)
    {
        if (owner[key] is null)
        {
            problems.Add($"{what} is required");
        }
        else if (Text(owner[key]) is null)
        {
            problems.Add($"{what} must be a string, but has value {owner[key]!.ToJsonString()}");
        }
    }

    /// <summary>
    /// The writes that make the store's services and plans of <paramref name="brokerGuid"/> match the catalog, computed from
    /// the store as it is (run it inside a commit). New plans are private unless <paramref name="publicPlans"/>; the
    /// built-in broker's records keep the same guids on every start.
    /// </summary>
    public static List<(string Collection, string Guid, JsonObject? Record)> Writes(CfStore store, string brokerGuid, JsonObject catalog, bool publicPlans,
        bool stableGuids, string now)
    {
        var writes = new List<(string, string, JsonObject?)>();
        var existingServices = store.List<ServiceRecord>().Select(s => CfRecord.Lenient(s)!).Where(s => s.ServiceBrokerGuid == brokerGuid).ToList();
        var existingPlans = store.List<ServicePlanRecord>().Select(p => CfRecord.Lenient(p)!).ToList();
        var instances = store.List<ServiceInstanceRecord>().Select(i => CfRecord.Lenient(i)!).ToList();
        var keptServices = new HashSet<string>(StringComparer.Ordinal);
        var keptPlans = new HashSet<string>(StringComparer.Ordinal);
        foreach (var offered in catalog["services"]!.AsArray().Select(s => s!.AsObject()))
        {
            var service = existingServices.FirstOrDefault(s => s.UniqueId == Text(offered["id"]));
            var serviceGuid = service?.GuidText ?? (stableGuids ? CfStore.StableGuid($"services/{Text(offered["name"])}") : System.Guid.NewGuid().ToString());
            var record = service ?? ServiceRecord.Wrap(CfRecord.Started(serviceGuid, now));
            record.Offer(Text(offered["name"]), Text(offered["description"]), offered["bindable"]?.GetValue<bool>() ?? false, Text(offered["id"]),
                offered["metadata"] is JsonObject metadata ? metadata.ToJsonString() : null, offered["tags"]?.DeepClone() ?? new JsonArray(),
                offered["requires"]?.DeepClone() ?? new JsonArray(), brokerGuid, offered["plan_updateable"]?.GetValue<bool>() ?? false,
                offered["bindings_retrievable"]?.GetValue<bool>() ?? false, offered["instances_retrievable"]?.GetValue<bool>() ?? false,
                offered["allow_context_updates"]?.GetValue<bool>() ?? false);
            writes.Add((CfStore.Services, serviceGuid, record.Json));
            keptServices.Add(serviceGuid);

            foreach (var offeredPlan in offered["plans"]!.AsArray().Select(p => p!.AsObject()))
            {
                var plan = existingPlans.FirstOrDefault(p => p.ServiceGuid == serviceGuid && p.UniqueId == Text(offeredPlan["id"]));
                var planGuid = plan?.GuidText ??
                               (stableGuids ? CfStore.StableGuid($"service_plans/{serviceGuid}/{Text(offeredPlan["name"])}") : System.Guid.NewGuid().ToString());
                var planRecord = plan ?? ServicePlanRecord.Wrap(CfRecord.Started(planGuid, now));
                planRecord.Offer(Text(offeredPlan["name"]), offeredPlan["free"]?.GetValue<bool>() ?? true, Text(offeredPlan["description"]), serviceGuid,
                    offeredPlan["metadata"] is JsonObject planMetadata ? planMetadata.ToJsonString() : null, Text(offeredPlan["id"]), plan?.Public ?? publicPlans,
                    offeredPlan["bindable"]?.DeepClone(), offeredPlan["plan_updateable"]?.DeepClone(), offeredPlan["maintenance_info"]?.DeepClone() ?? new JsonObject(),
                    offeredPlan["maximum_polling_duration"]?.DeepClone());
                writes.Add((CfStore.ServicePlans, planGuid, planRecord.Json));
                keptPlans.Add(planGuid);
            }
        }

        // What the catalog dropped: plans in use are kept inactive (their instances still need them), the rest removed.
        foreach (var plan in existingPlans.Where(p => existingServices.Any(s => s.GuidText == p.ServiceGuid) && !keptPlans.Contains(p.GuidText!)))
        {
            var planGuid = plan.GuidText!;
            if (instances.Any(i => i.ServicePlanGuid == planGuid))
            {
                plan.Deactivate();
                keptServices.Add(plan.ServiceGuid!);
                writes.Add((CfStore.ServicePlans, planGuid, plan.Json));
            }
            else
            {
                writes.Add((CfStore.ServicePlans, planGuid, null));
                writes.AddRange(store.List<ServicePlanVisibilityRecord>().Select(v => CfRecord.Lenient(v)!).Where(v => v.ServicePlanGuid == planGuid)
                    .Select(v => (CfStore.ServicePlanVisibilities, v.GuidText!, (JsonObject?)null)));
            }
        }

        foreach (var service in existingServices.Where(s => !writes.Any(w => w.Item1 == CfStore.Services && w.Item2 == s.GuidText)))
        {
            if (keptServices.Contains(service.GuidText!))
            {
                service.Deactivate();
                writes.Add((CfStore.Services, service.GuidText!, service.Json));
            }
            else
            {
                writes.Add((CfStore.Services, service.GuidText!, null));
            }
        }

        return writes;
    }
}
