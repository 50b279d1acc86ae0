using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Json;
using BindingServer.Storage;

namespace BindingServer.CloudFoundry;

/// <summary>
/// Cloud Controller records in the shared revisioned store: one JSON document per resource under
/// <c>/cf/{collection}/{guid}</c>, with the creation sequence kept so lists come back in creation order as CC's do.
/// </summary>
public sealed class CfStore(ObjectStore store, TimeProvider clock)
{
    public const string Organizations = "organizations";
    public const string Spaces = "spaces";
    public const string Apps = "apps";
    public const string Services = "services";
    public const string ServicePlans = "service_plans";
    public const string ServiceInstances = "service_instances";
    public const string ServiceBindings = "service_bindings";
    public const string Jobs = "jobs";

    public static IEnumerable<string> Prefixes { get; } =
        new[] { Organizations, Spaces, Apps, Services, ServicePlans, ServiceInstances, ServiceBindings, Jobs }.Select(Prefix).ToList();

    private static string Prefix(string collection) => $"/cf/{collection}/";

    public static string Key(string collection, string guid) => Prefix(collection) + guid;

    /// <summary>The records of a collection as a given snapshot holds them, in creation order.</summary>
    public static List<JsonObject> Read(Snapshot snapshot, string collection) =>
        snapshot.List(Prefix(collection), Prefix(collection))
            .Select(e => JsonNode.Parse(e.Body)!.AsObject())
            .OrderBy(r => r["seq"]!.GetValue<long>())
            .ToList();

