using System.Text.Json.Nodes;

namespace BindingServer.CloudFoundry;

/// <summary>The v2 presenters: each resource's entity keys in Cloud Controller's wire order, with relative links.</summary>
public sealed class CfPresenters(CfStore store)
{
    /// <summary>What CC shows in place of credentials the user may not read.</summary>
    private static JsonObject Redacted() => new() { ["redacted_message"] = "[PRIVATE DATA HIDDEN]" };

    public JsonObject Organization(OrganizationRecord org) => CfHttp.Resource(org, $"/v2/organizations/{org.Guid}", new JsonObject
    {
        ["name"] = org.Name,
        ["billing_enabled"] = org.BillingEnabled?.DeepClone(),
        ["status"] = org.Status,
        ["spaces_url"] = $"/v2/organizations/{org.Guid}/spaces",
    });

    public JsonObject Space(SpaceRecord space) => CfHttp.Resource(space, $"/v2/spaces/{space.Guid}", new JsonObject
    {
        ["name"] = space.Name,
        ["organization_guid"] = space.OrganizationGuid,
        ["allow_ssh"] = space.AllowSsh?.DeepClone(),
        ["organization_url"] = $"/v2/organizations/{space.OrganizationGuid}",
        ["apps_url"] = $"/v2/spaces/{space.Guid}/apps",
        ["service_instances_url"] = $"/v2/spaces/{space.Guid}/service_instances",
    });

    public JsonObject App(AppRecord app)
    {
        var guid = app.Guid;
        var entity = new JsonObject();
        foreach (var key in AppRecord.EntityFields)
        {
            entity[key] = app.EntityField(key)?.DeepClone();
        }

        entity["space_url"] = $"/v2/spaces/{app.SpaceGuid}";
        entity["stack_url"] = $"/v2/stacks/{app.StackGuid}";
        entity["routes_url"] = $"/v2/apps/{guid}/routes";
        entity["events_url"] = $"/v2/apps/{guid}/events";
        entity["service_bindings_url"] = $"/v2/apps/{guid}/service_bindings";
        entity["route_mappings_url"] = $"/v2/apps/{guid}/route_mappings";
        return CfHttp.Resource(app, $"/v2/apps/{guid}", entity);
    }

    public static string InstanceUrl(ServiceInstanceRecord instance) =>
        instance.IsUserProvided ? $"/v2/user_provided_service_instances/{instance.Guid}" : $"/v2/service_instances/{instance.Guid}";

    /// <summary>An instance; a user-provided one's credentials are hidden from users who are not its space's developers.</summary>
    public JsonObject Instance(ServiceInstanceRecord instance, bool showCredentials = true)
    {
        var url = InstanceUrl(instance);
        if (instance.IsUserProvided)
        {
            return CfHttp.Resource(instance, url, new JsonObject
            {
                ["name"] = instance.Name,
                ["credentials"] = showCredentials ? instance.Credentials?.DeepClone() : Redacted(),
                ["space_guid"] = instance.SpaceGuid,
                ["type"] = "user_provided_service_instance",
                ["syslog_drain_url"] = instance.SyslogDrainUrlText,
                ["route_service_url"] = instance.RouteServiceUrl,
                ["tags"] = instance.Tags?.DeepClone(),
                ["space_url"] = $"/v2/spaces/{instance.SpaceGuid}",
                ["service_bindings_url"] = $"{url}/service_bindings",
                ["routes_url"] = $"{url}/routes",
            });
        }

        var plan = store.Get<ServicePlanRecord>(instance.ServicePlanGuid ?? "");
        var serviceGuid = plan?.ServiceGuid;
        return CfHttp.Resource(instance, url, new JsonObject
        {
            ["name"] = instance.Name,
            ["credentials"] = instance.Credentials?.DeepClone(),
            ["service_plan_guid"] = instance.ServicePlanGuid,
            ["space_guid"] = instance.SpaceGuid,
            ["gateway_data"] = null,
            ["dashboard_url"] = instance.DashboardUrl?.DeepClone(),
            ["type"] = "managed_service_instance",
            ["last_operation"] = instance.LastOperation?.DeepClone(),
            ["tags"] = instance.Tags?.DeepClone(),
            ["maintenance_info"] = new JsonObject(),
            ["service_guid"] = serviceGuid,
            ["space_url"] = $"/v2/spaces/{instance.SpaceGuid}",
            ["service_plan_url"] = $"/v2/service_plans/{instance.ServicePlanGuid}",
            ["service_bindings_url"] = $"{url}/service_bindings",
            ["service_keys_url"] = $"{url}/service_keys",
            ["routes_url"] = $"{url}/routes",
            ["service_url"] = $"/v2/services/{serviceGuid}",
            ["shared_from_url"] = $"{url}/shared_from",
            ["shared_to_url"] = $"{url}/shared_to",
            ["service_instance_parameters_url"] = $"{url}/parameters",
        });
    }

