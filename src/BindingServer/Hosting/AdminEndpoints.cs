using System.Text.Json.Nodes;
using BindingServer.CloudFoundry;
using BindingServer.CloudFoundry.Brokers;
using BindingServer.Documentation;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Authorization;
using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Resources.Core;
using BindingServer.Storage;

namespace BindingServer.Hosting;

/// <summary>
/// The admin API under <c>/_bindingserver/</c>, a prefix no real server uses, for test suites that drive the server:
/// reset the store to its start state between tests, load fixtures and export the state, read or clear the request
/// journal, and inject faults.
/// </summary>
public static class AdminEndpoints
{
    private const string Tag = "BindingServer";

    private static readonly ApiDoc ResetDoc = new("Reset the store (or one API family) to the start state",
        [new("family", "kubernetes or cloudfoundry; both when absent.")],
        [new(200, "Reset: how many objects were removed and the store's revision after re-seeding", null), new(400, "Unknown family", null)]);

    private static readonly ApiDoc JournalDoc = ApiDoc.Simple("The request journal: method, path, query, status, body SHA-256 and time of each request");

    private static readonly ApiDoc ClearJournalDoc = new("Empty the request journal", [], [new(204, "Emptied", null)]);

    public static IEndpointRouteBuilder MapAdmin(this IEndpointRouteBuilder app)
    {
        app.MapPost("/_bindingserver/reset", ResetAsync).WithTags(Tag).WithMetadata(ResetDoc);
        app.MapGet("/_bindingserver/journal", (RequestJournal journal) => Results.Json(new JsonObject { ["entries"] = journal.Entries() }))
            .WithTags(Tag).WithMetadata(JournalDoc);
        app.MapDelete("/_bindingserver/journal", (RequestJournal journal) =>
        {
            journal.Clear();
            return Results.NoContent();
        }).WithTags(Tag).WithMetadata(ClearJournalDoc);
        app.MapPost("/_bindingserver/fixtures", LoadFixturesAsync).WithTags(Tag).WithMetadata(LoadFixturesDoc);
        app.MapGet("/_bindingserver/export", Export).WithTags(Tag).WithMetadata(ExportDoc);
        app.MapPost("/_bindingserver/faults", AddFaultAsync).WithTags(Tag).WithMetadata(AddFaultDoc);
        app.MapGet("/_bindingserver/faults", (FaultInjection faults) => Results.Json(new JsonObject { ["faults"] = faults.List() }))
            .WithTags(Tag).WithMetadata(ApiDoc.Simple("The fault rules in force, with how many uses each has left"));
        app.MapDelete("/_bindingserver/faults", (FaultInjection faults) =>
        {
            faults.Clear();
            return Results.NoContent();
        }).WithTags(Tag).WithMetadata(new ApiDoc("Remove every fault rule", [], [new(204, "Removed", null)]));
        return app;
    }

    private static readonly ApiDoc LoadFixturesDoc = new(
        "Load fixtures: Kubernetes manifests (YAML or JSON, several documents, Lists) and Cloud Foundry fixture documents, in one transaction",
        [],
        [
            new(200, "What was created and what existed already (left as it was)", null),
            new(400, "A document that cannot be read; nothing was written", null),
            new(404, "A namespaced object whose namespace is neither stored nor in the fixture; nothing was written", null),
            new(422, "An object the apiserver would refuse, with its Status; nothing was written", null),
        ])
    {
        RequestExample = JsonNode.Parse("""
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"ci-readers"},
             "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},
             "subjects":[{"kind":"Group","apiGroup":"rbac.authorization.k8s.io","name":"ci"}]}
            """),
    };

    private static readonly ApiDoc ExportDoc = new("Export the current state as fixtures that load back",
        [new("family", "kubernetes (YAML manifests), cloudfoundry (a JSON fixture document), or both as one YAML stream when absent.")],
        [new(200, "The state", null), new(400, "Unknown family", null)]);

