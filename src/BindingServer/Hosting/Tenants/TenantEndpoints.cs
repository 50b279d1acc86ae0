using System.Text.Json.Nodes;
using BindingServer.Documentation;
using BindingServer.Kubernetes.Json;

namespace BindingServer.Hosting.Tenants;

/// <summary>
/// <c>/_bindingserver/tenants</c>: create, list, read and delete tenants, each an isolated cluster and Cloud Controller
/// under its own path prefix, so parallel tests can each have one. Served on the server's root only.
/// </summary>
public static class TenantEndpoints
{
    private const string Tag = "BindingServer tenants";
    private const string Collection = "/_bindingserver/tenants";

    private static readonly ApiDoc CreateDoc = new(
        "Create a tenant: its own Kubernetes, OpenShift and Cloud Foundry APIs and admin API under /tenants/{id}, from the start state, "
            + "and loaded with the fixtures in the body (optional; as POST /_bindingserver/fixtures takes them)",
        [new("id", "The tenant's id (a DNS label); a generated one when absent.")],
        [
            new(201, "The tenant: id, kubernetesUrl, kubeconfig, cloudFoundryUrl and adminUrl", null),
            new(400, "An invalid id, or a fixture document that cannot be read; no tenant was created", null),
            new(404, "Inside a tenant: tenants are created on the server's root", null),
            new(409, "The id is taken", null),
            new(422, "A fixture object the apiserver would refuse, with its Status; no tenant was created", null),
        ])
    {
        RequestMediaTypes = ["application/yaml", "application/json"],
        ResponseExample = JsonNode.Parse("""
            {"id":"team-a","kubernetesUrl":"http://127.0.0.1:8080/tenants/team-a","cloudFoundryUrl":"http://127.0.0.1:8080/tenants/team-a",
             "adminUrl":"http://127.0.0.1:8080/tenants/team-a/_bindingserver","creationTimestamp":"2026-12-04T17:00:00Z",
             "kubeconfig":"apiVersion: v1\nkind: Config\n..."}
            """),
    };

    public static IEndpointRouteBuilder MapTenants(this IEndpointRouteBuilder app)
    {
        app.MapPost(Collection, CreateAsync).WithTags(Tag).WithMetadata(CreateDoc);
        app.MapGet(Collection, (HttpContext context, TenantRegistry tenants) => OnRoot(context, () =>
                Results.Json(new JsonObject { ["tenants"] = new JsonArray([.. tenants.List().Select(t => Describe(context, t, withKubeconfig: false))]) })))
            .WithTags(Tag).WithMetadata(ApiDoc.Simple("The tenants, oldest first (without their kubeconfigs)"));
        app.MapGet(Collection + "/{id}", (HttpContext context, TenantRegistry tenants, string id) => OnRoot(context, () =>
                tenants.TryGet(id, out var tenant) ? Results.Json(Describe(context, tenant, withKubeconfig: true)) : NotFound(id)))
            .WithTags(Tag).WithMetadata(new ApiDoc("A tenant, with its kubeconfig", [], [new(200, "The tenant", null), new(404, "No such tenant", null)]));
        app.MapDelete(Collection + "/{id}", (HttpContext context, TenantRegistry tenants, string id) => OnRootAsync(context, async () =>
                await tenants.DeleteAsync(id) ? Results.NoContent() : NotFound(id)))
            .WithTags(Tag).WithMetadata(new ApiDoc("Delete a tenant: its watches end and its objects are freed", [],
                [new(204, "Deleted", null), new(404, "No such tenant", null)]));
        return app;
    }

    private static async Task<IResult> CreateAsync(HttpContext context, TenantRegistry tenants)
    {
        if (TenantRouting.InTenant(context))
        {
            return NotOnRoot();
        }

        var id = context.Request.Query.ContainsKey("id") ? context.Request.Query["id"].ToString() : null;
        if (id is not null && TenantRegistry.InvalidId(id) is { } problem)
        {
            return Message(400, problem);
        }

        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var fixtures = body.Length == 0 ? null : new Fixtures.Source("body", body.ToArray());
        try
        {
            var tenant = await tenants.CreateAsync(id, fixtures is null ? null : t => t.Services.GetRequiredService<Fixtures>().LoadAsync([fixtures], context.RequestAborted),
                context.RequestAborted);
            if (tenant is null)
            {
                return Message(409, $"tenant \"{id}\" already exists");
            }

            context.Response.Headers.Location = $"{context.Request.PathBase}{Collection}/{tenant.Id}";
            return Results.Json(Describe(context, tenant, withKubeconfig: true), statusCode: 201);
        }
        catch (FixtureException error)
        {
            return Message(400, error.Message);
        }
        catch (FixtureRefusedException error)
        {
            return Results.Json(new JsonObject { ["message"] = error.Message, ["status"] = KubeJson.ToNode(error.Status) }, statusCode: error.Status.Code);
        }
    }

    /// <summary>The tenant as the admin API shows it, its URLs made from the address the request came to.</summary>
    private static JsonObject Describe(HttpContext context, Tenant tenant, bool withKubeconfig)
    {
        var root = $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}{tenant.PathBase}";
        var described = new JsonObject
        {
            ["id"] = tenant.Id,
            ["kubernetesUrl"] = root,
            ["cloudFoundryUrl"] = root,
            ["adminUrl"] = root + "/_bindingserver",
            ["creationTimestamp"] = KubeTimeConverter.ToText(tenant.Created),
        };
        if (withKubeconfig)
        {
            described["kubeconfig"] = Kubeconfig.ForAdmin(root, context.RequestServices.GetService<ServerCertificates>());
        }

        return described;
    }

    private static IResult OnRoot(HttpContext context, Func<IResult> answer) => TenantRouting.InTenant(context) ? NotOnRoot() : answer();

    private static async Task<IResult> OnRootAsync(HttpContext context, Func<Task<IResult>> answer) =>
        TenantRouting.InTenant(context) ? NotOnRoot() : await answer();

    private static IResult NotOnRoot() => Message(404, "tenants are created, listed and deleted on the server's root, not inside a tenant");

    private static IResult NotFound(string id) => Message(404, $"tenant \"{id}\" not found");

    private static IResult Message(int status, string message) => Results.Json(new JsonObject { ["message"] = message }, statusCode: status);
}
