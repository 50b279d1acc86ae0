using System.Text.Json.Nodes;

namespace BindingServer.CloudFoundry;

/// <summary>The v2 presenters: each resource's entity keys in Cloud Controller's wire order, with relative links.</summary>
public sealed class CfPresenters(CfStore store)
{
    private static string Guid(JsonObject record) => record["guid"]!.GetValue<string>();

    /// <summary>What CC shows in place of credentials the user may not read.</summary>
    private static JsonObject Redacted() => new() { ["redacted_message"] = "[PRIVATE DATA HIDDEN]" };

    private static string? Text(JsonObject record, string key) => record[key]?.GetValue<string>();

    public JsonObject Organization(JsonObject org) => CfHttp.Resource(org, $"/v2/organizations/{Guid(org)}", new JsonObject
    {
        ["name"] = Text(org, "name"),
        ["billing_enabled"] = org["billing_enabled"]?.DeepClone(),
        ["status"] = Text(org, "status"),
        ["spaces_url"] = $"/v2/organizations/{Guid(org)}/spaces",
    });

    public JsonObject Space(JsonObject space) => CfHttp.Resource(space, $"/v2/spaces/{Guid(space)}", new JsonObject
    {
        ["name"] = Text(space, "name"),
        ["organization_guid"] = Text(space, "organization_guid"),
        ["allow_ssh"] = space["allow_ssh"]?.DeepClone(),
        ["organization_url"] = $"/v2/organizations/{Text(space, "organization_guid")}",
        ["apps_url"] = $"/v2/spaces/{Guid(space)}/apps",
        ["service_instances_url"] = $"/v2/spaces/{Guid(space)}/service_instances",
    });

    public JsonObject App(JsonObject app)
    {
        var guid = Guid(app);
        var entity = new JsonObject();
        foreach (var key in new[]
                 {
                     "name", "production", "space_guid", "stack_guid", "buildpack", "detected_buildpack", "detected_buildpack_guid",
                     "environment_json", "memory", "instances", "disk_quota", "log_rate_limit", "state", "version", "command", "console",
                     "debug", "staging_task_id", "package_state", "health_check_type", "health_check_timeout", "health_check_http_endpoint",
                     "staging_failed_reason", "staging_failed_description", "diego", "docker_image", "docker_credentials",
                     "package_updated_at", "detected_start_command", "enable_ssh", "ports",
                 })
        {
            entity[key] = app[key]?.DeepClone();
        }

        entity["space_url"] = $"/v2/spaces/{Text(app, "space_guid")}";
        entity["stack_url"] = $"/v2/stacks/{Text(app, "stack_guid")}";
        entity["routes_url"] = $"/v2/apps/{guid}/routes";
        entity["events_url"] = $"/v2/apps/{guid}/events";
        entity["service_bindings_url"] = $"/v2/apps/{guid}/service_bindings";
        entity["route_mappings_url"] = $"/v2/apps/{guid}/route_mappings";
        return CfHttp.Resource(app, $"/v2/apps/{guid}", entity);
    }

    public static bool IsUserProvided(JsonObject instance) => Text(instance, "type") == "user_provided_service_instance";

    public static string InstanceUrl(JsonObject instance) =>
        IsUserProvided(instance) ? $"/v2/user_provided_service_instances/{Guid(instance)}" : $"/v2/service_instances/{Guid(instance)}";

