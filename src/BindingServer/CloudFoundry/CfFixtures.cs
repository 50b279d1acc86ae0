using System.Text.Json.Nodes;
using BindingServer.Hosting;
using BindingServer.Kubernetes.Json;
using BindingServer.Storage;

namespace BindingServer.CloudFoundry;

/// <summary>
/// Cloud Controller state as a fixture document, for loading test fixtures and exporting what a server holds:
/// <c>{"organizations": [...], "spaces": [...], "apps": [...], "service_instances": [...], "service_bindings": [...]}</c>.
/// Each record carries the fields of its v2 entity (<c>name</c>, <c>organization_guid</c>, <c>space_guid</c>,
/// <c>credentials</c>, ...) and optionally its <c>guid</c>; what a record leaves out gets the value a v2 create would give.
/// A loaded record is checked as the create endpoint checks it (names, references, uniqueness), but needs no user: the
/// fixture is the administrator's.
/// </summary>
public static class CfFixtures
{
    /// <summary>The collections a fixture may hold, in the order their records can refer to each other.</summary>
    public static readonly string[] Collections =
        [CfStore.Organizations, CfStore.Spaces, CfStore.Apps, CfStore.ServiceInstances, CfStore.ServiceBindings];

    public static bool IsDocument(JsonObject document) => document.Count > 0 && document.All(p => Collections.Contains(p.Key));

    /// <summary>The records of every collection, as a fixture document that <see cref="Plan"/> loads back.</summary>
    public static JsonObject Export(Snapshot snapshot)
    {
        var document = new JsonObject();
        foreach (var collection in Collections)
        {
            document[collection] = new JsonArray(CfStore.Read(snapshot, collection).Select(record =>
            {
                CfRecord.RemoveStoreFields(record);
                return (JsonNode)record;
            }).ToArray());
        }

        return document;
    }

    /// <summary>
    /// Checks the documents against a snapshot and returns the writes that store their new records, the first at
    /// revision <paramref name="firstRevision"/>. Records whose guid exists already are left alone and reported in
    /// <paramref name="existing"/>. Throws <see cref="FixtureException"/> naming the first bad record.
    /// </summary>
    public static List<(string Key, Mutation Mutation)> Plan(IReadOnlyList<JsonObject> documents, Snapshot snapshot, long firstRevision, string now,
        List<string> created, List<string> existing)
    {
        var records = Collections.Append(CfStore.ServicePlans).ToDictionary(c => c, c => CfStore.Read(snapshot, c).ToDictionary(r => Lenient(r).GuidText!));
        var writes = new List<(string, Mutation)>();
        foreach (var collection in Collections)
        {
            var index = 0;
            foreach (var item in documents.SelectMany(d => d[collection] as JsonArray ?? Items(d, collection)))
            {
                var at = $"{collection}[{index++}]";
                if (item is not JsonObject given)
                {
                    throw new FixtureException($"{at}: each record must be a JSON object");
                }

                var guid = given["guid"] is null ? Guid.NewGuid().ToString() : Required(given, "guid", at);
                if (records[collection].ContainsKey(guid))
                {
                    existing.Add($"{collection}/{guid}");
                    continue;
                }

                var record = Complete(collection, given, at, records);
                CfRecord.RemoveStoreFields(record);
                CfRecord.Stamp(record, guid, now);
                CfRecord.SetSequence(record, firstRevision + writes.Count);
                records[collection][guid] = record;
                writes.Add((CfStore.Key(collection, guid), new Mutation.Put(System.Text.Encoding.UTF8.GetBytes(record.ToJsonString()))));
                created.Add($"{collection}/{guid}");
            }
        }

        return writes;
    }

    private static JsonArray Items(JsonObject document, string collection) =>
        document[collection] is null ? [] : throw new FixtureException($"{collection} must be an array of records");

