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
    private static string? Text(JsonObject record, string key) => record[key]?.GetValue<string>();

    /// <summary>Why an unbind cannot run now, in CC's order: the instance busy, then a delete of the binding already under way.</summary>
    public CfApiException? Refusal(JsonObject binding)
    {
        var instance = store.Get(CfStore.ServiceInstances, Text(binding, "service_instance_guid")!);
        if (instance?["last_operation"]?["state"]?.GetValue<string>() is "initial" or "in progress")
        {
            return CfApiException.InstanceOperationInProgress(Text(instance, "name")!);
        }

        if (binding["last_operation"]?["state"]?.GetValue<string>() == "in progress" && binding["last_operation"]?["type"]?.GetValue<string>() != "create")
        {
            return InProgress(binding, instance);
        }

        return null;
    }

    private CfApiException InProgress(JsonObject binding, JsonObject? instance)
    {
        var app = store.Get(CfStore.Apps, Text(binding, "app_guid")!);
        return CfApiException.BindingOperationInProgress(app is null ? "" : Text(app, "name")!, instance is null ? "" : Text(instance, "name")!);
    }

    public async Task<(UnbindResult Result, JsonObject? Marked)> UnbindAsync(JsonObject binding, bool acceptsIncomplete, BrokerCaller caller)
    {
        if (Refusal(binding) is { } refusal)
        {
            throw refusal;
        }

        var guid = Text(binding, "guid")!;
        var instance = store.Get(CfStore.ServiceInstances, Text(binding, "service_instance_guid")!);
        var target = instance is null ? null : BrokerTarget.Of(store, instance);
        if (target is null)
        {
            await store.DeleteAsync(CfStore.ServiceBindings, guid);
            return (UnbindResult.Deleted, null);
        }

        BrokerOutcome outcome;
        try
        {
            outcome = await broker.UnbindAsync(target, guid, acceptsIncomplete, caller, () => InProgress(binding, instance));
        }
        catch (CfApiException error) when (error.ErrorCode != "CF-AsyncServiceBindingOperationInProgress")
        {
            var app = store.Get(CfStore.Apps, Text(binding, "app_guid")!);
            throw error.WithDescriptionPrefix(
                $"An unbind operation for the service binding between app {(app is null ? "" : Text(app, "name"))} and service instance {Text(instance!, "name")} failed: ");
        }

        if (outcome.Asynchronous && acceptsIncomplete)
        {
            var marked = await store.UpdateAsync(CfStore.ServiceBindings, guid, record =>
            {
                record["last_operation"] = store.Operation("delete", "in progress");
                record["broker_operation"] = outcome.Operation;
            });
            poller.Wake();
            return (UnbindResult.InProgress, marked);
        }

        await store.DeleteAsync(CfStore.ServiceBindings, guid);
        return (outcome.Asynchronous ? UnbindResult.DeletedDespiteAsynchronousAnswer : UnbindResult.Deleted, null);
    }
}
