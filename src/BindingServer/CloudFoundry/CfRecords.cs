using System.Text.Json.Nodes;

namespace BindingServer.CloudFoundry;

/// <summary>A record type's collection, and how a stored document becomes one; lets <see cref="CfStore"/> hand out typed records.</summary>
public interface ICfRecord<out TSelf>
{
    static abstract string Collection { get; }

    static abstract TSelf Wrap(JsonObject json);
}

/// <summary>
/// A Cloud Controller record as the store keeps it: a thin typed view over its JSON document, which stays the single
/// source of truth, so what is stored (keys, their order, null against absent) is exactly what the code wrote before.
/// Only this file names the stored keys; elsewhere records are reached by key only where the key is data: the role
/// lists <see cref="CfRoles"/> keeps under role names, <c>q</c> filters, and fixture fields copied as the fixture names them.
/// </summary>
public abstract class CfRecord(JsonObject json)
{
    public JsonObject Json { get; } = json;

    public string Guid => Text("guid")!;

    /// <summary>The guid, or null when the record holds none (or, read leniently, not a string).</summary>
    public string? GuidText => Text("guid");

    public JsonNode? CreatedAt => Json["created_at"];

    public JsonNode? UpdatedAt => Json["updated_at"];

    /// <summary>A field as a <c>q</c> filter compares it: the filter names the stored key.</summary>
    public string? FilterValue(string key) => Json[key]?.GetValue<string>();

    public string? CreatedAtText => Text("created_at");

    /// <summary>The store's creation order, kept on every record.</summary>
    public static long Sequence(JsonObject json) => json["seq"]!.GetValue<long>();

    internal static void SetSequence(JsonObject json, long revision) => json["seq"] = revision;

    internal static void SetSequenceIfMissing(JsonObject json, long revision) => json["seq"] ??= revision;

    /// <summary>A new record's guid and times, in the order every record stores them.</summary>
    internal static void Stamp(JsonObject json, string guid, string now)
    {
        json["guid"] = guid;
        json["created_at"] = now;
        json["updated_at"] = now;
    }

    internal static void Touch(JsonObject json, string now) => json["updated_at"] = now;

    /// <summary>A new record begun outside <see cref="CfStore.CreateAsync(string, JsonObject, Action?, string?)"/>: its guid and creation time.</summary>
    public static JsonObject Started(string guid, string now) => new() { ["guid"] = guid, ["created_at"] = now };

    /// <summary>Removes the fields the store keeps for itself, which fixture exports leave out and loads ignore.</summary>
    internal static void RemoveStoreFields(JsonObject json)
    {
        json.Remove("seq");
        json.Remove("created_at");
        json.Remove("updated_at");
    }

    /// <summary>The name, whatever collection the record is of.</summary>
    public string? NameText => Text("name");

    /// <summary>
    /// Whether a string field holding another kind of value reads as null rather than failing: what the environment
    /// and fixture code have always done, as fixture records may hold any JSON the fixture gave.
    /// </summary>
    public bool LenientReads { get; private set; }

    /// <summary>The same record, its string fields read leniently (see <see cref="LenientReads"/>).</summary>
    public static T? Lenient<T>(T? record) where T : CfRecord
    {
        if (record is not null)
        {
            record.LenientReads = true;
        }

        return record;
    }

    protected string? Text(string key) => LenientReads ? Lenient(Json[key]) : Json[key]?.GetValue<string>();

    private static string? Lenient(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    /// <summary>A string field of a stored nested object (a last operation), read as <see cref="Text"/> reads the record's own.</summary>
    protected string? Text(JsonNode? owner, string key) => LenientReads ? Lenient(owner?[key]) : owner?[key]?.GetValue<string>();

    protected void Set(string key, JsonNode? value) => Json[key] = value;

    protected bool? Flag(string key) => Json[key]?.GetValue<bool>();
}

/// <summary>A record of no particular collection, for the fields every record has.</summary>
internal sealed class AnyRecord(JsonObject json) : CfRecord(json);

/// <summary>What instances and bindings share: the CC operation last started on them, and the broker's handle for it.</summary>
public abstract class CfOperationRecord(JsonObject json) : CfRecord(json)
{
    public JsonNode? LastOperation { get => Json["last_operation"]; set => Set("last_operation", value); }