    public JsonObject Service(ServiceRecord service)
    {
        var broker = store.Get<ServiceBrokerRecord>(service.ServiceBrokerGuid ?? "");
        return CfHttp.Resource(service, $"/v2/services/{service.Guid}", new JsonObject
        {
            ["label"] = service.Label,
            ["provider"] = service.Provider?.DeepClone(),
            ["url"] = null,
            ["description"] = service.Description,
            ["long_description"] = null,
            ["version"] = null,
            ["info_url"] = null,
            ["active"] = service.Active?.DeepClone(),
            ["bindable"] = service.BindableNode?.DeepClone(),
            ["unique_id"] = service.UniqueId,
            ["extra"] = service.Extra?.DeepClone(),
            ["tags"] = service.Tags?.DeepClone() ?? new JsonArray(),
            ["requires"] = service.Requires?.DeepClone(),
            ["documentation_url"] = null,
            ["service_broker_guid"] = service.ServiceBrokerGuid,
            ["service_broker_name"] = broker?.Name,
            ["plan_updateable"] = service.PlanUpdateable?.DeepClone() ?? false,
            ["bindings_retrievable"] = service.BindingsRetrievable?.DeepClone(),
            ["instances_retrievable"] = service.InstancesRetrievable?.DeepClone() ?? false,
            ["allow_context_updates"] = service.AllowContextUpdates?.DeepClone() ?? false,
            ["service_plans_url"] = $"/v2/services/{service.Guid}/service_plans",
        });
    }

