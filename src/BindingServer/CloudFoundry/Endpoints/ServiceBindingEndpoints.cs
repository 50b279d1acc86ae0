using System.Text.Json.Nodes;
using BindingServer.CloudFoundry.Brokers;
using BindingServer.Documentation;

namespace BindingServer.CloudFoundry;

/// <summary>
/// <c>/v2/service_bindings</c> and the binding lists under apps and instances: each step in CC's order so the first
/// error matches, and for managed instances the broker's bind and unbind through <see cref="BrokerOperations"/>.
/// </summary>
public sealed class ServiceBindingEndpoints(CfStore store, CfPresenters present, CfAccess access, Unbinder unbinder, BrokerOperations broker, BrokerPoller poller,
    CfJobs jobs)
{
    private static readonly string[] BindingFilters = ["app_guid", "service_instance_guid", "name"];

    /// <summary>A request body's string field.</summary>
    private static string? Text(JsonObject body, string key) => body[key]?.GetValue<string>();

    public static void Map(RouteGroupBuilder v2)
    {
        v2.MapGet("/service_bindings", (HttpContext c, ServiceBindingEndpoints e) => e.ListBindingsAsync(c))
            .WithMetadata(CloudFoundryApiDocs.List("service bindings"));
        v2.MapPost("/service_bindings", (HttpContext c, ServiceBindingEndpoints e) => e.CreateBindingAsync(c))
            .WithMetadata(CloudFoundryApiDocs.CreateBinding);
        v2.MapGet("/service_bindings/{guid}", (HttpContext c, ServiceBindingEndpoints e, string guid) => e.GetBindingAsync(c, guid))
            .WithMetadata(CloudFoundryApiDocs.GetBinding);
        v2.MapDelete("/service_bindings/{guid}", (HttpContext c, ServiceBindingEndpoints e, string guid) => e.DeleteBindingAsync(c, guid))
            .WithMetadata(CloudFoundryApiDocs.DeleteBinding);
        v2.MapGet("/service_bindings/{guid}/parameters", (HttpContext c, ServiceBindingEndpoints e, string guid) => e.BindingParametersAsync(c, guid))
            .WithMetadata(CloudFoundryApiDocs.BindingParameters);

        v2.MapDelete("/apps/{app}/service_bindings/{guid}", (HttpContext c, ServiceBindingEndpoints e, string app, string guid) => e.DeleteBindingOfAppAsync(c, app, guid))
            .WithMetadata(CloudFoundryApiDocs.DeleteBindingOfApp);
        v2.MapGet("/apps/{guid}/service_bindings", (HttpContext c, ServiceBindingEndpoints e, string guid) =>
                e.ListBindingsOfAsync<AppRecord>(c, b => b.AppGuid, guid, CfApiException.AppNotFound))
            .WithMetadata(CloudFoundryApiDocs.List("an app's service bindings"));
        v2.MapGet("/user_provided_service_instances/{guid}/service_bindings", (HttpContext c, ServiceBindingEndpoints e, string guid) =>
                e.ListBindingsOfAsync<ServiceInstanceRecord>(c, b => b.ServiceInstanceGuid, guid, CfApiException.UserProvidedServiceInstanceNotFound))
            .WithMetadata(CloudFoundryApiDocs.List("an instance's service bindings"));
        v2.MapGet("/service_instances/{guid}/service_bindings", (HttpContext c, ServiceBindingEndpoints e, string guid) =>
                e.ListBindingsOfAsync<ServiceInstanceRecord>(c, b => b.ServiceInstanceGuid, guid, CfApiException.ServiceInstanceNotFound))
            .WithMetadata(CloudFoundryApiDocs.List("an instance's service bindings"));

        v2.MapGet("/jobs/{guid}", (HttpContext c, CfAccess a, CfStore s, string guid) =>
            {
                a.Reader(c);
                return CfHttp.WriteAsync(c, 200, CfJobs.Present(s.Get<JobRecord>(guid)));
            })
            .WithMetadata(CloudFoundryApiDocs.GetJob);
    }

    private Task ListBindingsAsync(HttpContext context)
    {
        var user = access.Reader(context);
        var query = CfQuery.Parse(context.Request, BindingFilters);
        return WriteBindingsAsync(context, user, query, _ => true);
    }

    /// <summary>The bindings of an app or instance, which must exist (404) and be visible to the user (403).</summary>
    private Task ListBindingsOfAsync<T>(HttpContext context, Func<ServiceBindingRecord, string?> parentGuid, string guid, Func<string, CfApiException> notFound)
        where T : CfRecord, ICfRecord<T>
    {
        var user = access.Reader(context);
        var parent = store.Get<T>(guid) ?? throw notFound(guid);
        if (!access.Visible(user, parent))
        {
            throw CfApiException.NotAuthorized();
        }

        var query = CfQuery.Parse(context.Request, BindingFilters);
        return WriteBindingsAsync(context, user, query, b => parentGuid(b) == guid);
    }

    /// <summary>Lists hold only the bindings whose app the user can see; nothing says others exist.</summary>
    private Task WriteBindingsAsync(HttpContext context, CfUser user, CfQuery query, Func<ServiceBindingRecord, bool> include)
    {
        // Many bindings share an app: look each app's place up once per request.
        var places = new Dictionary<string, (SpaceRecord? Space, OrganizationRecord? Org)>(StringComparer.Ordinal);
        (SpaceRecord? Space, OrganizationRecord? Org) PlaceOf(ServiceBindingRecord binding)
        {
            var appGuid = binding.AppGuid!;
            if (!places.TryGetValue(appGuid, out var place))
            {
                place = access.AppPlace(appGuid);
                places[appGuid] = place;
            }

            return place;
        }

        var items = store.List<ServiceBindingRecord>().Where(include).Where(b => query.Matches(b.FilterValue))
            .Where(b => PlaceOf(b) is var (space, org) && CfRoles.Sees(user, space, org)).ToList();
        return CfHttp.WriteAsync(context, 200, query.Envelope(items, context.Request.Path,
            b => present.Binding(b, query.Depth, CfRoles.SeesCredentials(user, PlaceOf(b).Space))));
    }

    /// <summary>An existing binding the user cannot see is refused with 403, not hidden behind a 404, as CC does.</summary>
    private ServiceBindingRecord VisibleBinding(CfUser user, string guid)
    {
        var binding = store.Get<ServiceBindingRecord>(guid) ?? throw CfApiException.BindingNotFound(guid);
        var (space, org) = access.AppPlace(binding.AppGuid!);
        return CfRoles.Sees(user, space, org) ? binding : throw CfApiException.NotAuthorized();
    }

    /// <summary>Binding and unbinding need admin or the developer role in the app's space, and an org that is not suspended.</summary>
    private void CheckMayBind(CfUser user, string appGuid)
    {
        var (space, org) = access.AppPlace(appGuid);
        if (!CfRoles.IsDeveloper(user, space))
        {
            throw CfApiException.NotAuthorized();
        }

        CfRoles.CheckNotSuspended(user, org);
    }

    private Task GetBindingAsync(HttpContext context, string guid)
    {
        var user = access.Reader(context);
        var binding = VisibleBinding(user, guid);
        var depth = CfQuery.Parse(context.Request, BindingFilters, refuseOrderBy: false).Depth;
        return CfHttp.WriteAsync(context, 200, present.Binding(binding, depth, CfRoles.SeesCredentials(user, access.AppPlace(binding.AppGuid!).Space)));
    }

    /// <summary>POST /v2/service_bindings in CC's order: auth, body, accepts_incomplete, app, instance, bindability, space, locks, duplicates, names, broker.</summary>
    private async Task CreateBindingAsync(HttpContext context)
    {
        var user = access.Anyone(context);
        var body = await CfHttp.ReadBodyAsync(context.Request);
        CfHttp.CheckFields(body, ("parameters", "Hash", false), ("name", "String", false), ("app_guid", "String", true), ("service_instance_guid", "String", true));
        var acceptsIncomplete = CfAccess.AcceptsIncomplete(context.Request);
        var appGuid = Text(body, "app_guid")!;
        var instanceGuid = Text(body, "service_instance_guid")!;
        var app = store.Get<AppRecord>(appGuid) ?? throw CfApiException.AppNotFound(appGuid);
        var instance = store.Get<ServiceInstanceRecord>(instanceGuid) ?? throw CfApiException.ServiceInstanceNotFound(instanceGuid);
        CheckMayBind(user, appGuid);
        var userProvided = instance.IsUserProvided;
        var target = BrokerTarget.Of(store, instance);
        if (!userProvided && target is null)
        {
            throw CfApiException.Unbindable();
        }

        CheckBindable(target);
        if (instance.SpaceGuid != app.SpaceGuid)
        {
            throw CfApiException.BindingTaken("VCAP::CloudController::ServiceBindingCreate::SpaceMismatch");
        }

        if (instance.LastOperationState is "initial" or "in progress")
        {
            throw CfApiException.InstanceOperationInProgress(instance.Name!);
        }

        var name = Text(body, "name");
        var parameters = body["parameters"] as JsonObject;
        void CheckUnique()
        {
            if (store.List<ServiceBindingRecord>().Any(b => b.AppGuid == appGuid && b.ServiceInstanceGuid == instanceGuid))
            {
                throw CfApiException.BindingTaken("The app is already bound to the service.");
            }

            CheckName(name);
        }

        CheckUnique();
        var record = ServiceBindingRecord.New(appGuid, instanceGuid, name, parameters?.DeepClone());
        var guid = Guid.NewGuid().ToString();
        var asynchronous = false;
        if (target is null)
        {
            record.Credentials = instance.Credentials?.DeepClone() ?? new JsonObject();
            record.SyslogDrainUrl = instance.SyslogDrainUrlText ?? "";
            if (parameters is { Count: > 0 })
            {
                CfHttp.AddWarning(context.Response, "Configuration parameters are ignored for bindings to user-provided service instances.");
            }
        }
        else
        {
            var caller = BrokerCaller.Of(context, user);
            var outcome = await broker.BindAsync(target, guid, app, parameters, acceptsIncomplete, caller);
            asynchronous = outcome.Asynchronous;
            if (asynchronous)
            {
                await CheckAsynchronousAllowedAsync(target, guid, acceptsIncomplete, caller);
                record.Credentials = null;
                record.SyslogDrainUrl = null;
                record.LastOperation = store.Operation("create", "in progress");
                record.BrokerOperation = outcome.Operation;
            }
            else
            {
                // The broker's bind answer, as OSB words it.
                record.Credentials = outcome.Body["credentials"]?.DeepClone() ?? new JsonObject();
                record.SyslogDrainUrl = outcome.Body["syslog_drain_url"]?.DeepClone();
                record.VolumeMounts = outcome.Body["volume_mounts"]?.DeepClone() ?? new JsonArray();
            }
        }

        var binding = await store.CreateAsync(record, CheckUnique, guid);
        if (asynchronous)
        {
            poller.Wake();
        }

        await CfHttp.WriteAsync(context, asynchronous ? 202 : 201, present.Binding(binding, 0), $"/v2/service_bindings/{guid}");
    }

    /// <summary>A plan's own <c>bindable</c> overrides its service's; a volume service also needs volume services enabled.</summary>
    private void CheckBindable(BrokerTarget? target)
    {
        if (target is null)
        {
            return;
        }

        if (!(target.Plan.Bindable ?? target.Service.Bindable ?? false))
        {
            throw CfApiException.Unbindable();
        }

        if (target.Requires("volume_mount") && !access.Options.VolumeServicesEnabled)
        {
            throw CfApiException.VolumeMountServiceDisabled();
        }
    }

    private static void CheckName(string? name)
    {
        var nameErrors = new List<string>();
        if (name is { Length: > 255 })
        {
            nameErrors.Add("The binding name is invalid. App binding names must be less than 256 characters.");
        }

        if (!string.IsNullOrEmpty(name) && name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '_' or '-')))
        {
            nameErrors.Add("The binding name is invalid. Valid characters are alphanumeric, underscore, and dash.");
        }

        if (nameErrors.Count > 0)
        {
            throw CfApiException.BindingTaken(string.Join(" ", nameErrors));
        }
    }

    /// <summary>A 202 is kept only for a retrievable binding the client accepts incomplete; otherwise CC unbinds what the broker began, then refuses.</summary>
    private async Task CheckAsynchronousAllowedAsync(BrokerTarget target, string guid, bool acceptsIncomplete, BrokerCaller caller)
    {
        if (target.Service.BindingsRetrievable?.GetValue<bool>() != true)
        {
            await broker.MitigateOrphanAsync(target, guid, caller);
            throw CfApiException.BindingInvalid("Could not create asynchronous binding when bindings_retrievable is false.");
        }

        if (!acceptsIncomplete)
        {
            await broker.MitigateOrphanAsync(target, guid, caller);
            throw CfApiException.AsyncNotAllowed();
        }
    }

    private Task DeleteBindingAsync(HttpContext context, string guid)
    {
        var user = access.Anyone(context);
        var binding = store.Get<ServiceBindingRecord>(guid) ?? throw CfApiException.BindingNotFound(guid);
        CheckMayBind(user, binding.AppGuid!);
        var acceptsIncomplete = CfAccess.AcceptsIncomplete(context.Request);
        if (context.Request.Query["async"] == "true" && !acceptsIncomplete)
        {
            return QueueUnbindAsync(context, user, guid);
        }

        return UnbindAsync(context, user, binding, acceptsIncomplete);
    }

    /// <summary><c>async=true</c>: CC answers 202 with a job (no Location) and unbinds in the background.</summary>
    private async Task QueueUnbindAsync(HttpContext context, CfUser user, string guid)
    {
        var job = await jobs.QueueUnbindAsync(guid, BrokerCaller.Of(context, user));
        await CfHttp.WriteAsync(context, 202, CfJobs.Present(job));
    }

    /// <summary>
    /// The deprecated DELETE /v2/apps/:app_guid/service_bindings/:guid: the app's update rights are checked, then the
    /// binding (found by guid alone, as CC does) is removed synchronously, with a deprecation warning.
    /// </summary>
    private Task DeleteBindingOfAppAsync(HttpContext context, string appGuid, string guid)
    {
        var user = access.Anyone(context);
        if (!access.Exists<AppRecord>(appGuid))
        {
            throw CfApiException.AppNotFound(appGuid);
        }

        CheckMayBind(user, appGuid);
        var binding = store.Get<ServiceBindingRecord>(guid) ?? throw CfApiException.BindingNotFound(guid);
        CfHttp.AddWarning(context.Response, "Endpoint deprecated");
        return UnbindAsync(context, user, binding, acceptsIncomplete: false);
    }

    private async Task UnbindAsync(HttpContext context, CfUser user, ServiceBindingRecord binding, bool acceptsIncomplete)
    {
        var (result, marked) = await unbinder.UnbindAsync(binding, acceptsIncomplete, BrokerCaller.Of(context, user));
        switch (result)
        {
            case UnbindResult.InProgress:
                await CfHttp.WriteAsync(context, 202, present.Binding(marked!, 0), $"/v2/service_bindings/{binding.Guid}");
                return;
            case UnbindResult.DeletedDespiteAsynchronousAnswer:
                CfHttp.AddWarning(context.Response,
                    "The service broker responded asynchronously to the unbind request, but the accepts_incomplete query parameter was false or not given. The service binding may not have been successfully deleted on the service broker.");
                break;
        }

        await CfHttp.WriteAsync(context, 204, null);
    }

    /// <summary>GET …/parameters: the broker's record of the binding, of which only its parameters are shown.</summary>
    private async Task BindingParametersAsync(HttpContext context, string guid)
    {
        var user = access.Reader(context);
        var binding = VisibleBinding(user, guid);
        var target = BrokerTarget.OfInstance(store, binding.ServiceInstanceGuid!);
        if (target?.Service.BindingsRetrievable?.GetValue<bool>() != true)
        {
            throw CfApiException.ParametersNotSupported();
        }

        if (binding.LastOperationState is "initial" or "in progress")
        {
            var app = store.Get<AppRecord>(binding.AppGuid!);
            throw CfApiException.BindingOperationInProgress(app is null ? "" : app.Name!, target.Instance.Name!);
        }

        await CfHttp.WriteAsync(context, 200, await broker.FetchParametersAsync(target, guid, BrokerCaller.Of(context, user)));
    }
}