    public string? LastOperationState => Text(Json["last_operation"], "state");

    public string? LastOperationType => Text(Json["last_operation"], "type");

    public string? LastOperationDescription => Text(Json["last_operation"], "description");

    /// <summary>Whether no create is pending or failed: no last operation (or not an object), another type, or a create that succeeded.</summary>
    public bool CreateSucceeded =>
        Json["last_operation"] is not JsonObject operation || Text(operation, "type") != "create" || Text(operation, "state") == "succeeded";

    /// <summary>When the last operation started, as stored.</summary>
    public string LastOperationCreatedAt => Json["last_operation"]!["created_at"]!.GetValue<string>();

    public string? BrokerOperation { get => Text("broker_operation"); set => Set("broker_operation", value); }

    public void RemoveBrokerOperation() => Json.Remove("broker_operation");

    /// <summary>Ends the last operation in place, as CC's polling jobs do.</summary>
    public void FinishOperation(string state, string description, string updatedAt)
    {
        Json["last_operation"]!["state"] = state;
        Json["last_operation"]!["description"] = description;
        Json["last_operation"]!["updated_at"] = updatedAt;
    }

    public void SetOperationState(string state) => Json["last_operation"]!["state"] = state;

    public void SetOperationDescription(string description) => Json["last_operation"]!["description"] = description;

    /// <summary>A last operation as CC records one on an instance or binding.</summary>
    public static JsonObject Operation(string type, string state, string description, string now) =>
        new() { ["type"] = type, ["state"] = state, ["description"] = description, ["updated_at"] = now, ["created_at"] = now };
}

public sealed class OrganizationRecord(JsonObject json) : CfRecord(json), ICfRecord<OrganizationRecord>
{
    public static string Collection => CfStore.Organizations;

    public static OrganizationRecord Wrap(JsonObject json) => new(json);

    /// <summary>What a fixture's org gets unless it says otherwise.</summary>
    public static JsonObject FixtureDefaults() => new() { ["billing_enabled"] = false, ["status"] = "active" };

    public static OrganizationRecord New(JsonNode? name) => new(new JsonObject { ["name"] = name, ["billing_enabled"] = false, ["status"] = "active" });

    public string? Name { get => Text("name"); set => Set("name", value); }

    public JsonNode? BillingEnabled => Json["billing_enabled"];

    public string? Status { get => Text("status"); set => Set("status", value); }
}

public sealed class SpaceRecord(JsonObject json) : CfRecord(json), ICfRecord<SpaceRecord>
{
    public static string Collection => CfStore.Spaces;

    public static SpaceRecord Wrap(JsonObject json) => new(json);

    /// <summary>What a fixture's space gets unless it says otherwise.</summary>
    public static JsonObject FixtureDefaults() => new() { ["allow_ssh"] = true };

    public static SpaceRecord New(JsonNode? name, string organizationGuid) =>
        new(new JsonObject { ["name"] = name, ["organization_guid"] = organizationGuid, ["allow_ssh"] = true });

    public string? Name => Text("name");

    public string? OrganizationGuid => Text("organization_guid");

    public JsonNode? AllowSsh => Json["allow_ssh"];
}

public sealed class AppRecord(JsonObject json) : CfRecord(json), ICfRecord<AppRecord>
{
    public static string Collection => CfStore.Apps;

    public static AppRecord Wrap(JsonObject json) => new(json);

    /// <summary>The entity fields CC shows of an app, in its wire order; all are stored under the same keys.</summary>
    public static readonly string[] EntityFields =
    [
        "name", "production", "space_guid", "stack_guid", "buildpack", "detected_buildpack", "detected_buildpack_guid",
        "environment_json", "memory", "instances", "disk_quota", "log_rate_limit", "state", "version", "command", "console",
        "debug", "staging_task_id", "package_state", "health_check_type", "health_check_timeout", "health_check_http_endpoint",
        "staging_failed_reason", "staging_failed_description", "diego", "docker_image", "docker_credentials",
        "package_updated_at", "detected_start_command", "enable_ssh", "ports",
    ];

