using System.Text.Json;
using System.Text.Json.Nodes;
using BindingServer.Documentation;
using Microsoft.Extensions.Options;

namespace BindingServer.CloudFoundry;

/// <summary>
/// <c>GET /v2/apps/:guid/env</c>: the environment Cloud Controller gives the app, with <c>VCAP_SERVICES</c> built from
/// its bindings as CC's system-environment presenters build it, and <c>VCAP_APPLICATION</c> as its vars builder does.
/// </summary>
public static class CfAppEnvironment
{
    /// <summary>CC writes this body with Ruby's pretty JSON: two-space indents.</summary>
    private static readonly JsonSerializerOptions Pretty = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly ApiDoc Doc = new("The app's environment: VCAP_SERVICES from its bindings, VCAP_APPLICATION, its own variables",
        [], [new(200, "The environment", null), new(403, "CF-NotAuthorized: only admins, read-only admins and the space's developers read it", null),
            new(404, "CF-AppNotFound", null)]);

    public static IEndpointRouteBuilder MapCfAppEnvironment(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v2/apps/{guid}/env", (HttpContext c, CfStore store, IOptions<CloudFoundryOptions> options, TimeProvider clock, string guid) =>
                EnvAsync(c, store, options.Value, clock, guid))
            .WithTags("Cloud Foundry v2").WithMetadata(Doc);
        return app;
    }

    private static Task EnvAsync(HttpContext context, CfStore store, CloudFoundryOptions options, TimeProvider clock, string guid)
    {
        var user = CfHttp.Authenticate(context.Request, options, clock);
        if (!user.CanRead)
        {
            throw CfApiException.InsufficientScope();
        }

        var app = store.Get(CfStore.Apps, guid) ?? throw CfApiException.AppNotFound(guid);
        var space = store.Get(CfStore.Spaces, Text(app, "space_guid") ?? "");
        var org = space is null ? null : store.Get(CfStore.Organizations, Text(space, "organization_guid") ?? "");

        // read_env: admins, read-only admins and the space's developers; anyone else, even one who sees the app, is refused.
        if (!(CfRoles.IsDeveloper(user, space) || user.Scopes.Contains("cloud_controller.admin_read_only")))
        {
            throw CfApiException.NotAuthorized();
        }

        var body = new JsonObject
        {
            ["staging_env_json"] = new JsonObject(),
            ["running_env_json"] = new JsonObject(),
            ["environment_json"] = app["environment_json"]?.DeepClone() ?? new JsonObject(),
            ["system_env_json"] = new JsonObject { ["VCAP_SERVICES"] = VcapServices(store, guid) },
            ["application_env_json"] = new JsonObject
            {
                ["VCAP_APPLICATION"] = VcapApplication(app, space, org, $"{context.Request.Scheme}://{context.Request.Host}"),
            },
        };
        context.Response.StatusCode = 200;
        context.Response.ContentType = CfHttp.ContentType;
        return context.Response.WriteAsync(body.ToJsonString(Pretty));
    }

    /// <summary>
    /// Services by label, one entry per bound instance: the latest binding whose creation succeeded, its fields first
    /// and then the instance's (CC merges the instance's hash under the binding's).
    /// </summary>
    private static JsonObject VcapServices(CfStore store, string appGuid)
    {
        var latest = store.List(CfStore.ServiceBindings)
            .Where(b => Text(b, "app_guid") == appGuid && CreateSucceeded(b))
            .GroupBy(b => Text(b, "service_instance_guid"))
            .Select(bindings => bindings.OrderBy(b => Text(b, "created_at"), StringComparer.Ordinal).Last());
        var services = new JsonObject();
        foreach (var binding in latest)
        {
            var instance = store.Get(CfStore.ServiceInstances, Text(binding, "service_instance_guid") ?? "");
            if (instance is null)
            {
                continue;
            }

            var entry = InstanceFields(store, instance);
            var label = Text(entry, "label")!;
            entry["name"] = Text(binding, "name") is { Length: > 0 } bindingName ? bindingName : Text(instance, "name");
            entry["instance_name"] = Text(instance, "name");
            entry["binding_name"] = binding["name"]?.DeepClone();
            entry["credentials"] = binding["credentials"]?.DeepClone();
            entry["syslog_drain_url"] = binding["syslog_drain_url"]?.DeepClone();
            entry["volume_mounts"] = CfPresenters.CensoredVolumeMounts(binding["volume_mounts"]);
            if (services[label] is not JsonArray list)
            {
                services[label] = list = [];
            }

            list.Add(entry);
        }

        return services;
    }

    /// <summary>A binding still being created (or whose creation failed) is not in the environment yet.</summary>
    private static bool CreateSucceeded(JsonObject binding) =>
        binding["last_operation"] is not JsonObject operation || Text(operation, "type") != "create" || Text(operation, "state") == "succeeded";

    /// <summary>The instance's part: label, provider, plan, name and the service's tags before the instance's; user-provided ones say so.</summary>
    private static JsonObject InstanceFields(CfStore store, JsonObject instance)
    {
        if (CfPresenters.IsUserProvided(instance))
        {
            return new JsonObject { ["label"] = "user-provided", ["name"] = Text(instance, "name"), ["tags"] = instance["tags"]?.DeepClone() ?? new JsonArray() };
        }

        var plan = store.Get(CfStore.ServicePlans, Text(instance, "service_plan_guid") ?? "");
        var service = plan is null ? null : store.Get(CfStore.Services, Text(plan, "service_guid") ?? "");
        var tags = (service?["tags"] as JsonArray ?? []).Concat(instance["tags"] as JsonArray ?? [])
            .Select(t => t?.GetValue<string>()).Distinct().Select(t => (JsonNode?)t).ToArray();
        return new JsonObject
        {
            ["label"] = service is null ? null : Text(service, "label"),
            ["provider"] = service?["provider"]?.DeepClone(),
            ["plan"] = plan is null ? null : Text(plan, "name"),
            ["name"] = Text(instance, "name"),
            ["tags"] = new JsonArray(tags),
        };
    }

    /// <summary>Only the fields an app may see of a volume mount: where, how, and the device type.</summary>
    /// <summary>What CC's vars builder writes for a v2 app (a web process): limits, names, space and org, no routes here.</summary>
    private static JsonObject VcapApplication(JsonObject app, JsonObject? space, JsonObject? org, string api)
    {
        var limits = new JsonObject { ["fds"] = 16384 };
        if (app["memory"] is { } memory)
        {
            limits["mem"] = memory.DeepClone();
        }

        if (app["disk_quota"] is { } disk)
        {
            limits["disk"] = disk.DeepClone();
        }

        var result = new JsonObject
        {
            ["cf_api"] = api,
            ["limits"] = limits,
            ["application_name"] = Text(app, "name"),
            ["application_uris"] = new JsonArray(),
            ["name"] = Text(app, "name"),
            ["space_name"] = space is null ? null : Text(space, "name"),
            ["space_id"] = space is null ? null : Text(space, "guid"),
            ["organization_id"] = org is null ? null : Text(org, "guid"),
            ["organization_name"] = org is null ? null : Text(org, "name"),
            ["uris"] = new JsonArray(),
            ["users"] = null,
            ["process_id"] = Text(app, "guid"),
            ["process_type"] = "web",
            ["application_id"] = Text(app, "guid"),
        };
        if (Text(app, "version") is { } version)
        {
            result["version"] = version;
            result["application_version"] = version;
        }

        return result;
    }

    private static string? Text(JsonObject record, string key) => record[key] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
