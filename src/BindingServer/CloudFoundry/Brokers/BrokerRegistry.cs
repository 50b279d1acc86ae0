using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace BindingServer.CloudFoundry.Brokers;

/// <summary>The broker fields a registration or an update gives; null leaves a field as it is.</summary>
public sealed record BrokerFields(string? Name, string? Url, string? Username, string? Password, string? SpaceGuid);

/// <summary>
/// Registering, updating and removing service brokers as CC's ServiceBrokerRegistration does: the broker's record is
/// checked (URL, name), its catalog fetched and validated, and then broker, services and plans are written in one
/// transaction. The built-in broker is registered the same way when a store is seeded, its catalog read directly
/// because the server is not listening yet; every later call to it goes over HTTP.
/// </summary>
public sealed class BrokerRegistry(CfStore store, BrokerOperations operations, IOptions<CloudFoundryOptions> options)
{
    public const string BuiltInName = "bindingserver";

    public static readonly string BuiltInGuid = CfStore.StableGuid("service_brokers/bindingserver");

    /// <summary>A string field of a broker's catalog entry.</summary>
    private static string? Text(JsonObject entry, string key) => entry[key]?.GetValue<string>();

    public static CfApiException NameTaken() => new(400, "ServiceBrokerNameTaken", 270002, "The service broker name is taken");

    /// <summary>The start state: the default org and space, and the built-in broker with its plans public.</summary>
    public async Task SeedAsync()
    {
        await store.SeedAsync();
        if (store.Get<ServiceBrokerRecord>(BuiltInGuid) is not null)
        {
            return;
        }

        var now = store.Now;
        var broker = ServiceBrokerRecord.New(BuiltInGuid, now, BuiltInName, BuiltInBroker.Prefix, builtIn: true, options.Value.BuiltInBrokerUsername,
            options.Value.BuiltInBrokerPassword, spaceGuid: null);
        await store.CommitAsync(() =>
            CatalogSync.Writes(store, BuiltInGuid, BuiltInBroker.Catalog(), publicPlans: true, stableGuids: true, now).Prepend(CfStore.Write(broker)));
    }

    /// <summary>CC's model checks on a broker, in its order: a valid http(s) URL, no credentials in it, a free name.</summary>
    private void CheckRecord(ServiceBrokerRecord broker)
    {
        var url = broker.BrokerUrl!;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
        {
            throw new CfApiException(400, "ServiceBrokerUrlInvalid", 270011, $"{url} is not a valid URL");
        }

        if (uri.UserInfo.Length > 0)
        {
            throw new CfApiException(400, "ServiceBrokerUrlBasicAuthNotSupported", 270016, "User name and password fields in the broker URI are not supported");
        }

        CheckNameFree(broker);
    }

    private void CheckNameFree(ServiceBrokerRecord broker)
    {
        if (store.List<ServiceBrokerRecord>().Any(b => b.Name == broker.Name && b.Guid != broker.Guid))
        {
            throw NameTaken();
        }
    }

    public async Task<(ServiceBrokerRecord Broker, List<string> Warnings)> CreateAsync(BrokerFields fields, BrokerCaller caller)
    {
        var now = store.Now;
        var guid = Guid.NewGuid().ToString();
        var broker = ServiceBrokerRecord.New(guid, now, fields.Name, fields.Url, builtIn: null, fields.Username, fields.Password, fields.SpaceGuid);
        CheckRecord(broker);
        var catalog = await operations.FetchCatalogAsync(broker, caller);
        CatalogSync.Validate(catalog);
        await store.CommitAsync(() =>
        {
            CheckNameFree(broker);
            return CatalogSync.Writes(store, guid, catalog, publicPlans: false, stableGuids: false, now).Prepend(CfStore.Write(broker));
        });
        return (store.Get<ServiceBrokerRecord>(guid)!, Warnings(catalog, []));
    }

