using System.Text.Json.Nodes;

namespace BindingServer.CloudFoundry.Brokers;

/// <summary>A managed instance with the plan, service and broker behind it: everything a broker request is addressed by.</summary>
public sealed record BrokerTarget(ServiceBrokerRecord Broker, ServiceRecord Service, ServicePlanRecord Plan, ServiceInstanceRecord Instance)
{
    public string InstanceGuid => Instance.Guid;
    public string ServiceId => Service.UniqueId!;
    public string PlanId => Plan.UniqueId!;

    /// <summary>The target of a managed instance, or null for a user-provided one (or one whose plan is gone).</summary>
    public static BrokerTarget? Of(CfStore store, ServiceInstanceRecord instance)
    {
        if (instance.IsUserProvided || store.Get<ServicePlanRecord>(instance.ServicePlanGuid ?? "") is not { } plan)
        {
            return null;
        }

        var service = store.Get<ServiceRecord>(plan.ServiceGuid!)!;
        var broker = store.Get<ServiceBrokerRecord>(service.ServiceBrokerGuid ?? "");
        return broker is null ? null : new BrokerTarget(broker, service, plan, instance);
    }

    /// <summary>The target of the instance a binding or key names, if that instance exists and is managed.</summary>
    public static BrokerTarget? OfInstance(CfStore store, string instanceGuid) =>
        store.Get<ServiceInstanceRecord>(instanceGuid) is { } instance ? Of(store, instance) : null;

    public bool Requires(string requirement) => Service.Requires is JsonArray requires && requires.Any(r => r is JsonValue value && value.TryGetValue<string>(out var text) && text == requirement);
}

/// <summary>How a broker answered a request it accepted: at once (with its body) or asynchronously (with its operation).</summary>
public sealed record BrokerOutcome(bool Asynchronous, string? Operation, JsonObject Body)
{
    public static BrokerOutcome Done(JsonObject body) => new(false, null, body);
}

/// <summary>The state a broker reports for an operation in progress; <c>Gone</c> is its 410 (the resource no longer exists).</summary>
public sealed record BrokerOperationState(string State, string? Description, bool Gone = false);

/// <summary>
/// Cloud Controller's calls to a service broker over the Open Service Broker API (v2.15): the request it builds for each
/// operation and how it reads the answer (<c>ServiceBrokers::V2::Client</c> and its response parser), including the
/// orphan mitigation it performs after a bind whose outcome it cannot know.
/// </summary>
public sealed class BrokerOperations(BrokerClient client, CfStore store, ILogger<BrokerOperations> logger)
{
    /// <summary>What OSB requires of each volume mount a bind returns.</summary>
    private static readonly string[] MountFields = ["driver", "container_dir", "mode", "device_type", "device"];

