using System.Text.Json.Nodes;

namespace BindingServer.CloudFoundry.Brokers;

/// <summary>
/// Deleting what bindings and keys hang on: an app or instance with bindings (or keys) is refused unless
/// <c>recursive=true</c>, and then each binding and key is removed at its broker first; a managed instance is then
/// deprovisioned, synchronously or (when the client accepts it) asynchronously.
/// </summary>
public sealed class ServiceLifecycle(CfStore store, CfAccess access, CfPresenters present, Unbinder unbinder, BrokerOperations broker, BrokerPoller poller)
{
    /// <summary>Instance names are at most 255 characters and unique in their space.</summary>
    public void CheckInstanceName(string spaceGuid, string name)
    {
        if (name.Length > 255)
        {
            throw new CfApiException(400, "ServiceInstanceNameTooLong", 60009, "You have requested an invalid service instance name. Names are limited to 255 characters.");
        }

        if (store.List<ServiceInstanceRecord>().Any(i => i.SpaceGuid == spaceGuid && i.Name == name))
        {
            throw CfApiException.ServiceInstanceNameTaken(name);
        }
    }

    public async Task DeleteAppAsync(HttpContext context, CfUser user, string guid)
    {
        var bindings = store.List<ServiceBindingRecord>().Where(b => b.AppGuid == guid).ToList();
        if (bindings.Count > 0 && context.Request.Query["recursive"] != "true")
        {
            throw CfApiException.AssociationNotEmpty("service_bindings", "processes");
        }

        foreach (var binding in bindings)
        {
            await unbinder.UnbindAsync(binding, acceptsIncomplete: false, BrokerCaller.Of(context, user));
        }

        await store.DeleteAsync<AppRecord>(guid);
        await CfHttp.WriteAsync(context, 204, null);
    }

    /// <summary>DELETE of either kind of instance; only a managed one has a broker to tell.</summary>
    public async Task DeleteInstanceAsync(HttpContext context, string guid, bool userProvided)
    {
        var user = access.Writer(context);
        var instance = store.Get<ServiceInstanceRecord>(guid);
        if (instance is null || instance.IsUserProvided != userProvided)
        {
            throw userProvided ? CfApiException.UserProvidedServiceInstanceNotFound(guid) : CfApiException.ServiceInstanceNotFound(guid);
        }

        var (space, org) = access.SpacePlace(instance.SpaceGuid!);
        CfRoles.CheckMayChange(user, space, org);
        var acceptsIncomplete = CfAccess.AcceptsIncomplete(context.Request);
        if (instance.LastOperationState is "in progress")
        {
            throw CfApiException.InstanceOperationInProgress(instance.Name!);
        }

        var bindings = store.List<ServiceBindingRecord>().Where(b => b.ServiceInstanceGuid == guid).ToList();
        var keys = store.List<ServiceKeyRecord>().Where(k => k.ServiceInstanceGuid == guid).ToList();
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

                var marked = await store.UpdateAsync<ServiceInstanceRecord>(guid, record =>
                {
                    record.LastOperation = store.Operation("delete", "in progress");
                    record.BrokerOperation = outcome.Operation;
                });
                poller.Wake();
                await CfHttp.WriteAsync(context, 202, present.Instance(marked!), CfPresenters.InstanceUrl(marked!));
                return;
            }
        }

        await store.DeleteAsync<ServiceInstanceRecord>(guid);
        await CfHttp.WriteAsync(context, 204, null);
    }

    /// <summary>An instance whose broker refused an update or delete keeps that operation, failed, as CC's locks leave it.</summary>
    public Task FailAsync(string instanceGuid, string type, string description) =>
        store.UpdateAsync<ServiceInstanceRecord>(instanceGuid, record => record.LastOperation = store.Operation(type, "failed", description));

    /// <summary>A service key is a binding without an app: the broker unbinds it, then the record goes.</summary>
    public async Task DeleteKeyAsync(ServiceKeyRecord key, BrokerCaller caller)
    {
        var guid = key.Guid;
        var instance = store.Get<ServiceInstanceRecord>(key.ServiceInstanceGuid!);
        if (instance is not null && BrokerTarget.Of(store, instance) is { } target)
        {
            try
            {
                await broker.UnbindAsync(target, guid, acceptsIncomplete: false, caller, () => CfApiException.InstanceOperationInProgress(instance.Name!));
            }
            catch (CfApiException error)
            {
                throw error.WithDescriptionPrefix($"An unbind operation for the service key {key.Name} of service instance {instance.Name} failed: ");
            }
        }

        await store.DeleteAsync<ServiceKeyRecord>(guid);
    }
}
