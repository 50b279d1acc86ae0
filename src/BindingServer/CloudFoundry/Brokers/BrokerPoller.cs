using System.Globalization;
using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Json;
using Microsoft.Extensions.Options;

namespace BindingServer.CloudFoundry.Brokers;

/// <summary>
/// Cloud Controller's polling jobs for asynchronous broker operations: every instance and binding whose last operation is
/// in progress is polled at the broker's <c>last_operation</c> (at once when the operation starts, then every
/// <c>CloudFoundry:BrokerPollIntervalSeconds</c>) until the broker reports it succeeded or failed, or the plan's (or
/// CC's) maximum polling duration passes. A finished create of a retrievable binding fetches the binding's credentials;
/// a finished delete removes the record.
/// </summary>
public sealed class BrokerPoller(CfStore store, BrokerOperations broker, IOptions<CloudFoundryOptions> options, TimeProvider clock, ILogger<BrokerPoller> logger)
    : BackgroundService
{
    private readonly SemaphoreSlim _wake = new(0, 1);

    /// <summary>Polls now rather than at the next interval: an operation has just started.</summary>
    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // A wake-up is pending already.
        }
    }

    private static string? Text(JsonObject record, string key) => record[key]?.GetValue<string>();

    private static bool InProgress(JsonObject record) => record["last_operation"]?["state"]?.GetValue<string>() == "in progress";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(TimeSpan.FromSeconds(options.Value.BrokerPollIntervalSeconds), stoppingToken);
                await PollOnceAsync();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A failed round must not end polling: the next round tries again.
            catch (Exception error)
#pragma warning restore CA1031
            {
                logger.LogWarning(error, "polling the service brokers failed");
            }
        }
    }

    /// <summary>One round over every operation in progress.</summary>
    public async Task PollOnceAsync()
    {
        foreach (var instance in store.List(CfStore.ServiceInstances).Where(InProgress))
        {
            if (BrokerTarget.Of(store, instance) is { } target)
            {
                await PollInstanceAsync(target);
            }
        }

        foreach (var binding in store.List(CfStore.ServiceBindings).Where(InProgress))
        {
            if (store.Get(CfStore.ServiceInstances, Text(binding, "service_instance_guid")!) is { } instance && BrokerTarget.Of(store, instance) is { } target)
            {
                await PollBindingAsync(target, binding);
            }
        }
    }

    /// <summary>Whether an operation has outlived the plan's <c>maximum_polling_duration</c> (seconds) or CC's limit.</summary>
    private bool Expired(BrokerTarget target, JsonObject record)
    {
        var started = DateTimeOffset.Parse(record["last_operation"]!["created_at"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        var limit = TimeSpan.FromMinutes(options.Value.BrokerMaxPollMinutes);
        if (target.Plan["maximum_polling_duration"] is JsonValue seconds && seconds.TryGetValue<int>(out var planLimit) && TimeSpan.FromSeconds(planLimit) < limit)
        {
            limit = TimeSpan.FromSeconds(planLimit);
        }

        return clock.GetUtcNow() - started > limit;
    }

    private async Task PollInstanceAsync(BrokerTarget target)
    {
        var instance = target.Instance;
        var type = instance["last_operation"]!["type"]!.GetValue<string>();
        BrokerOperationState? state;
        try
        {
            state = Expired(target, instance)
                ? new BrokerOperationState("failed", "Service Broker failed to provision within the required time.")
                : await broker.InstanceOperationAsync(target, Text(instance, "broker_operation"));
        }
        catch (CfApiException error)
        {
            logger.LogInformation("polling instance {Instance} failed: {Error}", target.InstanceGuid, error.Description);
            return;
        }

        // A 410 means done only for a delete; for anything else CC keeps polling.
        if (state is null || state.State == "in progress" || (state.Gone && type != "delete"))
        {
            await SetDescriptionAsync(CfStore.ServiceInstances, target.InstanceGuid, state?.Gone == true ? null : state?.Description);
            return;
        }

        if (type == "delete" && state.State == "succeeded")
        {
            await store.DeleteAsync(CfStore.ServiceInstances, target.InstanceGuid);
            return;
        }

        await store.UpdateAsync(CfStore.ServiceInstances, target.InstanceGuid, record =>
        {
            if (type == "update" && state.State == "succeeded" && Text(record, "pending_plan_guid") is { } plan)
            {
                record["service_plan_guid"] = plan;
            }

            record.Remove("pending_plan_guid");
            record.Remove("broker_operation");
            Finish(record, state.State, state.Description);
        });
    }

    private async Task PollBindingAsync(BrokerTarget target, JsonObject binding)
    {
        var guid = Text(binding, "guid")!;
        var type = binding["last_operation"]!["type"]!.GetValue<string>();
        BrokerOperationState? state;
        try
        {
            state = Expired(target, binding)
                ? new BrokerOperationState("failed", $"Service Broker failed to {type} binding within the required time.")
                : await broker.BindingOperationAsync(target, guid, Text(binding, "broker_operation"));
        }
        catch (CfApiException error)
        {
            logger.LogInformation("polling binding {Binding} failed: {Error}", guid, error.Description);
            return;
        }

        if (state is null || state.State == "in progress" || (state.Gone && type != "delete"))
        {
            await SetDescriptionAsync(CfStore.ServiceBindings, guid, state?.Gone == true ? null : state?.Description);
            return;
        }

        if (type == "delete" && state.State == "succeeded")
        {
            await store.DeleteAsync(CfStore.ServiceBindings, guid);
            return;
        }

        JsonObject? fetched = null;
        var outcome = state;
        if (type == "create" && state.State == "succeeded")
        {
            try
            {
                fetched = await broker.FetchBindingAsync(target, guid, new BrokerCaller(null, null));
            }
            catch (CfApiException)
            {
                outcome = new BrokerOperationState("failed", "A valid binding could not be fetched from the service broker.");
            }
        }

        await store.UpdateAsync(CfStore.ServiceBindings, guid, record =>
        {
            if (fetched is not null)
            {
                record["credentials"] = fetched["credentials"]?.DeepClone() ?? new JsonObject();
                record["syslog_drain_url"] = fetched["syslog_drain_url"]?.DeepClone();
                record["volume_mounts"] = fetched["volume_mounts"]?.DeepClone() ?? new JsonArray();
            }

            record.Remove("broker_operation");
            Finish(record, outcome.State, outcome.Description);
        });
    }

    private void Finish(JsonObject record, string state, string? description)
    {
        record["last_operation"]!["state"] = state;
        record["last_operation"]!["description"] = description ?? "";
        record["last_operation"]!["updated_at"] = KubeTimeConverter.ToText(clock.GetUtcNow());
    }

    /// <summary>An operation still under way shows the broker's latest description, as CC stores it from each poll.</summary>
    private async Task SetDescriptionAsync(string collection, string guid, string? description)
    {
        if (description is null || store.Get(collection, guid)?["last_operation"]?["description"]?.GetValue<string>() == description)
        {
            return;
        }

        await store.UpdateAsync(collection, guid, record => record["last_operation"]!["description"] = description);
    }
}