    private static string Query(params (string Key, string? Value)[] pairs) =>
        // Rails' to_query: keys sorted, nulls left out.
        string.Join('&', pairs.Where(p => p.Value is not null).OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value!)}")) is { Length: > 0 } query ? "?" + query : "";

    private static string? Incomplete(bool acceptsIncomplete) => acceptsIncomplete ? "true" : null;

    private enum ContextFor
    {
        Provision,
        Update,
        Bind,
    }

    /// <summary>
    /// What the broker is told of where an instance lives (OSB's cloudfoundry context profile): a provision also names
    /// the instance and its annotations, an update only the instance, a bind neither.
    /// </summary>
    private JsonObject Context(ServiceInstanceRecord instance, ContextFor purpose)
    {
        var space = store.Get<SpaceRecord>(instance.SpaceGuid!);
        var org = space is null ? null : store.Get<OrganizationRecord>(space.OrganizationGuid!);
        var context = new JsonObject
        {
            ["platform"] = "cloudfoundry",
            ["organization_guid"] = org?.Guid,
            ["space_guid"] = space?.Guid,
            ["organization_name"] = org?.Name,
            ["space_name"] = space?.Name,
            ["organization_annotations"] = new JsonObject(),
            ["space_annotations"] = new JsonObject(),
        };
        if (purpose != ContextFor.Bind)
        {
            context["instance_name"] = instance.Name;
        }

        if (purpose == ContextFor.Provision)
        {
            context["instance_annotations"] = new JsonObject();
        }

        return context;
    }

    public async Task<JsonObject> FetchCatalogAsync(ServiceBrokerRecord broker, BrokerCaller caller)
    {
        var answer = await client.SendAsync(broker, HttpMethod.Get, "/v2/catalog", null, caller);
        if (answer.Status != 200)
        {
            throw BrokerErrors.Unexpected(answer);
        }

        return answer.Json as JsonObject ?? throw BrokerErrors.NotAnObject(answer);
    }

    public async Task<BrokerOutcome> ProvisionAsync(BrokerTarget target, JsonObject? parameters, bool acceptsIncomplete, BrokerCaller caller)
    {
        var space = store.Get<SpaceRecord>(target.Instance.SpaceGuid!);
        var body = new JsonObject
        {
            ["service_id"] = target.ServiceId,
            ["plan_id"] = target.PlanId,
            ["organization_guid"] = space?.OrganizationGuid,
            ["space_guid"] = space?.Guid,
            ["context"] = Context(target.Instance, ContextFor.Provision),
        };
        if (parameters is { Count: > 0 })
        {
            body["parameters"] = parameters.DeepClone();
        }

        var path = $"/v2/service_instances/{target.InstanceGuid}{Query(("accepts_incomplete", Incomplete(acceptsIncomplete)))}";
        BrokerAnswer? answer = null;
        try
        {
            answer = await client.SendAsync(target.Broker, HttpMethod.Put, path, body, caller);
            return answer.Status switch
            {
                200 or 201 => BrokerOutcome.Done(ObjectBody(answer)),
                202 => Accepted(answer),
                _ => throw BrokerErrors.Unexpected(answer),
            };
        }
        catch (CfApiException error) when (error.ErrorCode is not "CF-ServiceBrokerApiTimeout" && NeedsOrphanMitigation(error, answer))
        {
            await MitigateOrphanInstanceAsync(target, caller);
            throw;
        }
    }

    /// <summary>The follow-up deprovision after a provision CC cannot account for; its answer changes nothing for the caller.</summary>
    public async Task MitigateOrphanInstanceAsync(BrokerTarget target, BrokerCaller caller)
    {
        try
        {
            await client.SendAsync(target.Broker, HttpMethod.Delete,
                $"/v2/service_instances/{target.InstanceGuid}" + Query(("plan_id", target.PlanId), ("service_id", target.ServiceId)), null, caller);
        }
        catch (CfApiException error)
        {
            logger.LogWarning("Orphan mitigation of instance {Instance} failed: {Error}", target.InstanceGuid, error.Description);
        }
    }

    public async Task<BrokerOutcome> UpdateAsync(BrokerTarget target, ServicePlanRecord newPlan, JsonObject? parameters, bool acceptsIncomplete, BrokerCaller caller)
    {
        var space = store.Get<SpaceRecord>(target.Instance.SpaceGuid!);
        var body = new JsonObject
        {
            ["service_id"] = target.ServiceId,
            ["plan_id"] = newPlan.UniqueId!,
            ["previous_values"] = new JsonObject
            {
                ["plan_id"] = target.PlanId,
                ["service_id"] = target.ServiceId,
                ["organization_id"] = space?.OrganizationGuid,
                ["space_id"] = space?.Guid,
            },
            ["context"] = Context(target.Instance, ContextFor.Update),
        };
        if (parameters is not null)
        {
            body["parameters"] = parameters.DeepClone();
        }

        var path = $"/v2/service_instances/{target.InstanceGuid}{Query(("accepts_incomplete", Incomplete(acceptsIncomplete)))}";
        var answer = await client.SendAsync(target.Broker, HttpMethod.Patch, path, body, caller);
        return answer.Status switch
        {
            200 => BrokerOutcome.Done(ObjectBody(answer)),
            202 => Accepted(answer),
            201 => throw BrokerErrors.BadResponse(answer, ignoreDescription: true),
            422 when answer.Text("error") is not ("AsyncRequired" or "ConcurrencyError") => throw BrokerErrors.RequestRejected(answer),
            _ => throw BrokerErrors.Unexpected(answer),
        };
    }

    public async Task<BrokerOutcome> DeprovisionAsync(BrokerTarget target, bool acceptsIncomplete, BrokerCaller caller)
    {
        var path = $"/v2/service_instances/{target.InstanceGuid}" +
                   Query(("accepts_incomplete", Incomplete(acceptsIncomplete)), ("plan_id", target.PlanId), ("service_id", target.ServiceId));
        var answer = await client.SendAsync(target.Broker, HttpMethod.Delete, path, null, caller);
        var name = target.Instance.Name;
        return answer.Status switch
        {
            200 => BrokerOutcome.Done(ObjectBody(answer)),
            410 => BrokerOutcome.Done([]),
            202 => Accepted(answer),
            201 => throw BrokerErrors.BadResponse(answer, ignoreDescription: true).WithDescriptionPrefix($"Service instance {name}: "),
            409 => throw new CfApiException(409, "ServiceInstanceDeprovisionFailed", 60011,
                $"The service broker reported an error during deprovisioning: {BrokerErrors.Conflict(answer).Description}"),
            422 when answer.Text("error") == "ConcurrencyError" => throw CfApiException.InstanceOperationInProgress(name ?? ""),
            422 when answer.Text("error") == "AsyncRequired" => throw BrokerErrors.AsyncRequired(answer),
            _ => throw BrokerErrors.Unexpected(answer).WithDescriptionPrefix($"Service instance {name}: "),
        };
    }

    /// <summary>
    /// Binds an app (or, with <paramref name="app"/> null, creates a service key). After an answer CC cannot trust, a
    /// server error, a malformed success it created, or a timeout, the broker is told to unbind before the error is raised.
    /// </summary>
    public async Task<BrokerOutcome> BindAsync(BrokerTarget target, string bindingGuid, AppRecord? app, JsonObject? parameters, bool acceptsIncomplete,
        BrokerCaller caller)
    {
        var body = new JsonObject { ["service_id"] = target.ServiceId, ["plan_id"] = target.PlanId };
        if (app is not null)
        {
            body["app_guid"] = app.Guid;
            body["bind_resource"] = new JsonObject
            {
                ["app_guid"] = app.Guid, ["space_guid"] = app.SpaceGuid!, ["app_annotations"] = new JsonObject(),
            };
        }
        else
        {
            body["bind_resource"] = new JsonObject();
        }

        body["context"] = Context(target.Instance, ContextFor.Bind);
        if (parameters is { Count: > 0 })
        {
            body["parameters"] = parameters.DeepClone();
        }

        var path = $"{BindingPath(target, bindingGuid)}{Query(("accepts_incomplete", Incomplete(acceptsIncomplete)))}";
        BrokerAnswer? answer = null;
        try
        {
            answer = await client.SendAsync(target.Broker, HttpMethod.Put, path, body, caller);
            return answer.Status switch
            {
                200 or 201 => BrokerOutcome.Done(CheckBinding(target, answer)),
                202 => Accepted(answer),
                _ => throw BrokerErrors.Unexpected(answer),
            };
        }
        catch (CfApiException error) when (NeedsOrphanMitigation(error, answer, forKey: app is null))
        {
            await MitigateOrphanAsync(target, bindingGuid, caller);
            throw;
        }
    }

    /// <summary>
    /// CC's rule: bad responses, malformed answers (except a malformed 200, unless it was for a key) and timeouts leave
    /// something at the broker CC cannot account for.
    /// </summary>
    private static bool NeedsOrphanMitigation(CfApiException error, BrokerAnswer? answer, bool forKey = false) => error.ErrorCode switch
    {
        "CF-ServiceBrokerBadResponse" or "CF-ServiceBrokerApiTimeout" or "CF-HttpClientTimeout" or "CF-ServiceBrokerInvalidSyslogDrainUrl"
            or "CF-ServiceBrokerInvalidVolumeMounts" => true,
        "CF-ServiceBrokerResponseMalformed" => forKey || answer?.Status != 200,
        _ => false,
    };

    /// <summary>The follow-up unbind after a failed bind; what the broker answers to it changes nothing for the caller.</summary>
    public async Task MitigateOrphanAsync(BrokerTarget target, string bindingGuid, BrokerCaller caller)
    {
        try
        {
            await client.SendAsync(target.Broker, HttpMethod.Delete, BindingPath(target, bindingGuid) + Query(("plan_id", target.PlanId), ("service_id", target.ServiceId)),
                null, caller);
        }
        catch (CfApiException error)
        {
            logger.LogWarning("Orphan mitigation of binding {Binding} failed: {Error}", bindingGuid, error.Description);
        }
    }

    public async Task<BrokerOutcome> UnbindAsync(BrokerTarget target, string bindingGuid, bool acceptsIncomplete, BrokerCaller caller, Func<CfApiException> inProgress)
    {
        var path = BindingPath(target, bindingGuid) +
                   Query(("accepts_incomplete", Incomplete(acceptsIncomplete)), ("plan_id", target.PlanId), ("service_id", target.ServiceId));
        var answer = await client.SendAsync(target.Broker, HttpMethod.Delete, path, null, caller);
        return answer.Status switch
        {
            200 => BrokerOutcome.Done(ObjectBody(answer)),
            410 => BrokerOutcome.Done([]),
            202 => Accepted(answer),
            201 => throw BrokerErrors.BadResponse(answer, ignoreDescription: true),
            422 when answer.Text("error") == "ConcurrencyError" => throw inProgress(),
            _ => throw BrokerErrors.Unexpected(answer),
        };
    }

    /// <summary>A binding as the broker holds it, for a retrievable binding whose asynchronous creation finished, or for its parameters.</summary>
    public async Task<JsonObject> FetchBindingAsync(BrokerTarget target, string bindingGuid, BrokerCaller caller)
    {
        var answer = await client.SendAsync(target.Broker, HttpMethod.Get, BindingPath(target, bindingGuid), null, caller);
        return answer.Status == 200 ? ObjectBody(answer) : throw BrokerErrors.Unexpected(answer);
    }

    /// <summary>The parameters the broker holds for a binding or key: only that object of its answer is shown.</summary>
    public async Task<JsonObject> FetchParametersAsync(BrokerTarget target, string bindingGuid, BrokerCaller caller)
    {
        var answer = await client.SendAsync(target.Broker, HttpMethod.Get, BindingPath(target, bindingGuid), null, caller);
        var body = answer.Status == 200 ? ObjectBody(answer) : throw BrokerErrors.Unexpected(answer);
        return body["parameters"] switch
        {
            null => [],
            JsonObject parameters => parameters,
            _ => throw BrokerErrors.Malformed(answer, "expected parameters to be a JSON object"),
        };
    }

    public Task<BrokerOperationState?> InstanceOperationAsync(BrokerTarget target, string? operation) =>
        LastOperationAsync(target, $"/v2/service_instances/{target.InstanceGuid}/last_operation", operation);

    public Task<BrokerOperationState?> BindingOperationAsync(BrokerTarget target, string bindingGuid, string? operation) =>
        LastOperationAsync(target, BindingPath(target, bindingGuid) + "/last_operation", operation);

    /// <summary>One poll: the reported state, 410 as gone, 400 as failed; any other answer is no news (null), as CC keeps polling then.</summary>
    private async Task<BrokerOperationState?> LastOperationAsync(BrokerTarget target, string path, string? operation)
    {
        var answer = await client.SendAsync(target.Broker, HttpMethod.Get,
            path + Query(("operation", operation), ("plan_id", target.PlanId), ("service_id", target.ServiceId)), null, new BrokerCaller(null, null));
        return answer.Status switch
        {
            200 when answer.Text("state") is "in progress" or "succeeded" or "failed" => new BrokerOperationState(answer.Text("state")!, answer.Text("description")),
            410 => new BrokerOperationState("succeeded", null, Gone: true),
            400 => new BrokerOperationState("failed", answer.Text("description") ?? "Bad request"),
            _ => null,
        };
    }

    private static string BindingPath(BrokerTarget target, string bindingGuid) => $"/v2/service_instances/{target.InstanceGuid}/service_bindings/{bindingGuid}";

    private static JsonObject ObjectBody(BrokerAnswer answer) => answer.Json as JsonObject ?? throw BrokerErrors.NotAnObject(answer);

    private static BrokerOutcome Accepted(BrokerAnswer answer)
    {
        var body = ObjectBody(answer);
        if (body["operation"] is { } operation && (operation is not JsonValue value || !value.TryGetValue<string>(out var text) || text.Length > 10_000))
        {
            throw BrokerErrors.Malformed(answer, "expected operation to be a string of at most 10000 characters");
        }

        return new BrokerOutcome(true, answer.Text("operation"), body);
    }

    /// <summary>CC's checks of a bind's success body: an object, object credentials, and a drain or mounts only from services that declare them.</summary>
    private static JsonObject CheckBinding(BrokerTarget target, BrokerAnswer answer)
    {
        var body = ObjectBody(answer);
        if (body["credentials"] is { } credentials && credentials is not JsonObject)
        {
            throw BrokerErrors.Malformed(answer, "expected credentials to be a valid JSON object");
        }

        if (body["syslog_drain_url"] is not null && !target.Requires("syslog_drain"))
        {
            throw BrokerErrors.InvalidSyslogDrainUrl(answer);
        }

        if (body["volume_mounts"] is JsonArray { Count: > 0 } mounts)
        {
            if (!target.Requires("volume_mount"))
            {
                throw BrokerErrors.InvalidVolumeMounts(answer,
                    "The service is attempting to supply volume mounts from your application, but is not registered as a volume mount service. Please contact the service provider.");
            }

            foreach (var mount in mounts)
            {
                if (mount is not JsonObject)
                {
                    throw BrokerErrors.InvalidVolumeMounts(answer, "expected \"volume_mounts\" key to contain an array of JSON objects in body, broker returned '" + answer.Body + "'");
                }

                var missing = MountFields.FirstOrDefault(key => mount[key] is null);
                if (missing is not null)
                {
                    throw BrokerErrors.InvalidVolumeMounts(answer, $"required field '{missing}' is missing");
                }
            }
        }
        else if (body["volume_mounts"] is { } notArray && notArray is not JsonArray)
        {
            throw BrokerErrors.InvalidVolumeMounts(answer, "expected \"volume_mounts\" key to contain an array of JSON objects in body, broker returned '" + answer.Body + "'");
        }

        return body;
    }
}