    /// <summary>A new name alone is CC's own business; anything else fetches the catalog again and re-syncs services and plans.</summary>
    public async Task<(ServiceBrokerRecord Broker, List<string> Warnings)> UpdateAsync(ServiceBrokerRecord broker, BrokerFields fields, BrokerCaller caller)
    {
        var guid = broker.Guid;
        var onlyName = fields.Url is null && fields.Username is null && fields.Password is null;
        broker.Name = fields.Name ?? broker.Name;
        if (!onlyName)
        {
            broker.IsBuiltIn = broker.IsBuiltIn && fields.Url is null;
            broker.BrokerUrl = fields.Url ?? broker.BrokerUrl;
            broker.AuthUsername = fields.Username ?? broker.AuthUsername;
            broker.AuthPassword = fields.Password ?? broker.AuthPassword;
        }

        if (broker.IsBuiltIn)
        {
            CheckNameFree(broker);
        }
        else
        {
            CheckRecord(broker);
        }

        if (onlyName)
        {
            await store.CommitAsync(() =>
            {
                CheckNameFree(broker);
                return [CfStore.Write(broker)];
            });
            return (store.Get<ServiceBrokerRecord>(guid)!, []);
        }

        var catalog = await operations.FetchCatalogAsync(broker, caller);
        CatalogSync.Validate(catalog);
        var deactivated = new List<(string Service, string Plan)>();
        await store.CommitAsync(() =>
        {
            CheckNameFree(broker);
            var writes = CatalogSync.Writes(store, guid, catalog, publicPlans: false, stableGuids: false, store.Now);
            deactivated.AddRange(writes.Where(w => w.Collection == CfStore.ServicePlans && w.Record is not null).Select(w => ServicePlanRecord.Wrap(w.Record!))
                .Where(plan => plan.Active == false)
                .Select(plan => (store.Get<ServiceRecord>(plan.ServiceGuid!)?.Label ?? "", plan.Name!)));
            return writes.Prepend(CfStore.Write(broker));
        });
        return (store.Get<ServiceBrokerRecord>(guid)!, Warnings(catalog, deactivated, broker.BrokerUrl));
    }

    /// <summary>Removes a broker with its services, plans and visibilities, unless instances still use its plans.</summary>
    public Task DeleteAsync(ServiceBrokerRecord broker) => store.CommitAsync(() =>
    {
        var guid = broker.Guid;
        var services = store.List<ServiceRecord>().Where(s => s.ServiceBrokerGuid == guid).Select(s => s.Guid).ToHashSet();
        var plans = store.List<ServicePlanRecord>().Where(p => services.Contains(p.ServiceGuid!)).Select(p => p.Guid).ToHashSet();
        if (store.List<ServiceInstanceRecord>().Any(i => plans.Contains(i.ServicePlanGuid ?? "")))
        {
            throw new CfApiException(400, "ServiceBrokerNotRemovable", 270010, $"Can not remove brokers that have associated service instances: {broker.Name}");
        }

        return store.List<ServicePlanVisibilityRecord>().Where(v => plans.Contains(v.ServicePlanGuid!))
            .Select(v => CfStore.Removal<ServicePlanVisibilityRecord>(v.Guid))
            .Concat(plans.Select(CfStore.Removal<ServicePlanRecord>))
            .Concat(services.Select(CfStore.Removal<ServiceRecord>))
            .Append(CfStore.Removal<ServiceBrokerRecord>(guid));
    });

    /// <summary>The warnings CC gives a registration: volume services it cannot bind, and plans it could only deactivate.</summary>
    private List<string> Warnings(JsonObject catalog, List<(string Service, string Plan)> deactivated, string? brokerUrl = null)
    {
        var warnings = new List<string>();
        if (!options.Value.VolumeServicesEnabled)
        {
            warnings.AddRange(catalog["services"]!.AsArray().OfType<JsonObject>()
                .Where(s => s["requires"] is JsonArray requires && requires.Any(r => r?.ToString() == "volume_mount"))
                .Select(s =>
                    $"Service {Text(s, "name")} is declared to be a volume mount service but support for volume mount services is disabled. Users will be prevented from binding instances of this service with apps."));
        }

        if (deactivated.Count > 0)
        {
            var text = new System.Text.StringBuilder(
                $"Warning: Service plans are missing from the broker's catalog ({brokerUrl}/v2/catalog) but can not be removed from Cloud Foundry while instances exist. The plans have been deactivated to prevent users from attempting to provision new instances of these plans. The broker should continue to support bind, unbind, and delete for existing instances; if these operations fail contact your broker provider.\n");
            foreach (var service in deactivated.GroupBy(d => d.Service).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                text.Append($"\nService Offering: {service.Key}\nPlans deactivated: {string.Join(", ", service.Select(d => d.Plan))}\n");
            }

            warnings.Add(text.ToString());
        }

        return warnings;
    }
}
