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

    private static string? Text(JsonObject record, string key) => record[key]?.GetValue<string>();

    public static CfApiException NameTaken() => new(400, "ServiceBrokerNameTaken", 270002, "The service broker name is taken");

    /// <summary>The start state: the default org and space, and the built-in broker with its plans public.</summary>
    public async Task SeedAsync()
    {
        await store.SeedAsync();
        if (store.Get(CfStore.ServiceBrokers, BuiltInGuid) is not null)
        {
            return;
        }

        var now = store.Now;
        var broker = new JsonObject
        {
            ["guid"] = BuiltInGuid, ["created_at"] = now, ["name"] = BuiltInName, ["broker_url"] = BuiltInBroker.Prefix, ["builtin"] = true,
            ["auth_username"] = options.Value.BuiltInBrokerUsername, ["auth_password"] = options.Value.BuiltInBrokerPassword, ["space_guid"] = null,
        };
        await store.CommitAsync(() =>
            CatalogSync.Writes(store, BuiltInGuid, BuiltInBroker.Catalog(), publicPlans: true, stableGuids: true, now).Prepend((CfStore.ServiceBrokers, BuiltInGuid, broker)));
    }

    /// <summary>CC's model checks on a broker, in its order: a valid http(s) URL, no credentials in it, a free name.</summary>
    private void CheckRecord(JsonObject broker)
    {
        var url = Text(broker, "broker_url")!;
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

    private void CheckNameFree(JsonObject broker)
    {
        if (store.List(CfStore.ServiceBrokers).Any(b => Text(b, "name") == Text(broker, "name") && Text(b, "guid") != Text(broker, "guid")))
        {
            throw NameTaken();
        }
    }

    public async Task<(JsonObject Broker, List<string> Warnings)> CreateAsync(BrokerFields fields, BrokerCaller caller)
    {
        var now = store.Now;
        var guid = Guid.NewGuid().ToString();
        var broker = new JsonObject
        {
            ["guid"] = guid, ["created_at"] = now, ["name"] = fields.Name, ["broker_url"] = fields.Url, ["auth_username"] = fields.Username,
            ["auth_password"] = fields.Password, ["space_guid"] = fields.SpaceGuid,
        };
        CheckRecord(broker);
        var catalog = await operations.FetchCatalogAsync(broker, caller);
        CatalogSync.Validate(catalog);
        await store.CommitAsync(() =>
        {
            CheckNameFree(broker);
            return CatalogSync.Writes(store, guid, catalog, publicPlans: false, stableGuids: false, now).Prepend((CfStore.ServiceBrokers, guid, broker));
        });
        return (store.Get(CfStore.ServiceBrokers, guid)!, Warnings(catalog, []));
    }

    /// <summary>A new name alone is CC's own business; anything else fetches the catalog again and re-syncs services and plans.</summary>
    public async Task<(JsonObject Broker, List<string> Warnings)> UpdateAsync(JsonObject broker, BrokerFields fields, BrokerCaller caller)
    {
        var guid = Text(broker, "guid")!;
        var onlyName = fields.Url is null && fields.Username is null && fields.Password is null;
        broker["name"] = fields.Name ?? Text(broker, "name");
        if (!onlyName)
        {
            broker["builtin"] = broker["builtin"]?.GetValue<bool>() == true && fields.Url is null;
            broker["broker_url"] = fields.Url ?? Text(broker, "broker_url");
            broker["auth_username"] = fields.Username ?? Text(broker, "auth_username");
            broker["auth_password"] = fields.Password ?? Text(broker, "auth_password");
        }

        if (broker["builtin"]?.GetValue<bool>() == true)
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
                return [(CfStore.ServiceBrokers, guid, broker)];
            });
            return (store.Get(CfStore.ServiceBrokers, guid)!, []);
        }

        var catalog = await operations.FetchCatalogAsync(broker, caller);
        CatalogSync.Validate(catalog);
        var deactivated = new List<(string Service, string Plan)>();
        await store.CommitAsync(() =>
        {
            CheckNameFree(broker);
            var writes = CatalogSync.Writes(store, guid, catalog, publicPlans: false, stableGuids: false, store.Now);
            deactivated.AddRange(writes.Where(w => w.Collection == CfStore.ServicePlans && w.Record?["active"]?.GetValue<bool>() == false)
                .Select(w => (Text(store.Get(CfStore.Services, Text(w.Record!, "service_guid")!) ?? [], "label") ?? "", Text(w.Record!, "name")!)));
            return writes.Prepend((CfStore.ServiceBrokers, guid, broker));
        });
        return (store.Get(CfStore.ServiceBrokers, guid)!, Warnings(catalog, deactivated, Text(broker, "broker_url")));
    }

    /// <summary>Removes a broker with its services, plans and visibilities, unless instances still use its plans.</summary>
    public Task DeleteAsync(JsonObject broker) => store.CommitAsync(() =>
    {
        var guid = Text(broker, "guid")!;
        var services = store.List(CfStore.Services).Where(s => Text(s, "service_broker_guid") == guid).Select(s => Text(s, "guid")!).ToHashSet();
        var plans = store.List(CfStore.ServicePlans).Where(p => services.Contains(Text(p, "service_guid")!)).Select(p => Text(p, "guid")!).ToHashSet();
        if (store.List(CfStore.ServiceInstances).Any(i => plans.Contains(Text(i, "service_plan_guid") ?? "")))
        {
            throw new CfApiException(400, "ServiceBrokerNotRemovable", 270010, $"Can not remove brokers that have associated service instances: {Text(broker, "name")}");
        }

        return store.List(CfStore.ServicePlanVisibilities).Where(v => plans.Contains(Text(v, "service_plan_guid")!))
            .Select(v => (CfStore.ServicePlanVisibilities, Text(v, "guid")!, (JsonObject?)null))
            .Concat(plans.Select(p => (CfStore.ServicePlans, p, (JsonObject?)null)))
            .Concat(services.Select(s => (CfStore.Services, s, (JsonObject?)null)))
            .Append((CfStore.ServiceBrokers, guid, null));
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
