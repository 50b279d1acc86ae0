using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using BindingServer.Documentation;
using BindingServer.Kubernetes.Api;
using Microsoft.Net.Http.Headers;

namespace BindingServer.Kubernetes.Discovery;

/// <summary>One entry of a group-version's resource list: a resource or a <c>resource/subresource</c>.</summary>
public sealed record DiscoveredResource(
    string Group,
    string Version,
    string Name,
    string Singular,
    bool Namespaced,
    string Kind,
    IReadOnlyList<string> Verbs,
    IReadOnlyList<string> ShortNames,
    IReadOnlyList<string> Categories,
    string? ResponseGroup = null,
    string? ResponseVersion = null)
{
    public string GroupVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public bool IsSubresource => Name.Contains('/', StringComparison.Ordinal);

    public static DiscoveredResource From(ResourceDefinition d) =>
        new(d.Group, d.Version, d.Plural, d.Singular, d.Namespaced, d.Kind, d.Verbs, d.ShortNames, d.Categories);
}

/// <summary>
/// Discovery as kubectl reads it: the legacy documents (<c>/api</c>, <c>/apis</c>, <c>/apis/{group}</c>, and each
/// group-version's APIResourceList) and the aggregated <c>apidiscovery.k8s.io/v2</c> form, all generated from the
/// resources the server actually routes.
/// </summary>
public sealed class DiscoveryDocuments(IEnumerable<DiscoveredResource> resources)
{
    public const string AggregatedMediaType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

    private readonly List<DiscoveredResource> _resources = resources.ToList();

    public IReadOnlyList<DiscoveredResource> Resources => _resources;

    /// <summary>Group names in the order the real server lists them (by its group priorities), then the rest.</summary>
    private static readonly string[] GroupOrder = ["authentication.k8s.io", "authorization.k8s.io", "rbac.authorization.k8s.io", "authorization.openshift.io"];

    public IEnumerable<string> Groups => _resources.Select(r => r.Group).Where(g => g.Length > 0).Distinct()
        .OrderBy(g => Array.IndexOf(GroupOrder, g) is var i && i >= 0 ? i : int.MaxValue).ThenBy(g => g, StringComparer.Ordinal);

    public IEnumerable<string> Versions(string group) => _resources.Where(r => r.Group == group).Select(r => r.Version).Distinct();