    /// <summary>The stored record: the fixture's fields over the defaults of a v2 create, once its references check out.</summary>
    private static JsonObject Complete(string collection, JsonObject given, string at, Dictionary<string, Dictionary<string, JsonObject>> records)
    {
        var name = collection == CfStore.ServiceBindings ? null : Required(given, "name", at);
        JsonObject defaults;
        switch (collection)
        {
            case CfStore.Organizations:
                Unique(records[collection].Values, name!, _ => true, at, "organization");
                defaults = OrganizationRecord.FixtureDefaults();
                break;
            case CfStore.Spaces:
                var org = Reference(given, "organization_guid", records[CfStore.Organizations], at);
                Unique(records[collection].Values, name!, s => Lenient(new SpaceRecord(s)).OrganizationGuid == org, at, "space");
                defaults = SpaceRecord.FixtureDefaults();
                break;
            case CfStore.Apps:
                var appSpace = Reference(given, "space_guid", records[CfStore.Spaces], at);
                Unique(records[collection].Values, name!, a => Lenient(new AppRecord(a)).SpaceGuid == appSpace, at, "app");
                defaults = AppRecord.New(name!, appSpace, new JsonObject()).Json;
                break;
            case CfStore.ServiceInstances:
                var instanceSpace = Reference(given, "space_guid", records[CfStore.Spaces], at);
                Unique(records[collection].Values, name!, i => Lenient(new ServiceInstanceRecord(i)).SpaceGuid == instanceSpace, at, "service instance");
                defaults = given["service_plan_guid"] is null ? ServiceInstanceRecord.UserProvidedFixtureDefaults() : ManagedDefaults(given, records, at);
                break;
            default:
                defaults = BindingDefaults(given, records, at);
                break;
        }

        foreach (var (field, value) in given)
        {
            defaults[field] = value?.DeepClone();
        }

        return defaults;
    }

    private static JsonObject ManagedDefaults(JsonObject given, Dictionary<string, Dictionary<string, JsonObject>> records, string at)
    {
        Reference(given, "service_plan_guid", records[CfStore.ServicePlans], at);
        return ServiceInstanceRecord.ManagedFixtureDefaults();
    }

    private static JsonObject BindingDefaults(JsonObject given, Dictionary<string, Dictionary<string, JsonObject>> records, string at)
    {
        var appGuid = Reference(given, "app_guid", records[CfStore.Apps], at);
        var instanceGuid = Reference(given, "service_instance_guid", records[CfStore.ServiceInstances], at);
        var instance = Lenient(new ServiceInstanceRecord(records[CfStore.ServiceInstances][instanceGuid]));
        if (Lenient(new AppRecord(records[CfStore.Apps][appGuid])).SpaceGuid != instance.SpaceGuid)
        {
            throw new FixtureException($"{at}: the app and the service instance must be in the same space");
        }

        if (records[CfStore.ServiceBindings].Values.Select(b => Lenient(new ServiceBindingRecord(b))).Any(b => b.AppGuid == appGuid && b.ServiceInstanceGuid == instanceGuid))
        {
            throw new FixtureException($"{at}: the app is already bound to the service");
        }

        var userProvided = instance.IsUserProvided;
        return ServiceBindingRecord.FixtureDefaults(userProvided ? instance.Credentials?.DeepClone() ?? new JsonObject() : Brokers.BuiltInBroker.Credentials(instanceGuid),
            userProvided ? instance.SyslogDrainUrlText ?? "" : null);
    }

    private static string Required(JsonObject record, string field, string at) =>
        record[field] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0
            ? text
            : throw new FixtureException($"{at}: {field} is required and must be a non-empty string");

    private static string Reference(JsonObject record, string field, Dictionary<string, JsonObject> targets, string at)
    {
        var guid = Required(record, field, at);
        return targets.ContainsKey(guid) ? guid : throw new FixtureException($"{at}: {field} {guid} names no record in the store or the fixture");
    }

    private static void Unique(IEnumerable<JsonObject> records, string name, Func<JsonObject, bool> sameParent, string at, string what)
    {
        if (records.Any(r => Lenient(r).NameText == name && sameParent(r)))
        {
            throw new FixtureException($"{at}: the {what} name is taken: {name}");
        }
    }

    /// <summary>Fixture records hold whatever JSON the fixture gave: their fields are read leniently.</summary>
    private static T Lenient<T>(T record) where T : CfRecord => CfRecord.Lenient(record)!;

    /// <summary>A record of any collection, for the fields all of them share.</summary>
    private static CfRecord Lenient(JsonObject record) => Lenient<CfRecord>(new AnyRecord(record));
}
