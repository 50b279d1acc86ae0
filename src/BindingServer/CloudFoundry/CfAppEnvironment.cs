using System.Text.Json;
using System.Text.Json.Nodes;
using BindingServer.Documentation;
using BindingServer.Kubernetes.Json;
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

        // Fixture records may hold any JSON: their string fields are read leniently here, as they always were.
        var app = CfRecord.Lenient(store.Get<AppRecord>(guid)) ?? throw CfApiException.AppNotFound(guid);
        var space = CfRecord.Lenient(store.Get<SpaceRecord>(app.SpaceGuid ?? ""));
        var org = space is null ? null : CfRecord.Lenient(store.Get<OrganizationRecord>(space.OrganizationGuid ?? ""));

        // read_env: admins, read-only admins and the space's developers; anyone else, even one who sees the app, is refused.
        if (!(CfRoles.IsDeveloper(user, space) || user.Scopes.Contains("cloud_controller.admin_read_only")))
        {
            throw CfApiException.NotAuthorized();
        }

        var body = new JsonObject
        {
            ["staging_env_json"] = new JsonObject(),
            ["running_env_json"] = new JsonObject(),
            ["environment_json"] = app.EnvironmentJson?.DeepClone() ?? new JsonObject(),
            ["system_env_json"] = new JsonObject { ["VCAP_SERVICES"] = VcapServices(store, guid) },
            ["application_env_json"] = new JsonObject
            {
                ["VCAP_APPLICATION"] = VcapApplication(app, space, org, $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}"),
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
        var latest = store.List<ServiceBindingRecord>().Select(b => CfRecord.Lenient(b)!)
            .Where(b => b.AppGuid == appGuid && b.CreateSucceeded)
            .GroupBy(b => b.ServiceInstanceGuid)
            .Select(bindings => bindings.OrderBy(b => b.CreatedAtText, StringComparer.Ordinal).Last());
        var services = new JsonObject();
        foreach (var binding in latest)
        {
            var instance = store.Get<ServiceInstanceRecord>(binding.ServiceInstanceGuid ?? "");
            if (instance is null)
            {
                continue;
            }

            var entry = InstanceFields(store, instance);
            var label = KubeJson.Text(entry["label"])!;
            entry["name"] = binding.NameText is { Length: > 0 } bindingName ? bindingName : instance.Name;
            entry["instance_name"] = instance.Name;
            entry["binding_name"] = binding.Name?.DeepClone();
            entry["credentials"] = binding.Credentials?.DeepClone();
            entry["syslog_drain_url"] = binding.SyslogDrainUrl?.DeepClone();
            entry["volume_mounts"] = CfPresenters.CensoredVolumeMounts(binding.VolumeMounts);
            if (services[label] is not JsonArray list)
            {
                services[label] = list = [];
            }

            list.Add(entry);
        }

        return services;
    }

    /// <summary>The instance's part: label, provider, plan, name and the service's tags before the instance's; user-provided ones say so.</summary>
    private static JsonObject InstanceFields(CfStore store, ServiceInstanceRecord instance)
    {
        // The kind is read strictly, as the presenters read it; the rest leniently, here and by the caller.
        var userProvided = instance.IsUserProvided;
        instance = CfRecord.Lenient(instance)!;
        if (userProvided)
        {
            return new JsonObject { ["label"] = "user-provided", ["name"] = instance.Name, ["tags"] = instance.Tags?.DeepClone() ?? new JsonArray() };
        }

        var plan = CfRecord.Lenient(store.Get<ServicePlanRecord>(instance.ServicePlanGuid ?? ""));
        var service = plan is null ? null : CfRecord.Lenient(store.Get<ServiceRecord>(plan.ServiceGuid ?? ""));
        var tags = (service?.Tags as JsonArray ?? []).Concat(instance.Tags as JsonArray ?? [])
            .Select(t => t?.GetValue<string>()).Distinct().Select(t => (JsonNode?)t).ToArray();
        return new JsonObject
        {
            ["label"] = service?.Label,
            ["provider"] = service?.Provider?.DeepClone(),
            ["plan"] = plan?.Name,
            ["name"] = instance.Name,
            ["tags"] = new JsonArray(tags),
        };
    }

    /// <summary>Only the fields an app may see of a volume mount: where, how, and the device type.</summary>
    /// <summary>What CC's vars builder writes for a v2 app (a web process): limits, names, space and org, no routes here.</summary>
    private static JsonObject VcapApplication(AppRecord app, SpaceRecord? space, OrganizationRecord? org, string api)
    {
        var limits = new JsonObject { ["fds"] = 16384 };
        if (app.Memory is { } memory)
        {
            limits["mem"] = memory.DeepClone();
        }

        if (app.DiskQuota is { } disk)
        {
            limits["disk"] = disk.DeepClone();
        }

        var result = new JsonObject
        {
            ["cf_api"] = api,
            ["limits"] = limits,
            ["application_name"] = app.Name,
            ["application_uris"] = new JsonArray(),
            ["name"] = app.Name,
            ["space_name"] = space?.Name,
            ["space_id"] = space?.GuidText,
            ["organization_id"] = org?.GuidText,
            ["organization_name"] = org?.Name,
            ["uris"] = new JsonArray(),
            ["users"] = null,
            ["process_id"] = app.GuidText,
            ["process_type"] = "web",
            ["application_id"] = app.GuidText,
        };
        if (app.Version is { } version)
        {
            result["version"] = version;
            result["application_version"] = version;
        }

        return result;
    }
}