    /// <summary>A new app as CC stores it: the given fields over its defaults (the app is stopped, with one instance of 1 GB).</summary>
    public static AppRecord New(string name, string spaceGuid, JsonObject body) => new(new JsonObject
    {
        ["name"] = name, ["production"] = false, ["space_guid"] = spaceGuid, ["stack_guid"] = null, ["buildpack"] = body["buildpack"]?.DeepClone(),
        ["detected_buildpack"] = null, ["detected_buildpack_guid"] = null, ["environment_json"] = body["environment_json"]?.DeepClone() ?? new JsonObject(),
        ["memory"] = body["memory"]?.DeepClone() ?? 1024, ["instances"] = body["instances"]?.DeepClone() ?? 1, ["disk_quota"] = 1024, ["log_rate_limit"] = -1,
        ["state"] = "STOPPED", ["version"] = System.Guid.NewGuid().ToString(), ["command"] = body["command"]?.DeepClone(), ["console"] = false, ["debug"] = null,
        ["staging_task_id"] = null, ["package_state"] = "PENDING", ["health_check_type"] = "port", ["health_check_timeout"] = null,
        ["health_check_http_endpoint"] = null, ["staging_failed_reason"] = null, ["staging_failed_description"] = null, ["diego"] = true,
        ["docker_image"] = null, ["docker_credentials"] = new JsonObject { ["username"] = null, ["password"] = null }, ["package_updated_at"] = null,
        ["detected_start_command"] = "", ["enable_ssh"] = true, ["ports"] = new JsonArray(8080),
    });

    public string? Name => Text("name");

    public string? SpaceGuid => Text("space_guid");

    public string? StackGuid => Text("stack_guid");

    public string? Version => Text("version");

    public JsonNode? EnvironmentJson => Json["environment_json"];

    public JsonNode? Memory => Json["memory"];

    public JsonNode? DiskQuota => Json["disk_quota"];

    /// <summary>An entity field by its wire name (one of <see cref="EntityFields"/>).</summary>
    public JsonNode? EntityField(string key) => Json[key];
}

public sealed class ServiceInstanceRecord(JsonObject json) : CfOperationRecord(json), ICfRecord<ServiceInstanceRecord>
{
    public const string UserProvidedType = "user_provided_service_instance";
    public const string ManagedType = "managed_service_instance";

    public static string Collection => CfStore.ServiceInstances;

    public static ServiceInstanceRecord Wrap(JsonObject json) => new(json);

    /// <summary>A new managed instance, its create in progress until the broker answers.</summary>
    public static ServiceInstanceRecord NewManaged(string name, string spaceGuid, string planGuid, JsonNode? tags, JsonObject operation) => new(new JsonObject
    {
        ["type"] = ManagedType,
        ["name"] = name,
        ["space_guid"] = spaceGuid,
        ["service_plan_guid"] = planGuid,
        ["credentials"] = new JsonObject(),
        ["dashboard_url"] = null,
        ["tags"] = tags,
        ["last_operation"] = operation,
    });

    public static ServiceInstanceRecord NewUserProvided(string name, string spaceGuid, JsonNode credentials, string syslogDrainUrl, string routeServiceUrl,
        JsonNode tags) => new(new JsonObject
    {
        ["type"] = UserProvidedType,
        ["name"] = name,
        ["space_guid"] = spaceGuid,
        ["credentials"] = credentials,
        ["syslog_drain_url"] = syslogDrainUrl,
        ["route_service_url"] = routeServiceUrl,
        ["tags"] = tags,
    });

    /// <summary>What a fixture's user-provided instance gets unless it says otherwise.</summary>
    public static JsonObject UserProvidedFixtureDefaults() => new()
    {
        ["type"] = UserProvidedType, ["credentials"] = new JsonObject(), ["syslog_drain_url"] = "", ["route_service_url"] = "",
        ["tags"] = new JsonArray(),
    };