    /// <summary>
    /// The guid the start state gives a seeded record, the same on every start and after every reset, so fixtures and
    /// tests can name the default space or a fake-broker plan (the first 16 bytes of a SHA-256 of the name, marked as a
    /// version 8 UUID).
    /// </summary>
    public static string StableGuid(string name)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("bindingserver/" + name));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true).ToString();
    }

    public string Now => KubeTimeConverter.ToText(clock.GetUtcNow());

    public JsonObject? Get(string collection, string guid)
    {
        var entry = store.Current.Get(Prefix(collection), Prefix(collection) + guid);
        return entry is null ? null : JsonNode.Parse(entry.Body)!.AsObject();
    }

    public List<JsonObject> List(string collection) => Read(store.Current, collection);

    /// <summary>Creates a record; <paramref name="check"/> runs under the store's write lock, so uniqueness checks cannot race.</summary>
    public async Task<JsonObject> CreateAsync(string collection, JsonObject record, Action? check = null, string? guid = null)
    {
        guid ??= Guid.NewGuid().ToString();
        var now = Now;
        record["guid"] = guid;
        record["created_at"] = now;
        record["updated_at"] = now;
        await store.MutateAsync(Prefix(collection) + guid, (_, revision) =>
        {
            check?.Invoke();
            record["seq"] = revision;
            return new Mutation.Put(System.Text.Encoding.UTF8.GetBytes(record.ToJsonString()));
        }, dryRun: false, CancellationToken.None);
        return record;
    }

    public async Task<JsonObject?> UpdateAsync(string collection, string guid, Action<JsonObject> change)
    {
        JsonObject? result = null;
        await store.MutateAsync(Prefix(collection) + guid, (current, _) =>
        {
            if (current is null)
            {
                return Mutation.None;
            }

            var record = JsonNode.Parse(current.Body)!.AsObject();
            change(record);
            record["updated_at"] = Now;
            result = record;
            return new Mutation.Put(System.Text.Encoding.UTF8.GetBytes(record.ToJsonString()));
        }, dryRun: false, CancellationToken.None);
        return result;
    }

    /// <summary>
    /// Writes several records in one transaction: each named record is stored (with a fresh <c>updated_at</c>) or, when
    /// null, deleted. <paramref name="decide"/> runs under the store's write lock, so what it reads stays true until the commit.
    /// </summary>
    public Task CommitAsync(Func<IEnumerable<(string Collection, string Guid, JsonObject? Record)>> decide) =>
        store.MutateManyAsync(snapshot => decide().Select(write =>
        {
            var key = Prefix(write.Collection) + write.Guid;
            if (write.Record is null)
            {
                var current = snapshot.Get(Prefix(write.Collection), key);
                return (key, current is null ? Mutation.None : new Mutation.Delete(current.Body));
            }

            write.Record["updated_at"] = Now;
            return (key, (Mutation)new Mutation.Put(System.Text.Encoding.UTF8.GetBytes(write.Record.ToJsonString())));
        }).ToList(), CancellationToken.None);

    public Task DeleteAsync(string collection, string guid) =>
        store.MutateAsync(Prefix(collection) + guid, (current, _) => current is null ? Mutation.None : new Mutation.Delete(current.Body),
            dryRun: false, CancellationToken.None);

    /// <summary>The org, space, and the fake broker's services and plans a new installation starts with.</summary>
    public async Task SeedAsync()
    {
        if (List(Organizations).Count > 0)
        {
            return;
        }

        var org = await CreateAsync(Organizations, new JsonObject
        {
            ["name"] = "default-org", ["billing_enabled"] = false, ["status"] = "active", [CfRoles.OpenToEveryone] = true,
        }, guid: StableGuid("organizations/default-org"));
        await CreateAsync(Spaces, new JsonObject { ["name"] = "default-space", ["organization_guid"] = org["guid"]!.GetValue<string>(), ["allow_ssh"] = true,
            [CfRoles.OpenToEveryone] = true,
        }, guid: StableGuid("spaces/default-space"));
        var database = await AddServiceAsync(Service("fake-db", "A database from the built-in fake broker", bindable: true, retrievable: true));
        await AddPlanAsync(Plan("small", database, bindable: null, asynchronousBind: false));
        await AddPlanAsync(Plan("async", database, bindable: null, asynchronousBind: true));

        // Plans whose binds the fake broker fails in each way Cloud Controller maps, so clients can test those paths.
        foreach (var failure in new[] { "server-error", "conflict", "rejected", "unauthorized", "timeout", "unreachable", "requires-app", "async-required", "concurrency",
                     "malformed", "syslog-drain", "volume-mounts", "client-timeout" })
        {
            var plan = Plan($"fail-{failure}", database, bindable: null, asynchronousBind: false);
            plan["broker_failure"] = failure;
            await AddPlanAsync(plan);
        }

        var opaque = await AddServiceAsync(Service("fake-queue", "Binds asynchronously but cannot show bindings", bindable: true, retrievable: false));
        await AddPlanAsync(Plan("queue-async", opaque, bindable: null, asynchronousBind: true));
        var unbindable = await AddServiceAsync(Service("fake-dns", "A service whose instances cannot be bound", bindable: false, retrievable: false));
        await AddPlanAsync(Plan("standard", unbindable, bindable: null, asynchronousBind: false));
        var volumes = Service("fake-nfs", "A volume service: binding it needs CloudFoundry:VolumeServicesEnabled", bindable: true, retrievable: false);
        volumes["requires"] = new JsonArray("volume_mount");
        await AddPlanAsync(Plan("nfs", await AddServiceAsync(volumes), bindable: null, asynchronousBind: false));
    }

    private Task<JsonObject> AddServiceAsync(JsonObject service) =>
        CreateAsync(Services, service, guid: StableGuid($"services/{service["label"]}"));

    private Task<JsonObject> AddPlanAsync(JsonObject plan) =>
        CreateAsync(ServicePlans, plan, guid: StableGuid($"service_plans/{plan["service_guid"]}/{plan["name"]}"));

    private static JsonObject Service(string label, string description, bool bindable, bool retrievable) => new()
    {
        ["label"] = label,
        ["description"] = description,
        ["active"] = true,
        ["bindable"] = bindable,
        ["bindings_retrievable"] = retrievable,
        ["requires"] = new JsonArray(),
        ["unique_id"] = Guid.NewGuid().ToString(),
    };

    private static JsonObject Plan(string name, JsonObject service, bool? bindable, bool asynchronousBind) => new()
    {
        ["name"] = name,
        ["free"] = true,
        ["description"] = $"The {name} plan",
        ["service_guid"] = service["guid"]!.GetValue<string>(),
        ["bindable"] = bindable,
        ["unique_id"] = Guid.NewGuid().ToString(),
        ["async_bind"] = asynchronousBind,
    };
}
