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
    public const string ServiceBrokers = "service_brokers";
    public const string ServicePlanVisibilities = "service_plan_visibilities";
    public const string ServiceKeys = "service_keys";

    /// <summary>The built-in broker's own record of the bindings it made, kept apart from Cloud Controller's.</summary>
    public const string BuiltInBrokerBindings = "builtin_broker_bindings";

    public static IEnumerable<string> Prefixes { get; } =
        new[]
        {
            Organizations, Spaces, Apps, Services, ServicePlans, ServiceInstances, ServiceBindings, Jobs, ServiceBrokers, ServicePlanVisibilities, ServiceKeys,
            BuiltInBrokerBindings,
        }.Select(Prefix).ToList();

    private static string Prefix(string collection) => $"/cf/{collection}/";

    public static string Key(string collection, string guid) => Prefix(collection) + guid;

    /// <summary>The records of a collection as a given snapshot holds them, in creation order.</summary>
    public static List<JsonObject> Read(Snapshot snapshot, string collection) =>
        snapshot.List(Prefix(collection), Prefix(collection))
            .Select(e => JsonNode.Parse(e.Body)!.AsObject())
            .OrderBy(CfRecord.Sequence)
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

    /// <summary>The records as they are now, for <see cref="ChangedAsync"/>.</summary>
    public Snapshot Current => store.Current;

    /// <summary>Completes once a record of one of the collections differs from <paramref name="seen"/>.</summary>
    public Task ChangedAsync(Snapshot seen, IReadOnlyList<string> collections, CancellationToken cancellationToken) =>
        store.ChangedAsync(seen, [.. collections.Select(Prefix)], cancellationToken);

    /// <summary>A <c>last_operation</c> as CC records one on an instance or binding, started and updated now.</summary>
    public JsonObject Operation(string type, string state, string description = "") => CfOperationRecord.Operation(type, state, description, Now);

    public JsonObject? Get(string collection, string guid)
    {
        var entry = store.Current.Get(Prefix(collection), Prefix(collection) + guid);
        return entry is null ? null : JsonNode.Parse(entry.Body)!.AsObject();
    }

    public List<JsonObject> List(string collection) => Read(store.Current, collection);

    /// <summary>A record of the collection <typeparamref name="T"/> keeps, or null.</summary>
    public T? Get<T>(string guid) where T : CfRecord, ICfRecord<T> => Get(T.Collection, guid) is { } json ? T.Wrap(json) : null;

    /// <summary>The records of the collection <typeparamref name="T"/> keeps, in creation order.</summary>
    public List<T> List<T>() where T : CfRecord, ICfRecord<T> => List(T.Collection).Select(T.Wrap).ToList();

    public async Task<T> CreateAsync<T>(T record, Action? check = null, string? guid = null) where T : CfRecord, ICfRecord<T> =>
        T.Wrap(await CreateAsync(T.Collection, record.Json, check, guid));

    /// <summary>Changes a record; with <paramref name="when"/>, only if the stored record still satisfies it (checked under the write lock).</summary>
    public async Task<T?> UpdateAsync<T>(string guid, Action<T> change, Func<T, bool>? when = null) where T : CfRecord, ICfRecord<T> =>
        await UpdateAsync(T.Collection, guid, json => change(T.Wrap(json)), when is null ? null : json => when(T.Wrap(json))) is { } updated
            ? T.Wrap(updated)
            : null;

    public Task DeleteAsync<T>(string guid) where T : CfRecord, ICfRecord<T> => DeleteAsync(T.Collection, guid);

    /// <summary>A write for <see cref="CommitAsync"/>: the record stored under its own guid.</summary>
    public static (string Collection, string Guid, JsonObject? Record) Write<T>(T record) where T : CfRecord, ICfRecord<T> =>
        (T.Collection, record.Guid, record.Json);

    /// <summary>A write for <see cref="CommitAsync"/> that deletes a record.</summary>
    public static (string Collection, string Guid, JsonObject? Record) Removal<T>(string guid) where T : CfRecord, ICfRecord<T> => (T.Collection, guid, null);

    /// <summary>Creates a record; <paramref name="check"/> runs under the store's write lock, so uniqueness checks cannot race.</summary>
    public async Task<JsonObject> CreateAsync(string collection, JsonObject record, Action? check = null, string? guid = null)
    {
        guid ??= Guid.NewGuid().ToString();
        CfRecord.Stamp(record, guid, Now);
        await store.MutateAsync(Prefix(collection) + guid, (_, revision) =>
        {
            check?.Invoke();
            CfRecord.SetSequence(record, revision);
            return new Mutation.Put(System.Text.Encoding.UTF8.GetBytes(record.ToJsonString()));
        }, dryRun: false, CancellationToken.None);
        return record;
    }

    public async Task<JsonObject?> UpdateAsync(string collection, string guid, Action<JsonObject> change, Func<JsonObject, bool>? when = null)
    {
        JsonObject? result = null;
        await store.MutateAsync(Prefix(collection) + guid, (current, _) =>
        {
            if (current is null)
            {
                return Mutation.None;
            }

            var record = JsonNode.Parse(current.Body)!.AsObject();
            if (when is not null && !when(record))
            {
                return Mutation.None;
            }

            change(record);
            CfRecord.Touch(record, Now);
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
        store.MutateManyAsync(snapshot => decide().Select((write, index) =>
        {
            var key = Prefix(write.Collection) + write.Guid;
            if (write.Record is null)
            {
                var current = snapshot.Get(Prefix(write.Collection), key);
                return (key, current is null ? Mutation.None : new Mutation.Delete(current.Body));
            }

            CfRecord.Touch(write.Record, Now);
            CfRecord.SetSequenceIfMissing(write.Record, snapshot.Revision + index + 1);
            return (key, (Mutation)new Mutation.Put(System.Text.Encoding.UTF8.GetBytes(write.Record.ToJsonString())));
        }).ToList(), CancellationToken.None);

    public Task DeleteAsync(string collection, string guid) =>
        store.MutateAsync(Prefix(collection) + guid, (current, _) => current is null ? Mutation.None : new Mutation.Delete(current.Body),
            dryRun: false, CancellationToken.None);

    /// <summary>The org and space a new installation starts with; false when the store holds them already.</summary>
    public async Task<bool> SeedAsync()
    {
        if (List<OrganizationRecord>().Count > 0)
        {
            return false;
        }

        var org = OrganizationRecord.New("default-org");
        CfRoles.OpenToAll(org);
        org = await CreateAsync(org, guid: StableGuid("organizations/default-org"));
        var space = SpaceRecord.New("default-space", org.Guid);
        CfRoles.OpenToAll(space);
        await CreateAsync(space, guid: StableGuid("spaces/default-space"));
        return true;
    }
}