    /// <summary>What a fixture's managed instance gets unless it says otherwise: created, its create succeeded.</summary>
    public static JsonObject ManagedFixtureDefaults() => new()
    {
        ["type"] = ManagedType, ["credentials"] = new JsonObject(), ["tags"] = new JsonArray(), ["parameters"] = null,
        ["last_operation"] = new JsonObject { ["type"] = "create", ["state"] = "succeeded", ["description"] = "" },
    };

    /// <summary>The fields a user-provided instance's update may set, under the same names in the request body.</summary>
    public static readonly string[] UserProvidedFields = ["name", "credentials", "syslog_drain_url", "route_service_url", "tags"];

    /// <summary>Sets one of <see cref="UserProvidedFields"/>.</summary>
    public void SetUserProvidedField(string key, JsonNode value) => Json[key] = value;

    public string? Type => Text("type");

    public bool IsUserProvided => Type == UserProvidedType;

    public new string Guid { get => base.Guid; set => Set("guid", value); }

    public string? Name { get => Text("name"); set => Set("name", value); }

    public string? SpaceGuid => Text("space_guid");

    public string? ServicePlanGuid { get => Text("service_plan_guid"); set => Set("service_plan_guid", value); }

    public string? PendingPlanGuid { get => Text("pending_plan_guid"); set => Set("pending_plan_guid", value); }

    public void RemovePendingPlanGuid() => Json.Remove("pending_plan_guid");

    public JsonNode? Credentials => Json["credentials"];

    public JsonNode? DashboardUrl { get => Json["dashboard_url"]; set => Set("dashboard_url", value); }

    public JsonNode? Tags { get => Json["tags"]; set => Set("tags", value); }

    public JsonNode? SyslogDrainUrl => Json["syslog_drain_url"];

    public string? SyslogDrainUrlText => Text("syslog_drain_url");

    public string? RouteServiceUrl => Text("route_service_url");
}

public sealed class ServiceBindingRecord(JsonObject json) : CfOperationRecord(json), ICfRecord<ServiceBindingRecord>
{
    public static string Collection => CfStore.ServiceBindings;

    public static ServiceBindingRecord Wrap(JsonObject json) => new(json);

    public static ServiceBindingRecord New(string appGuid, string instanceGuid, string? name, JsonNode? parameters) => new(new JsonObject
    {
        ["app_guid"] = appGuid,
        ["service_instance_guid"] = instanceGuid,
        ["name"] = name,
        ["parameters"] = parameters,
        ["volume_mounts"] = new JsonArray(),
    });

    /// <summary>What a fixture's binding gets unless it says otherwise.</summary>
    public static JsonObject FixtureDefaults(JsonNode credentials, string? syslogDrainUrl) => new()
    {
        ["name"] = null, ["parameters"] = null, ["volume_mounts"] = new JsonArray(), ["credentials"] = credentials, ["syslog_drain_url"] = syslogDrainUrl,
    };

    public string? AppGuid => Text("app_guid");

    public string? ServiceInstanceGuid => Text("service_instance_guid");

    public JsonNode? Name => Json["name"];

    public JsonNode? Credentials { get => Json["credentials"]; set => Set("credentials", value); }

    public JsonNode? SyslogDrainUrl { get => Json["syslog_drain_url"]; set => Set("syslog_drain_url", value); }

    public JsonNode? VolumeMounts { get => Json["volume_mounts"]; set => Set("volume_mounts", value); }
}

public sealed class ServiceKeyRecord(JsonObject json) : CfRecord(json), ICfRecord<ServiceKeyRecord>
{
    public static string Collection => CfStore.ServiceKeys;

    public static ServiceKeyRecord Wrap(JsonObject json) => new(json);

    public static ServiceKeyRecord New(string name, string instanceGuid, JsonNode? credentials) =>
        new(new JsonObject { ["name"] = name, ["service_instance_guid"] = instanceGuid, ["credentials"] = credentials });

    public string? Name => Text("name");

    public string? ServiceInstanceGuid => Text("service_instance_guid");

    public JsonNode? Credentials => Json["credentials"];
}

public sealed class ServiceBrokerRecord(JsonObject json) : CfRecord(json), ICfRecord<ServiceBrokerRecord>
{
    public static string Collection => CfStore.ServiceBrokers;