    public JsonObject CoreVersions(string serverAddress) => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = serverAddress }),
    };

    public JsonObject GroupList() => new()
    {
        ["kind"] = "APIGroupList",
        ["apiVersion"] = "v1",
        ["groups"] = new JsonArray(Groups.Select(g => (JsonNode)GroupBody(g)).ToArray()),
    };

    private JsonObject GroupBody(string group)
    {
        var versions = Versions(group).ToList();
        return new JsonObject
        {
            ["name"] = group,
            ["versions"] = new JsonArray(versions.Select(v => (JsonNode)new JsonObject { ["groupVersion"] = $"{group}/{v}", ["version"] = v }).ToArray()),
            ["preferredVersion"] = new JsonObject { ["groupVersion"] = $"{group}/{versions[0]}", ["version"] = versions[0] },
        };
    }

    public JsonObject? Group(string group)
    {
        if (!Groups.Contains(group))
        {
            return null;
        }

        var body = GroupBody(group);
        var result = new JsonObject { ["kind"] = "APIGroup", ["apiVersion"] = "v1" };
        foreach (var (key, value) in body)
        {
            result[key] = value?.DeepClone();
        }

        return result;
    }

    /// <summary>The legacy APIResourceList; the core one famously has no apiVersion.</summary>
    public JsonObject? ResourceList(string group, string version)
    {
        var entries = _resources.Where(r => r.Group == group && r.Version == version).OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
        if (entries.Count == 0 && group.Length > 0)
        {
            return null;
        }

        var list = new JsonObject { ["kind"] = "APIResourceList" };
        if (group.Length > 0)
        {
            list["apiVersion"] = "v1";
        }

        list["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}";
        list["resources"] = new JsonArray(entries.Select(r =>
        {
            var entry = new JsonObject
            {
                ["name"] = r.Name,
                ["singularName"] = r.Singular,
                ["namespaced"] = r.Namespaced,
            };
            if (r.ResponseGroup is not null)
            {
                entry["group"] = r.ResponseGroup;
                entry["version"] = r.ResponseVersion;
            }

            entry["kind"] = r.Kind;
            entry["verbs"] = new JsonArray(r.Verbs.Order(StringComparer.Ordinal).Select(v => (JsonNode)v).ToArray());
            if (r.ShortNames.Count > 0)
            {
                entry["shortNames"] = new JsonArray(r.ShortNames.Select(s => (JsonNode)s).ToArray());
            }

            if (r.Categories.Count > 0)
            {
                entry["categories"] = new JsonArray(r.Categories.Select(s => (JsonNode)s).ToArray());
            }

            return (JsonNode)entry;
        }).ToArray());
        return list;
    }

    /// <summary>The aggregated discovery list for <c>/api</c> (core) or <c>/apis</c> (every named group).</summary>
    public JsonObject Aggregated(bool core)
    {
        var groups = core ? [""] : Groups.ToList();
        return new JsonObject
        {
            ["kind"] = "APIGroupDiscoveryList",
            ["apiVersion"] = "apidiscovery.k8s.io/v2",
            ["metadata"] = new JsonObject(),
            ["items"] = new JsonArray(groups.Select(group =>
            {
                var metadata = new JsonObject { ["creationTimestamp"] = null };
                if (group.Length > 0)
                {
                    metadata = new JsonObject { ["name"] = group, ["creationTimestamp"] = null };
                }

                var versions = group.Length == 0 ? ["v1"] : Versions(group).ToList();
                return (JsonNode)new JsonObject
                {
                    ["metadata"] = metadata,
                    ["versions"] = new JsonArray(versions.Select(v => (JsonNode)AggregatedVersion(group, v)).ToArray()),
                };
            }).ToArray()),
        };
    }

    private JsonObject AggregatedVersion(string group, string version)
    {
        var entries = _resources.Where(r => r.Group == group && r.Version == version).ToList();
        var resources = entries.Where(r => !r.IsSubresource).OrderBy(r => r.Name, StringComparer.Ordinal).Select(r =>
        {
            var entry = new JsonObject
            {
                ["resource"] = r.Name,
                ["responseKind"] = new JsonObject { ["group"] = "", ["version"] = "", ["kind"] = r.Kind },
                ["scope"] = r.Namespaced ? "Namespaced" : "Cluster",
                ["singularResource"] = r.Singular,
                ["verbs"] = new JsonArray(r.Verbs.Order(StringComparer.Ordinal).Select(v => (JsonNode)v).ToArray()),
            };
            if (r.ShortNames.Count > 0)
            {
                entry["shortNames"] = new JsonArray(r.ShortNames.Select(s => (JsonNode)s).ToArray());
            }

            if (r.Categories.Count > 0)
            {
                entry["categories"] = new JsonArray(r.Categories.Select(s => (JsonNode)s).ToArray());
            }

            var subresources = entries.Where(s => s.IsSubresource && s.Name.StartsWith(r.Name + "/", StringComparison.Ordinal)).ToList();
            if (subresources.Count > 0)
            {
                entry["subresources"] = new JsonArray(subresources.Select(s => (JsonNode)new JsonObject
                {
                    ["subresource"] = s.Name[(r.Name.Length + 1)..],
                    ["responseKind"] = new JsonObject { ["group"] = s.ResponseGroup ?? "", ["version"] = s.ResponseVersion ?? "", ["kind"] = s.Kind },
                    ["verbs"] = new JsonArray(s.Verbs.Order(StringComparer.Ordinal).Select(v => (JsonNode)v).ToArray()),
                }).ToArray());
            }

            return (JsonNode)entry;
        }).ToArray();
        return new JsonObject { ["version"] = version, ["resources"] = new JsonArray(resources), ["freshness"] = "Current" };
    }
}