    private static async Task<IResult> LoadFixturesAsync(HttpContext context, Fixtures fixtures)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        try
        {
            var outcome = await fixtures.LoadAsync([new Fixtures.Source("body", buffer.ToArray())], context.RequestAborted);
            return Results.Json(outcome.ToJson());
        }
        catch (FixtureException error)
        {
            return Results.Json(new JsonObject { ["message"] = error.Message }, statusCode: 400);
        }
        catch (FixtureRefusedException error)
        {
            return Results.Json(new JsonObject { ["message"] = error.Message, ["status"] = KubeJson.ToNode(error.Status) },
                statusCode: error.Status.Code);
        }
    }

    private static IResult Export(HttpContext context, Fixtures fixtures, ObjectStore store)
    {
        var snapshot = store.Current;
        return context.Request.Query["family"].ToString() switch
        {
            "kubernetes" => Results.Text(YamlConversion.ToYaml(fixtures.ExportKubernetes(snapshot)), "application/yaml"),
            "cloudfoundry" => Results.Json(CfFixtures.Export(snapshot)),
            "" => Results.Text(YamlConversion.ToYaml(fixtures.ExportKubernetes(snapshot).Append(CfFixtures.Export(snapshot))), "application/yaml"),
            var family => Results.Json(new JsonObject { ["message"] = $"unknown family \"{family}\": use kubernetes or cloudfoundry" }, statusCode: 400),
        };
    }

    private static readonly ApiDoc AddFaultDoc = new("Inject a fault into matching requests", [],
        [new(201, "The rule, with its id", null), new(400, "An invalid rule", null)])
    {
        RequestExample = JsonNode.Parse("""{"method":"PUT","path":"/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/*","status":409,"count":1}"""),
    };

    private static async Task<IResult> AddFaultAsync(HttpContext context, FaultInjection faults)
    {
        try
        {
            var spec = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted) as JsonObject
                ?? throw new ArgumentException("the body must be a JSON object");
            return Results.Json(faults.Add(spec).ToJson(), statusCode: 201);
        }
        catch (Exception error) when (error is ArgumentException or System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            return Results.Json(new JsonObject { ["message"] = error.Message }, statusCode: 400);
        }
    }

    /// <summary>
    /// Deletes every object of the chosen families in one transaction (watchers see each deletion, revisions keep
    /// rising), then seeds again what a fresh server starts with: the system namespaces and their default service accounts, the default RBAC policy, the default org and space and
    /// the built-in broker with its catalog.
    /// </summary>
    private static async Task<IResult> ResetAsync(HttpContext context, ObjectStore store, ResourceCatalog catalog, ResourceRegistry registry, BrokerRegistry cf)
    {
        var family = context.Request.Query["family"].ToString();
        var (kubernetes, cloudFoundry) = family switch
        {
            "" => (true, true),
            "kubernetes" => (true, false),
            "cloudfoundry" => (false, true),
            _ => (false, false),
        };
        if (!kubernetes && !cloudFoundry)
        {
            return Results.Json(new JsonObject { ["message"] = $"unknown family \"{family}\": use kubernetes or cloudfoundry" }, statusCode: 400);
        }

        var prefixes = (kubernetes ? catalog.KeyPrefixes : []).Concat(cloudFoundry ? CfStore.Prefixes : []).ToList();
        var removed = await store.MutateManyAsync(snapshot => prefixes
            .SelectMany(prefix => snapshot.List(prefix, prefix))
            .Select(entry => (entry.Key, (Mutation)new Mutation.Delete(entry.Body)))
            .ToList(), context.RequestAborted);

        if (kubernetes)
        {
            await CoreControllers.EnsureSystemNamespacesAsync(registry, context.RequestAborted);
            await BootstrapPolicy.EnsureAsync(registry, store, context.RequestAborted);
            await ServiceAccountsController.EnsureDefaultAccountsAsync(store, registry, context.RequestAborted);
            await ClusterRoleAggregation.SyncAsync(store, registry, context.RequestAborted);
        }

        if (cloudFoundry)
        {
            await cf.SeedAsync();
        }

        return Results.Json(new JsonObject { ["removed"] = removed.Count, ["revision"] = store.Current.Revision });
    }
}