    public static ServiceBrokerRecord Wrap(JsonObject json) => new(json);

    /// <summary>A broker as stored; its guid and creation time are set here, as the catalog is written in the same transaction.</summary>
    public static ServiceBrokerRecord New(string guid, string now, string? name, string? url, bool? builtIn, string? username, string? password,
        string? spaceGuid)
    {
        var json = new JsonObject { ["guid"] = guid, ["created_at"] = now, ["name"] = name, ["broker_url"] = url };
        if (builtIn is { } flag)
        {
            json["builtin"] = flag;
        }

        json["auth_username"] = username;
        json["auth_password"] = password;
        json["space_guid"] = spaceGuid;
        return new(json);
    }

    public string? Name { get => Text("name"); set => Set("name", value); }

    public string? BrokerUrl { get => Text("broker_url"); set => Set("broker_url", value); }

    public string? AuthUsername { get => Text("auth_username"); set => Set("auth_username", value); }

    public string? AuthPassword { get => Text("auth_password"); set => Set("auth_password", value); }

    public bool IsBuiltIn { get => Flag("builtin") == true; set => Set("builtin", value); }

    public string? SpaceGuid => Text("space_guid");
}

public sealed class ServiceRecord(JsonObject json) : CfRecord(json), ICfRecord<ServiceRecord>
{
    public static string Collection => CfStore.Services;

    public static ServiceRecord Wrap(JsonObject json) => new(json);

    /// <summary>Sets what a broker's catalog says of the service, in the order CC's service rows list their columns.</summary>
    public void Offer(string? label, string? description, bool bindable, string? uniqueId, string? extra, JsonNode tags, JsonNode requires,
        string brokerGuid, bool planUpdateable, bool bindingsRetrievable, bool instancesRetrievable, bool allowContextUpdates)
    {
        Json["label"] = label;
        Json["provider"] = null;
        Json["url"] = null;
        Json["description"] = description;
        Json["long_description"] = null;
        Json["version"] = null;
        Json["info_url"] = null;
        Json["active"] = true;
        Json["bindable"] = bindable;
        Json["unique_id"] = uniqueId;
        Json["extra"] = extra;
        Json["tags"] = tags;
        Json["requires"] = requires;
        Json["documentation_url"] = null;
        Json["service_broker_guid"] = brokerGuid;
        Json["plan_updateable"] = planUpdateable;
        Json["bindings_retrievable"] = bindingsRetrievable;
        Json["instances_retrievable"] = instancesRetrievable;
        Json["allow_context_updates"] = allowContextUpdates;
    }

    public string? Label => Text("label");

    public JsonNode? Provider => Json["provider"];

    public string? Description => Text("description");

    public JsonNode? Active => Json["active"];

    public void Deactivate() => Json["active"] = false;

    public JsonNode? BindableNode => Json["bindable"];

    public bool? Bindable => Flag("bindable");

    public string? UniqueId => Text("unique_id");

    public JsonNode? Extra => Json["extra"];

    public JsonNode? Tags => Json["tags"];

    public JsonNode? Requires => Json["requires"];

    public string? ServiceBrokerGuid => Text("service_broker_guid");

    public JsonNode? PlanUpdateable => Json["plan_updateable"];

    public JsonNode? BindingsRetrievable => Json["bindings_retrievable"];

    public JsonNode? InstancesRetrievable => Json["instances_retrievable"];

    public JsonNode? AllowContextUpdates => Json["allow_context_updates"];

    /// <summary>A field as the services list's <c>q</c> compares it (booleans as their text).</summary>
    public string? FilterText(string key) => Json[key]?.ToString();
}

public sealed class ServicePlanRecord(JsonObject json) : CfRecord(json), ICfRecord<ServicePlanRecord>
{
    public static string Collection => CfStore.ServicePlans;

    public static ServicePlanRecord Wrap(JsonObject json) => new(json);