public static class DiscoveryEndpoints
{
    public static IEndpointRouteBuilder MapDiscovery(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api", (HttpContext c, DiscoveryDocuments d) =>
            WantsAggregated(c.Request) ? WriteAggregatedAsync(c, d.Aggregated(core: true)) : KubeHttp.WriteNodeAsync(c, 200, d.CoreVersions(ServerAddress(c))))
            .WithTags("Discovery").WithMetadata(ApiDoc.Simple("Core API versions (aggregated discovery when the Accept header asks for it)"));
        app.MapGet("/apis", (HttpContext c, DiscoveryDocuments d) =>
            WantsAggregated(c.Request) ? WriteAggregatedAsync(c, d.Aggregated(core: false)) : KubeHttp.WriteNodeAsync(c, 200, d.GroupList()))
            .WithTags("Discovery").WithMetadata(ApiDoc.Simple("API groups (aggregated discovery when the Accept header asks for it)"));
        app.MapGet("/api/{version}", (HttpContext c, DiscoveryDocuments d, string version) =>
            WriteOrNotFound(c, version == "v1" ? d.ResourceList("", version) : null))
            .WithTags("Discovery").WithMetadata(ApiDoc.Simple("The core group's resources"));
        app.MapGet("/apis/{group}", (HttpContext c, DiscoveryDocuments d, string group) => WriteOrNotFound(c, d.Group(group)))
            .WithTags("Discovery").WithMetadata(ApiDoc.Simple("One API group"));
        app.MapGet("/apis/{group}/{version}", (HttpContext c, DiscoveryDocuments d, string group, string version) =>
            WriteOrNotFound(c, d.ResourceList(group, version)))
            .WithTags("Discovery").WithMetadata(ApiDoc.Simple("A group-version's resources"));
        return app;
    }

    private static string ServerAddress(HttpContext context) =>
        $"{context.Connection.LocalIpAddress?.ToString() ?? "127.0.0.1"}:{context.Connection.LocalPort}";

    /// <summary>Go's mux answers unknown groups with its plain-text 404.</summary>
    private static Task WriteOrNotFound(HttpContext context, JsonObject? body)
    {
        if (body is not null)
        {
            return KubeHttp.WriteNodeAsync(context, 200, body);
        }

        context.Response.StatusCode = 404;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers["X-Content-Type-Options"] = "nosniff";
        return context.Response.WriteAsync("404 page not found\n");
    }

    private static bool WantsAggregated(HttpRequest request)
    {
        foreach (var clause in request.Headers.Accept.ToString().Split(','))
        {
            if (MediaTypeHeaderValue.TryParse(clause.Trim(), out var media) &&
                media.Parameters.Any(p => p.Name.Equals("as", StringComparison.OrdinalIgnoreCase) && p.Value == "APIGroupDiscoveryList") &&
                media.Parameters.Any(p => p.Name.Equals("g", StringComparison.OrdinalIgnoreCase) && p.Value == "apidiscovery.k8s.io") &&
                media.Parameters.Any(p => p.Name.Equals("v", StringComparison.OrdinalIgnoreCase) && p.Value == "v2"))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The exact content type is what makes client-go accept the aggregated form; the ETag allows 304s.</summary>
    private static async Task WriteAggregatedAsync(HttpContext context, JsonObject body)
    {
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString(Json.KubeJson.Options));
        var etag = $"\"{Convert.ToHexString(SHA256.HashData(bytes))[..32]}\"";
        context.Response.Headers.ETag = etag;
        context.Response.Headers.Vary = "Accept";
        if (context.Request.Headers.IfNoneMatch.ToString() == etag)
        {
            context.Response.StatusCode = 304;
            return;
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = DiscoveryDocuments.AggregatedMediaType;
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }
}