    /// <summary>An instance; a user-provided one's credentials are hidden from users who are not its space's developers.</summary>
    public JsonObject Instance(JsonObject instance, bool showCredentials = true)
    {
        var guid = Guid(instance);
        var url = InstanceUrl(instance);
        if (IsUserProvided(instance))
        {
            return CfHttp.Resource(instance, url, new JsonObject
            {
                ["name"] = Text(instance, "name"),
                ["credentials"] = showCredentials ? instance["credentials"]?.DeepClone() : Redacted(),
                ["space_guid"] = Text(instance, "space_guid"),
                ["type"] = "user_provided_service_instance",
                ["syslog_drain_url"] = Text(instance, "syslog_drain_url"),
                ["route_service_url"] = Text(instance, "route_service_url"),
                ["tags"] = instance["tags"]?.DeepClone(),
                ["space_url"] = $"/v2/spaces/{Text(instance, "space_guid")}",
                ["service_bindings_url"] = $"{url}/service_bindings",
                ["routes_url"] = $"{url}/routes",
            });
        }

        var plan = store.Get(CfStore.ServicePlans, Text(instance, "service_plan_guid") ?? "");
        var serviceGuid = plan is null ? null : Text(plan, "service_guid");
        return CfHttp.Resource(instance, url, new JsonObject
        {
            ["name"] = Text(instance, "name"),
            ["credentials"] = instance["credentials"]?.DeepClone(),
            ["service_plan_guid"] = Text(instance, "service_plan_guid"),
            ["space_guid"] = Text(instance, "space_guid"),
            ["gateway_data"] = null,
            ["dashboard_url"] = instance["dashboard_url"]?.DeepClone(),
            ["type"] = "managed_service_instance",
            ["last_operation"] = instance["last_operation"]?.DeepClone(),
            ["tags"] = instance["tags"]?.DeepClone(),
            ["maintenance_info"] = new JsonObject(),
            ["service_guid"] = serviceGuid,
            ["space_url"] = $"/v2/spaces/{Text(instance, "space_guid")}",
            ["service_plan_url"] = $"/v2/service_plans/{Text(instance, "service_plan_guid")}",
            ["service_bindings_url"] = $"{url}/service_bindings",
            ["service_keys_url"] = $"{url}/service_keys",
            ["routes_url"] = $"{url}/routes",
            ["service_url"] = $"/v2/services/{serviceGuid}",
            ["shared_from_url"] = $"{url}/shared_from",
            ["shared_to_url"] = $"{url}/shared_to",
            ["service_instance_parameters_url"] = $"{url}/parameters",
        });
    }

    public JsonObject Service(JsonObject service)
    {
        var broker = store.Get(CfStore.ServiceBrokers, Text(service, "service_broker_guid") ?? "");
        return CfHttp.Resource(service, $"/v2/services/{Guid(service)}", new JsonObject
        {
            ["label"] = Text(service, "label"),
            ["provider"] = service["provider"]?.DeepClone(),
            ["url"] = null,
            ["description"] = Text(service, "description"),
            ["long_description"] = null,
            ["version"] = null,
            ["info_url"] = null,
            ["active"] = service["active"]?.DeepClone(),
            ["bindable"] = service["bindable"]?.DeepClone(),
            ["unique_id"] = Text(service, "unique_id"),
            ["extra"] = service["extra"]?.DeepClone(),
            ["tags"] = service["tags"]?.DeepClone() ?? new JsonArray(),
            ["requires"] = service["requires"]?.DeepClone(),
            ["documentation_url"] = null,
            ["service_broker_guid"] = Text(service, "service_broker_guid"),
            ["service_broker_name"] = broker is null ? null : Text(broker, "name"),
            ["plan_updateable"] = service["plan_updateable"]?.DeepClone() ?? false,
            ["bindings_retrievable"] = service["bindings_retrievable"]?.DeepClone(),
            ["instances_retrievable"] = service["instances_retrievable"]?.DeepClone() ?? false,
            ["allow_context_updates"] = service["allow_context_updates"]?.DeepClone() ?? false,
            ["service_plans_url"] = $"/v2/services/{Guid(service)}/service_plans",
        });
    }

    /// <summary>A plan; its <c>bindable</c> is its own, or else its service's.</summary>
    public JsonObject Plan(JsonObject plan)
    {
        var service = store.Get(CfStore.Services, Text(plan, "service_guid") ?? "");
        return CfHttp.Resource(plan, $"/v2/service_plans/{Guid(plan)}", new JsonObject
        {
            ["name"] = Text(plan, "name"),
            ["free"] = plan["free"]?.DeepClone(),
            ["description"] = Text(plan, "description"),
            ["service_guid"] = Text(plan, "service_guid"),
            ["extra"] = plan["extra"]?.DeepClone(),
            ["unique_id"] = Text(plan, "unique_id"),
            ["public"] = plan["public"]?.DeepClone() ?? false,
            ["bindable"] = plan["bindable"]?.DeepClone() ?? service?["bindable"]?.DeepClone(),
            ["plan_updateable"] = plan["plan_updateable"]?.DeepClone(),
            ["active"] = plan["active"]?.DeepClone() ?? true,
            ["maximum_polling_duration"] = plan["maximum_polling_duration"]?.DeepClone(),
            ["maintenance_info"] = plan["maintenance_info"]?.DeepClone() ?? new JsonObject(),
            ["service_url"] = $"/v2/services/{Text(plan, "service_guid")}",
            ["service_instances_url"] = $"/v2/service_plans/{Guid(plan)}/service_instances",
            ["schemas"] = new JsonObject
            {
                ["service_instance"] = new JsonObject
                {
                    ["create"] = new JsonObject { ["parameters"] = new JsonObject() }, ["update"] = new JsonObject { ["parameters"] = new JsonObject() },
                },
                ["service_binding"] = new JsonObject { ["create"] = new JsonObject { ["parameters"] = new JsonObject() } },
            },
        });
    }