    /// <summary>Sets what a broker's catalog says of the plan, in the order CC's plan rows list their columns.</summary>
    public void Offer(string? name, bool free, string? description, string serviceGuid, string? extra, string? uniqueId, bool isPublic, JsonNode? bindable,
        JsonNode? planUpdateable, JsonNode maintenanceInfo, JsonNode? maximumPollingDuration)
    {
        Json["name"] = name;
        Json["free"] = free;
        Json["description"] = description;
        Json["service_guid"] = serviceGuid;
        Json["extra"] = extra;
        Json["unique_id"] = uniqueId;
        Json["public"] = isPublic;
        Json["bindable"] = bindable;
        Json["plan_updateable"] = planUpdateable;
        Json["active"] = true;
        Json["maintenance_info"] = maintenanceInfo;
        Json["maximum_polling_duration"] = maximumPollingDuration;
    }

    public string? Name => Text("name");

    public JsonNode? Free => Json["free"];

    public string? Description => Text("description");

    public string? ServiceGuid => Text("service_guid");

    public JsonNode? Extra => Json["extra"];

    public string? UniqueId => Text("unique_id");

    public JsonNode? PublicNode => Json["public"];

    public bool? Public { get => Flag("public"); set => Set("public", value); }

    public JsonNode? BindableNode => Json["bindable"];

    public bool? Bindable => Json["bindable"]?.GetValue<bool?>();

    public JsonNode? PlanUpdateable => Json["plan_updateable"];

    public JsonNode? ActiveNode => Json["active"];

    public bool? Active => Flag("active");

    public void Deactivate() => Json["active"] = false;

    public JsonNode? MaximumPollingDuration => Json["maximum_polling_duration"];

    public JsonNode? MaintenanceInfo => Json["maintenance_info"];

    /// <summary>A field as the plans list's <c>q</c> compares it (booleans as their text).</summary>
    public string? FilterText(string key) => Json[key]?.ToString();
}

public sealed class ServicePlanVisibilityRecord(JsonObject json) : CfRecord(json), ICfRecord<ServicePlanVisibilityRecord>
{
    public static string Collection => CfStore.ServicePlanVisibilities;

    public static ServicePlanVisibilityRecord Wrap(JsonObject json) => new(json);

    public static ServicePlanVisibilityRecord New(string planGuid, string organizationGuid) =>
        new(new JsonObject { ["service_plan_guid"] = planGuid, ["organization_guid"] = organizationGuid });

    public string? ServicePlanGuid => Text("service_plan_guid");

    public string? OrganizationGuid => Text("organization_guid");
}

public sealed class JobRecord(JsonObject json) : CfRecord(json), ICfRecord<JobRecord>
{
    public static string Collection => CfStore.Jobs;

    public static JobRecord Wrap(JsonObject json) => new(json);

    public static JobRecord NewUnbind(string bindingGuid, string? userId, string? requestId) =>
        new(new JsonObject { ["status"] = "queued", ["binding_guid"] = bindingGuid, ["user_id"] = userId, ["request_id"] = requestId });

    public string? Status { get => Text("status"); set => Set("status", value); }

    public string? BindingGuid => Text("binding_guid");

    public string? UserId => Text("user_id");

    public string? RequestId => Text("request_id");

    public JsonNode? ErrorDetails { get => Json["error_details"]; set => Set("error_details", value); }

}

/// <summary>The built-in broker's own record of a binding it made (its side of OSB, not Cloud Controller's).</summary>
public sealed class BuiltInBrokerBindingRecord(JsonObject json) : CfRecord(json), ICfRecord<BuiltInBrokerBindingRecord>
{
    public static string Collection => CfStore.BuiltInBrokerBindings;

    public static BuiltInBrokerBindingRecord Wrap(JsonObject json) => new(json);

    public static BuiltInBrokerBindingRecord New(JsonNode credentials, JsonNode parameters) =>
        new(new JsonObject { ["credentials"] = credentials, ["parameters"] = parameters });

    public JsonNode? Credentials => Json["credentials"];

    public JsonNode? Parameters => Json["parameters"];

    public JsonNode? VolumeMounts { get => Json["volume_mounts"]; set => Set("volume_mounts", value); }
}