    /// <summary>A plan; its <c>bindable</c> is its own, or else its service's.</summary>
    public JsonObject Plan(ServicePlanRecord plan)
    {
        var service = store.Get<ServiceRecord>(plan.ServiceGuid ?? "");
        return CfHttp.Resource(plan, $"/v2/service_plans/{plan.Guid}", new JsonObject
        {
            ["name"] = plan.Name,
            ["free"] = plan.Free?.DeepClone(),
            ["description"] = plan.Description,
            ["service_guid"] = plan.ServiceGuid,
            ["extra"] = plan.Extra?.DeepClone(),
            ["unique_id"] = plan.UniqueId,
            ["public"] = plan.PublicNode?.DeepClone() ?? false,
            ["bindable"] = plan.BindableNode?.DeepClone() ?? service?.BindableNode?.DeepClone(),
            ["plan_updateable"] = plan.PlanUpdateable?.DeepClone(),
            ["active"] = plan.ActiveNode?.DeepClone() ?? true,
            ["maximum_polling_duration"] = plan.MaximumPollingDuration?.DeepClone(),
            ["maintenance_info"] = plan.MaintenanceInfo?.DeepClone() ?? new JsonObject(),
            ["service_url"] = $"/v2/services/{plan.ServiceGuid}",
            ["service_instances_url"] = $"/v2/service_plans/{plan.Guid}/service_instances",
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
    public JsonObject Broker(ServiceBrokerRecord broker, string brokerUrl) => CfHttp.Resource(broker, $"/v2/service_brokers/{broker.Guid}", new JsonObject
    {
        ["name"] = broker.Name,
        ["broker_url"] = brokerUrl,
        ["auth_username"] = broker.AuthUsername,
        ["space_guid"] = broker.SpaceGuid,
    });

    public JsonObject Visibility(ServicePlanVisibilityRecord visibility) => CfHttp.Resource(visibility, $"/v2/service_plan_visibilities/{visibility.Guid}", new JsonObject
    {
        ["service_plan_guid"] = visibility.ServicePlanGuid,
        ["organization_guid"] = visibility.OrganizationGuid,
        ["service_plan_url"] = $"/v2/service_plans/{visibility.ServicePlanGuid}",
        ["organization_url"] = $"/v2/organizations/{visibility.OrganizationGuid}",
    });

    public JsonObject Key(ServiceKeyRecord key, bool showCredentials) => CfHttp.Resource(key, $"/v2/service_keys/{key.Guid}", new JsonObject
    {
        ["name"] = key.Name,
        ["service_instance_guid"] = key.ServiceInstanceGuid,
        ["credentials"] = showCredentials ? key.Credentials?.DeepClone() : Redacted(),
        ["service_instance_url"] = $"/v2/service_instances/{key.ServiceInstanceGuid}",
        ["service_key_parameters_url"] = $"/v2/service_keys/{key.Guid}/parameters",
    });

    /// <summary>The mount fields CC shows of a broker's volume mounts; the device and driver stay private.</summary>
    public static JsonArray CensoredVolumeMounts(JsonNode? mounts) => new((mounts as JsonArray ?? []).OfType<JsonObject>().Select(mount =>
        (JsonNode?)new JsonObject(mount.Where(field => field.Key is "container_dir" or "mode" or "device_type")
            .Select(field => KeyValuePair.Create(field.Key, field.Value?.DeepClone())))).ToArray());

    /// <summary>The binding entity (§4 of the reference), with app and instance inlined from depth 1.</summary>
    public JsonObject Binding(ServiceBindingRecord binding, int depth, bool showCredentials = true)
    {
        var guid = binding.Guid;
        var appGuid = binding.AppGuid!;
        var instance = store.Get<ServiceInstanceRecord>(binding.ServiceInstanceGuid!);
        var operation = binding.LastOperation?.DeepClone() ?? new JsonObject
        {
            ["type"] = "create",
            ["state"] = "succeeded",
            ["description"] = "",
            ["updated_at"] = binding.UpdatedAt!.DeepClone(),
            ["created_at"] = binding.CreatedAt!.DeepClone(),
        };
        var entity = new JsonObject
        {
            ["app_guid"] = appGuid,
            ["service_instance_guid"] = binding.ServiceInstanceGuid,
            ["credentials"] = showCredentials ? binding.Credentials?.DeepClone() : Redacted(),
            ["binding_options"] = new JsonObject(),
            ["gateway_data"] = null,
            ["gateway_name"] = "",
            ["syslog_drain_url"] = binding.SyslogDrainUrl?.DeepClone(),
            ["volume_mounts"] = CensoredVolumeMounts(binding.VolumeMounts),
            ["name"] = binding.Name?.DeepClone(),
            ["last_operation"] = operation,
            ["app_url"] = $"/v2/apps/{appGuid}",
        };
        if (depth >= 1 && store.Get<AppRecord>(appGuid) is { } app)
        {
            entity["app"] = App(app);
        }

        entity["service_instance_url"] = instance is null ? $"/v2/service_instances/{binding.ServiceInstanceGuid}" : InstanceUrl(instance);
        if (depth >= 1 && instance is not null)
        {
            entity["service_instance"] = Instance(instance);
        }

        entity["service_binding_parameters_url"] = $"/v2/service_bindings/{guid}/parameters";
        return CfHttp.Resource(binding, $"/v2/service_bindings/{guid}", entity);
    }
}