    /// <summary>A broker as lists and gets show it; its password never leaves the server.</summary>
    public JsonObject Broker(JsonObject broker, string brokerUrl) => CfHttp.Resource(broker, $"/v2/service_brokers/{Guid(broker)}", new JsonObject
    {
        ["name"] = Text(broker, "name"),
        ["broker_url"] = brokerUrl,
        ["auth_username"] = Text(broker, "auth_username"),
        ["space_guid"] = Text(broker, "space_guid"),
    });

    public JsonObject Visibility(JsonObject visibility) => CfHttp.Resource(visibility, $"/v2/service_plan_visibilities/{Guid(visibility)}", new JsonObject
    {
        ["service_plan_guid"] = Text(visibility, "service_plan_guid"),
        ["organization_guid"] = Text(visibility, "organization_guid"),
        ["service_plan_url"] = $"/v2/service_plans/{Text(visibility, "service_plan_guid")}",
        ["organization_url"] = $"/v2/organizations/{Text(visibility, "organization_guid")}",
    });

    public JsonObject Key(JsonObject key, bool showCredentials) => CfHttp.Resource(key, $"/v2/service_keys/{Guid(key)}", new JsonObject
    {
        ["name"] = Text(key, "name"),
        ["service_instance_guid"] = Text(key, "service_instance_guid"),
        ["credentials"] = showCredentials ? key["credentials"]?.DeepClone() : Redacted(),
        ["service_instance_url"] = $"/v2/service_instances/{Text(key, "service_instance_guid")}",
        ["service_key_parameters_url"] = $"/v2/service_keys/{Guid(key)}/parameters",
    });

    /// <summary>The mount fields CC shows of a broker's volume mounts; the device and driver stay private.</summary>
    public static JsonArray CensoredVolumeMounts(JsonNode? mounts) => new((mounts as JsonArray ?? []).OfType<JsonObject>().Select(mount =>
        (JsonNode?)new JsonObject(mount.Where(field => field.Key is "container_dir" or "mode" or "device_type")
            .Select(field => KeyValuePair.Create(field.Key, field.Value?.DeepClone())))).ToArray());

    /// <summary>The binding entity (§4 of the reference), with app and instance inlined from depth 1.</summary>
    public JsonObject Binding(JsonObject binding, int depth, bool showCredentials = true)
    {
        var guid = Guid(binding);
        var appGuid = Text(binding, "app_guid")!;
        var instance = store.Get(CfStore.ServiceInstances, Text(binding, "service_instance_guid")!);
        var operation = binding["last_operation"]?.DeepClone() ?? new JsonObject
        {
            ["type"] = "create",
            ["state"] = "succeeded",
            ["description"] = "",
            ["updated_at"] = binding["updated_at"]!.DeepClone(),
            ["created_at"] = binding["created_at"]!.DeepClone(),
        };
        var entity = new JsonObject
        {
            ["app_guid"] = appGuid,
            ["service_instance_guid"] = Text(binding, "service_instance_guid"),
            ["credentials"] = showCredentials ? binding["credentials"]?.DeepClone() : Redacted(),
            ["binding_options"] = new JsonObject(),
            ["gateway_data"] = null,
            ["gateway_name"] = "",
            ["syslog_drain_url"] = binding["syslog_drain_url"]?.DeepClone(),
            ["volume_mounts"] = CensoredVolumeMounts(binding["volume_mounts"]),
            ["name"] = binding["name"]?.DeepClone(),
            ["last_operation"] = operation,
            ["app_url"] = $"/v2/apps/{appGuid}",
        };
        if (depth >= 1 && store.Get(CfStore.Apps, appGuid) is { } app)
        {
            entity["app"] = App(app);
        }

        entity["service_instance_url"] = instance is null ? $"/v2/service_instances/{Text(binding, "service_instance_guid")}" : InstanceUrl(instance);
        if (depth >= 1 && instance is not null)
        {
            entity["service_instance"] = Instance(instance);
        }

        entity["service_binding_parameters_url"] = $"/v2/service_bindings/{guid}/parameters";
        return CfHttp.Resource(binding, $"/v2/service_bindings/{guid}", entity);
    }
}
