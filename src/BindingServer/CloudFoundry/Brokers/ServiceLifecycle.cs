using System.Text.Json.Nodes;

namespace BindingServer.CloudFoundry.Brokers;

/// <summary>
/// Deleting what bindings and keys hang on: an app or instance with bindings (or keys) is refused unless
/// <c>recursive=true</c>, and then each binding and key is removed at its broker first; a managed instance is then
/// deprovisioned, synchronously or (when the client accepts it) asynchronously.
/// </summary>
public sealed class ServiceLifecycle(CfStore store, CfAccess access, CfPresenters present, Unbinder unbinder, BrokerOperations broker, BrokerPoller poller)
{
    private static string? Text(JsonObject record, string key) => record[key]?.GetValue<string>();

    /// <summary>Instance names are at most 255 characters and unique in their space.</summary>
    public void CheckInstanceName(string spaceGuid, string name)
    {
        if (name.Length > 255)
        {
            throw new CfApiException(400, "ServiceInstanceNameTooLong", 60009, "You have requested an invalid service instance name. Names are limited to 255 characters.");
        }

        if (store.List(CfStore.ServiceInstances).Any(i => Text(i, "space_guid") == spaceGuid && Text(i, "name") == name))
        {
            throw CfApiException.ServiceInstanceNameTaken(name);
        }
    }

    public async Task DeleteAppAsync(HttpContext context, CfUser user, string guid)
    {
        var bindings = store.List(CfStore.ServiceBindings).Where(b => Text(b, "app_guid") == guid).ToList();
        if (bindings.Count > 0 && context.Request.Query["recursive"] != "true")
        {
            throw CfApiException.AssociationNotEmpty("service_bindings", "processes");
        }

        foreach (var binding in bindings)
        {
            await unbinder.UnbindAsync(binding, acceptsIncomplete: false, BrokerCaller.Of(context, user));
        }

        await store.DeleteAsync(CfStore.Apps, guid);
        await CfHttp.WriteAsync(context, 204, null);
    }

    /// <summary>DELETE of either kind of instance; only a managed one has a broker to tell.</summary>
    public async Task DeleteInstanceAsync(HttpContext context, string guid, bool userProvided)
    {
        var user = access.Writer(context);
        var instance = store.Get(CfStore.ServiceInstances, guid);
        if (instance is null || CfPresenters.IsUserProvided(instance) != userProvided)
        {
            throw userProvided ? CfApiException.UserProvidedServiceInstanceNotFound(guid) : CfApiException.ServiceInstanceNotFound(guid);
        }

        var (space, org) = access.SpacePlace(Text(instance, "space_guid")!);
        CfRoles.CheckMayChange(user, space, org);
        var acceptsIncomplete = CfAccess.AcceptsIncomplete(context.Request);
        if (instance["last_operation"]?["state"]?.GetValue<string>() is "in progress")
        {
            throw CfApiException.InstanceOperationInProgress(Text(instance, "name")!);
        }

        var bindings = store.List(CfStore.ServiceBindings).Where(b => Text(b, "service_instance_guid") == guid).ToList();
        var keys = store.List(CfStore.ServiceKeys).Where(k => Text(k, "service_instance_guid") == guid).ToList();
        if ((bindings.Count > 0 || keys.Count > 0) && context.Request.Query["recursive"] != "true")
        {
            // CC names every association the instance kind has, not only those in the way.
            throw CfApiException.AssociationNotEmpty(userProvided ? "service_bindings and routes" : "service_bindings, service_keys, and routes", "service_instances");
        }

        var caller = BrokerCaller.Of(context, user);
        foreach (var binding in bindings)
        {
            await unbinder.UnbindAsync(binding, acceptsIncomplete: false, caller);
        }

        foreach (var key in keys)
        {
            await DeleteKeyAsync(key, caller);
        }

        var target = BrokerTarget.Of(store, instance);
        if (target is not null)
        {
            BrokerOutcome outcome;
            try
            {
                outcome = await broker.DeprovisionAsync(target, acceptsIncomplete, caller);
            }
            catch (CfApiException error)
            {
                await FailAsync(guid, "delete", error.Description);
                throw;
            }

            if (outcome.Asynchronous)
            {
                if (!acceptsIncomplete)
                {
                    throw CfApiException.AsyncNotAllowed();
                }

                var marked = await store.UpdateAsync(CfStore.ServiceInstances, guid, record =>
                {
                    record["last_operation"] = store.Operation("delete", "in progress");
                    record["broker_operation"] = outcome.Operation;
                });
                poller.Wake();
                await CfHttp.WriteAsync(context, 202, present.Instance(marked!), CfPresenters.InstanceUrl(marked!));
                return;
            }
        }

        await store.DeleteAsync(CfStore.ServiceInstances, guid);
        await CfHttp.WriteAsync(context, 204, null);
    }

    /// <summary>An instance whose broker refused an update or delete keeps that operation, failed, as CC's locks leave it.</summary>
    public Task FailAsync(string instanceGuid, string type, string description) =>
        store.UpdateAsync(CfStore.ServiceInstances, instanceGuid, record => record["last_operation"] = store.Operation(type, "failed", description));

    /// <summary>A service key is a binding without an app: the broker unbinds it, then the record goes.</summary>
    public async Task DeleteKeyAsync(JsonObject key, BrokerCaller caller)
    {
        var guid = Text(key, "guid")!;
        var instance = store.Get(CfStore.ServiceInstances, Text(key, "service_instance_guid")!);
        if (instance is not null && BrokerTarget.Of(store, instance) is { } target)
        {
            try
            {
                await broker.UnbindAsync(target, guid, acceptsIncomplete: false, caller, () => CfApiException.InstanceOperationInProgress(Text(instance, "name")!));
            }
            catch (CfApiException error)
            {
                throw error.WithDescriptionPrefix($"An unbind operation for the service key {Text(key, "name")} of service instance {Text(instance, "name")} failed: ");
            }
        }

        await store.DeleteAsync(CfStore.ServiceKeys, guid);
    }
}
