using System.Text.Json.Nodes;
using BindingServer.CloudFoundry.Brokers;
using BindingServer.Documentation;

namespace BindingServer.CloudFoundry;

/// <summary>
/// <c>/v2/service_brokers</c>: admins register brokers for everyone, space developers brokers for their space. Create
/// and update answer with CC's broker presenter (metadata with <c>url</c> last, no password), lists and gets with the
/// usual one; a PUT or DELETE of an unknown broker is a bare 404, as CC's controller returns it.
/// </summary>
public sealed class ServiceBrokerEndpoints(CfStore store, CfPresenters present, CfAccess access, BrokerRegistry registry, BrokerClient client)
{
    /// <summary>A request body's string field.</summary>
    private static string? Text(JsonObject body, string key) => body[key]?.GetValue<string>();

    private static CfApiException NotFound(string guid) => new(404, "ServiceBrokerNotFound", 270004, $"The service broker was not found: {guid}");

    public static void Map(RouteGroupBuilder v2)
    {
        v2.MapGet("/service_brokers", (HttpContext c, ServiceBrokerEndpoints e) => e.ListAsync(c))
            .WithMetadata(CloudFoundryApiDocs.List("service brokers"));
        v2.MapPost("/service_brokers", (HttpContext c, ServiceBrokerEndpoints e) => e.CreateAsync(c))
            .WithMetadata(CloudFoundryApiDocs.CreateBroker);
        v2.MapGet("/service_brokers/{guid}", (HttpContext c, ServiceBrokerEndpoints e, string guid) => e.GetAsync(c, guid))
            .WithMetadata(CloudFoundryApiDocs.Get("a service broker"));
        v2.MapPut("/service_brokers/{guid}", (HttpContext c, ServiceBrokerEndpoints e, string guid) => e.UpdateAsync(c, guid))
            .WithMetadata(CloudFoundryApiDocs.UpdateBroker);
        v2.MapDelete("/service_brokers/{guid}", (HttpContext c, ServiceBrokerEndpoints e, string guid) => e.DeleteAsync(c, guid))
            .WithMetadata(CloudFoundryApiDocs.Delete("a service broker"));
    }

    private JsonObject Present(ServiceBrokerRecord broker) => present.Broker(broker, client.BrokerUrl(broker));

    /// <summary>What POST and PUT answer: CC's broker presenter puts <c>url</c> after the times.</summary>
    private JsonObject PresentWritten(ServiceBrokerRecord broker)
    {
        var resource = Present(broker);
        var metadata = resource["metadata"]!.AsObject();
        var url = metadata["url"]!.DeepClone();
        metadata.Remove("url");
        metadata["url"] = url;
        return resource;
    }

    /// <summary>Admins and global readers see every broker; a space developer, the brokers of that space.</summary>
    private bool Sees(CfUser user, ServiceBrokerRecord broker) =>
        user.ReadsEverything || (broker.SpaceGuid is { } space && CfRoles.IsDeveloper(user, store.Get<SpaceRecord>(space)));

    /// <summary>Changing a broker takes an admin, or a developer of the space a space-scoped broker belongs to.</summary>
    private bool MayChange(CfUser user, string? spaceGuid) =>
        user.IsAdmin || (spaceGuid is not null && CfRoles.IsDeveloper(user, store.Get<SpaceRecord>(spaceGuid)));

    private Task ListAsync(HttpContext context)
    {
        var user = access.Reader(context);
        var query = CfQuery.Parse(context.Request, ["name", "space_guid"], refuseOrderBy: false);
        var items = store.List<ServiceBrokerRecord>().Where(b => query.Matches(b.FilterValue)).Where(b => Sees(user, b)).ToList();
        return CfHttp.WriteAsync(context, 200, query.Envelope(items, context.Request.Path, Present));
    }

    private Task GetAsync(HttpContext context, string guid)
    {
        var user = access.Reader(context);
        var broker = store.Get<ServiceBrokerRecord>(guid) ?? throw NotFound(guid);
        return Sees(user, broker) ? CfHttp.WriteAsync(context, 200, Present(broker)) : throw CfApiException.NotAuthorized();
    }

    private async Task CreateAsync(HttpContext context)
    {
        var user = access.Anyone(context);
        var body = await CfHttp.ReadBodyAsync(context.Request);
        CfHttp.CheckFields(body, ("name", "String", true), ("broker_url", "String", true), ("auth_username", "String", true), ("auth_password", "String", true),
            ("space_guid", "String", false));
        var spaceGuid = Text(body, "space_guid");
        if (spaceGuid is not null && !access.Exists<SpaceRecord>(spaceGuid))
        {
            throw new CfApiException(404, "ResourceNotFound", 10010, "Space not found");
        }

        if (!MayChange(user, spaceGuid))
        {
            throw CfApiException.NotAuthorized();
        }

        var (broker, warnings) = await registry.CreateAsync(
            new BrokerFields(Text(body, "name"), Text(body, "broker_url"), Text(body, "auth_username"), Text(body, "auth_password"), spaceGuid),
            BrokerCaller.Of(context, user));
        warnings.ForEach(w => CfHttp.AddWarning(context.Response, w));
        await CfHttp.WriteAsync(context, 201, PresentWritten(broker), $"/v2/service_brokers/{broker.Guid}");
    }

    private async Task UpdateAsync(HttpContext context, string guid)
    {
        var user = access.Anyone(context);
        var body = await CfHttp.ReadBodyAsync(context.Request);
        CfHttp.CheckFields(body, ("name", "String", false), ("broker_url", "String", false), ("auth_username", "String", false), ("auth_password", "String", false));
        if (store.Get<ServiceBrokerRecord>(guid) is not { } broker)
        {
            await CfHttp.WriteAsync(context, 404, null);
            return;
        }

        if (!MayChange(user, broker.SpaceGuid))
        {
            throw CfApiException.NotAuthorized();
        }

        var (updated, warnings) = await registry.UpdateAsync(broker,
            new BrokerFields(Text(body, "name"), Text(body, "broker_url"), Text(body, "auth_username"), Text(body, "auth_password"), null),
            BrokerCaller.Of(context, user));
        warnings.ForEach(w => CfHttp.AddWarning(context.Response, w));
        await CfHttp.WriteAsync(context, 200, PresentWritten(updated));
    }

    private async Task DeleteAsync(HttpContext context, string guid)
    {
        var user = access.Anyone(context);
        if (store.Get<ServiceBrokerRecord>(guid) is not { } broker)
        {
            await CfHttp.WriteAsync(context, 404, null);
            return;
        }

        if (!MayChange(user, broker.SpaceGuid))
        {
            throw CfApiException.NotAuthorized();
        }

        await registry.DeleteAsync(broker);
        await CfHttp.WriteAsync(context, 204, null);
    }
}
