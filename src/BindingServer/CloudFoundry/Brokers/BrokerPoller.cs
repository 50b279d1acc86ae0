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

    private static readonly string[] OperationCollections = [CfStore.ServiceInstances, CfStore.ServiceBindings];

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

    private static bool InProgress(CfOperationRecord record) => record.LastOperationState == "in progress";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var seen = store.Current;
                if (await PollOnceAsync())
                {
                    await _wake.WaitAsync(TimeSpan.FromSeconds(options.Value.BrokerPollIntervalSeconds), stoppingToken);
                }
                else
                {
                    // Nothing in progress: only a changed instance or binding (an operation starting) can give work.
                    await store.ChangedAsync(seen, OperationCollections, stoppingToken);
                }
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
    /// <returns>Whether any operation was in progress (and so may still be).</returns>
    public async Task<bool> PollOnceAsync()
    {
        var any = false;
        foreach (var instance in store.List<ServiceInstanceRecord>().Where(InProgress))
        {
            any = true;
            if (BrokerTarget.Of(store, instance) is { } target)
            {
                await PollInstanceAsync(target);
            }
        }

        foreach (var binding in store.List<ServiceBindingRecord>().Where(InProgress))
        {
            any = true;
            if (store.Get<ServiceInstanceRecord>(binding.ServiceInstanceGuid!) is { } instance && BrokerTarget.Of(store, instance) is { } target)
            {
                await PollBindingAsync(target, binding);
            }
        }

        return any;
    }

    /// <summary>Whether an operation has outlived the plan's <c>maximum_polling_duration</c> (seconds) or CC's limit.</summary>
    private bool Expired(BrokerTarget target, CfOperationRecord record)
    {
        var started = DateTimeOffset.Parse(record.LastOperationCreatedAt, CultureInfo.InvariantCulture);
        var limit = TimeSpan.FromMinutes(options.Value.BrokerMaxPollMinutes);
        if (target.Plan.MaximumPollingDuration is JsonValue seconds && seconds.TryGetValue<int>(out var planLimit) && TimeSpan.FromSeconds(planLimit) < limit)
        {
            limit = TimeSpan.FromSeconds(planLimit);
        }

        return clock.GetUtcNow() - started > limit;
    }

    private async Task PollInstanceAsync(BrokerTarget target)
    {
        var instance = target.Instance;
        var type = instance.LastOperationType!;
        BrokerOperationState? state;
        try
        {
            state = Expired(target, instance)
                ? new BrokerOperationState("failed", "Service Broker failed to provision within the required time.")
                : await broker.InstanceOperationAsync(target, instance.BrokerOperation);
        }
        catch (CfApiException error)
        {
            logger.LogInformation("polling instance {Instance} failed: {Error}", target.InstanceGuid, error.Description);
            return;
        }

        // A 410 means done only for a delete; for anything else CC keeps polling.
        if (state is null || state.State == "in progress" || (state.Gone && type != "delete"))
        {
            await SetDescriptionAsync(target.InstanceGuid, state?.Gone == true ? null : state?.Description, instance);
            return;
        }

        if (type == "delete" && state.State == "succeeded")
        {
            await store.DeleteAsync<ServiceInstanceRecord>(target.InstanceGuid);
            return;
        }

        await store.UpdateAsync<ServiceInstanceRecord>(target.InstanceGuid, record =>
        {
            if (type == "update" && state.State == "succeeded" && record.PendingPlanGuid is { } plan)
            {
                record.ServicePlanGuid = plan;
            }

            record.RemovePendingPlanGuid();
            record.RemoveBrokerOperation();
            Finish(record, state.State, state.Description);
        }, when: record => SameOperation(record, instance));
    }

    /// <summary>
    /// Whether the record still carries the operation that was polled: a poll answered after the user started another
    /// (a delete during a create) must not finish the newer one with the older one's outcome.
    /// </summary>
    private static bool SameOperation(CfOperationRecord stored, CfOperationRecord polled) =>
        stored.LastOperationType == polled.LastOperationType && stored.LastOperationCreatedAt == polled.LastOperationCreatedAt;

    private async Task PollBindingAsync(BrokerTarget target, ServiceBindingRecord binding)
    {
        var guid = binding.Guid;
        var type = binding.LastOperationType!;
        BrokerOperationState? state;
        try
        {
            state = Expired(target, binding)
                ? new BrokerOperationState("failed", $"Service Broker failed to {type} binding within the required time.")
                : await broker.BindingOperationAsync(target, guid, binding.BrokerOperation);
        }
        catch (CfApiException error)
        {
            logger.LogInformation("polling binding {Binding} failed: {Error}", guid, error.Description);
            return;
        }

        if (state is null || state.State == "in progress" || (state.Gone && type != "delete"))
        {
            await SetDescriptionAsync(guid, state?.Gone == true ? null : state?.Description, binding);
            return;
        }

        if (type == "delete" && state.State == "succeeded")
        {
            await store.DeleteAsync<ServiceBindingRecord>(guid);
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

        await store.UpdateAsync<ServiceBindingRecord>(guid, record =>
        {
            if (fetched is not null)
            {
                // The broker's binding as OSB's fetch returns it.
                record.Credentials = fetched["credentials"]?.DeepClone() ?? new JsonObject();
                record.SyslogDrainUrl = fetched["syslog_drain_url"]?.DeepClone();
                record.VolumeMounts = fetched["volume_mounts"]?.DeepClone() ?? new JsonArray();
            }

            record.RemoveBrokerOperation();
            Finish(record, outcome.State, outcome.Description);
        }, when: record => SameOperation(record, binding));
    }

    private void Finish(CfOperationRecord record, string state, string? description) =>
        record.FinishOperation(state, description ?? "", KubeTimeConverter.ToText(clock.GetUtcNow()));

    /// <summary>An operation still under way shows the broker's latest description, as CC stores it from each poll.</summary>
    private async Task SetDescriptionAsync<T>(string guid, string? description, T polled) where T : CfOperationRecord, ICfRecord<T>
    {
        if (description is null || store.Get<T>(guid)?.LastOperationDescription == description)
        {
            return;
        }

        await store.UpdateAsync<T>(guid, record => record.SetOperationDescription(description), when: record => SameOperation(record, polled));
    }
}
