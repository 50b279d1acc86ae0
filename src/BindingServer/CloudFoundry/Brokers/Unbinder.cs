using System.Text.Json.Nodes;

namespace BindingServer.CloudFoundry.Brokers;

public enum UnbindResult
{
    Deleted,

    /// <summary>The broker answered 202 to a client that did not accept it: CC deletes its record anyway, with a warning.</summary>
    DeletedDespiteAsynchronousAnswer,

    /// <summary>The broker unbinds asynchronously: the binding stays, its delete in progress, until polling finds it done.</summary>
    InProgress,
}

/// <summary>
/// Removes an app binding as CC's ServiceBindingDelete does, for the DELETE endpoints, background jobs and recursive
/// deletes alike: refused while the instance or the binding is busy, unbound at the broker for a managed instance, and
/// only then removed from the store.
/// </summary>
public sealed class Unbinder(CfStore store, BrokerOperations broker, BrokerPoller poller)
{
    /// <summary>Why an unbind cannot run now, in CC's order: the instance busy, then a delete of the binding already under way.</summary>
    public CfApiException? Refusal(ServiceBindingRecord binding)
    {
        var instance = store.Get<ServiceInstanceRecord>(binding.ServiceInstanceGuid!);
        if (instance?.LastOperationState is "initial" or "in progress")
        {
            return CfApiException.InstanceOperationInProgress(instance.Name!);
        }

        if (binding.LastOperationState == "in progress" && binding.LastOperationType != "create")
        {
            return InProgress(binding, instance);
        }

        return null;
    }

    private CfApiException InProgress(ServiceBindingRecord binding, ServiceInstanceRecord? instance)
    {
        var app = store.Get<AppRecord>(binding.AppGuid!);
        return CfApiException.BindingOperationInProgress(app is null ? "" : app.Name!, instance is null ? "" : instance.Name!);
    }

    public async Task<(UnbindResult Result, ServiceBindingRecord? Marked)> UnbindAsync(ServiceBindingRecord binding, bool acceptsIncomplete, BrokerCaller caller)
    {
        if (Refusal(binding) is { } refusal)
        {
            throw refusal;
        }

        var guid = binding.Guid;
        var instance = store.Get<ServiceInstanceRecord>(binding.ServiceInstanceGuid!);
        var target = instance is null ? null : BrokerTarget.Of(store, instance);
        if (target is null)
        {
            await store.DeleteAsync<ServiceBindingRecord>(guid);
            return (UnbindResult.Deleted, null);
        }

        BrokerOutcome outcome;
        try
        {
            outcome = await broker.UnbindAsync(target, guid, acceptsIncomplete, caller, () => InProgress(binding, instance));
        }
        catch (CfApiException error) when (error.ErrorCode != "CF-AsyncServiceBindingOperationInProgress")
        {
            var app = store.Get<AppRecord>(binding.AppGuid!);
            throw error.WithDescriptionPrefix(
                $"An unbind operation for the service binding between app {(app is null ? "" : app.Name)} and service instance {instance!.Name} failed: ");
        }

        if (outcome.Asynchronous && acceptsIncomplete)
        {
            var marked = await store.UpdateAsync<ServiceBindingRecord>(guid, record =>
            {
                record.LastOperation = store.Operation("delete", "in progress");
                record.BrokerOperation = outcome.Operation;
            });
            poller.Wake();
            return (UnbindResult.InProgress, marked);
        }

        await store.DeleteAsync<ServiceBindingRecord>(guid);
        return (outcome.Asynchronous ? UnbindResult.DeletedDespiteAsynchronousAnswer : UnbindResult.Deleted, null);
    }
}
