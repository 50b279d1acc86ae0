using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using BindingServer.Hosting.Tenants;
using BindingServer.Storage;
using BindingServer.TestSupport;
using BindingServer.Tests.CloudFoundry;
using Microsoft.Extensions.DependencyInjection;

namespace BindingServer.Tests.Hosting;

/// <summary>/_bindingserver/tenants: creating, listing, reading and deleting tenants, and what each answer holds.</summary>
public sealed class TenantAdminApiTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private readonly HttpClient _client = factory.Client();

    [Fact]
    public async Task Create_answers_201_with_the_urls_and_a_kubeconfig_naming_the_tenant_root()
    {
        using var response = await _client.PostAsync("/_bindingserver/tenants?id=answer-shape", null);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();

        Assert.Equal(201, (int)response.StatusCode);
        Assert.Equal("/_bindingserver/tenants/answer-shape", response.Headers.Location!.OriginalString);
        Assert.Equal("answer-shape", body["id"].Str());
        Assert.Equal("http://localhost/tenants/answer-shape", body["kubernetesUrl"].Str());
        Assert.Equal("http://localhost/tenants/answer-shape", body["cloudFoundryUrl"].Str());
        Assert.Equal("http://localhost/tenants/answer-shape/_bindingserver", body["adminUrl"].Str());
        var kubeconfig = body["kubeconfig"].Str();
        Assert.Contains("\n    server: http://localhost/tenants/answer-shape\n", kubeconfig, StringComparison.Ordinal);
        Assert.Equal(kubeconfig, await _client.GetStringAsync("/tenants/answer-shape/_bindingserver/kubeconfig"));
    }

    [Fact]
    public async Task A_generated_id_is_a_dns_label_and_the_tenant_is_listed_read_and_deleted()
    {
        var (code, created) = await _client.SendAsync(HttpMethod.Post, "/_bindingserver/tenants");
        Assert.Equal(201, code);
        var id = created["id"].Str();
        Assert.Null(TenantRegistry.InvalidId(id));

        var (_, list) = await _client.GetJsonAsync("/_bindingserver/tenants");
        var listed = list["tenants"]!.AsArray().Single(t => t!["id"].Str() == id)!;
        Assert.Null(listed["kubeconfig"]);
        Assert.Equal(created["kubernetesUrl"].Str(), listed["kubernetesUrl"].Str());
        var (readCode, read) = await _client.GetJsonAsync($"/_bindingserver/tenants/{id}");
        Assert.Equal((200, created.Compact()), (readCode, read.Compact()));

        using var deleted = await _client.DeleteAsync($"/_bindingserver/tenants/{id}");
        Assert.Equal(204, (int)deleted.StatusCode);
        Assert.Equal(404, (await _client.GetJsonAsync($"/_bindingserver/tenants/{id}")).Code);
        Assert.Equal("""{"message":"tenant \"ID\" not found"}""".Replace("ID", id, StringComparison.Ordinal),
            (await _client.DeleteJsonAsync($"/_bindingserver/tenants/{id}")).Body.Compact());
        var (goneCode, gone) = await _client.GetJsonAsync($"/tenants/{id}/api/v1/namespaces");
        Assert.Equal(404, goneCode);
        Assert.Equal(("Status", "NotFound", $"tenants \"{id}\" not found"), (gone["kind"].Str(), gone["reason"].Str(), gone["message"].Str()));
    }

    [Fact]
    public async Task Bad_ids_taken_ids_and_tenants_inside_tenants_are_refused()
    {
        var (invalid, refusal) = await _client.SendAsync(HttpMethod.Post, "/_bindingserver/tenants?id=Not_A_Label");
        Assert.Equal(400, invalid);
        Assert.StartsWith("invalid tenant id \"Not_A_Label\": a lowercase RFC 1123 label must consist of", refusal["message"].Str(), StringComparison.Ordinal);

        Assert.Equal(201, (await _client.SendAsync(HttpMethod.Post, "/_bindingserver/tenants?id=taken")).Code);
        var (conflict, taken) = await _client.SendAsync(HttpMethod.Post, "/_bindingserver/tenants?id=taken");
        Assert.Equal((409, """{"message":"tenant \"taken\" already exists"}"""), (conflict, taken.Compact()));

        foreach (var (method, path) in new[] { (HttpMethod.Post, ""), (HttpMethod.Get, ""), (HttpMethod.Get, "/x"), (HttpMethod.Delete, "/taken") })
        {
            var (code, nested) = await _client.SendAsync(method, "/tenants/taken/_bindingserver/tenants" + path);
            Assert.Equal(404, code);
            Assert.Equal("tenants are created, listed and deleted on the server's root, not inside a tenant", nested["message"].Str());
        }
    }

    [Fact]
    public async Task Fixtures_in_the_create_body_are_loaded_into_the_new_tenant_only()
    {
        var fixtures = Http.Json("""
            apiVersion: v1
            kind: Namespace
            metadata: {name: seeded-team}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings, namespace: seeded-team}
            data: {mode: fixture}
            """, "application/yaml");
        var (code, created) = await _client.SendAsync(HttpMethod.Post, "/_bindingserver/tenants?id=seeded", fixtures);

        Assert.Equal(201, code);
        var (readCode, map) = await _client.GetJsonAsync("/tenants/seeded/api/v1/namespaces/seeded-team/configmaps/settings");
        Assert.Equal((200, "fixture"), (readCode, map["data"]!["mode"].Str()));
        Assert.Empty(OfficialSchemas.Validate("core", "io.k8s.api.core.v1.ConfigMap", map.ToJsonString()));
        Assert.Equal(404, (await _client.GetJsonAsync("/api/v1/namespaces/seeded-team")).Code);
        Assert.Equal("seeded", created["id"].Str());
    }

    [Fact]
    public async Task A_refused_fixture_leaves_no_tenant_behind()
    {
        var fixtures = Http.Json("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"orphan","namespace":"missing"}}""");
        var (code, refusal) = await _client.SendAsync(HttpMethod.Post, "/_bindingserver/tenants?id=refused", fixtures);

        Assert.Equal(404, code);
        Assert.Equal("namespaces \"missing\" not found", refusal["status"]!["message"].Str());
        Assert.Equal(404, (await _client.GetJsonAsync("/_bindingserver/tenants/refused")).Code);
        Assert.Equal(201, (await _client.SendAsync(HttpMethod.Post, "/_bindingserver/tenants?id=refused")).Code);

        var (unreadable, why) = await _client.SendAsync(HttpMethod.Post, "/_bindingserver/tenants?id=unreadable", Http.Json("{not yaml: [", "application/yaml"));
        Assert.Equal(400, unreadable);
        Assert.StartsWith("body", why["message"].Str(), StringComparison.Ordinal);
        Assert.Equal(404, (await _client.GetJsonAsync("/_bindingserver/tenants/unreadable")).Code);
    }

    [Fact]
    public async Task Each_tenant_starts_with_uids_of_its_own_made_when_it_was()
    {
        var uids = new List<string>();
        foreach (var id in new[] { "fresh-a", "fresh-b" })
        {
            var (_, tenant) = await _client.SendAsync(HttpMethod.Post, $"/_bindingserver/tenants?id={id}");
            var (_, ns) = await _client.GetJsonAsync($"/tenants/{id}/api/v1/namespaces/kube-system");
            uids.Add(ns["metadata"]!["uid"].Str());
            // Made as the tenant was (the two clock reads may fall either side of a second), and written alike everywhere.
            var made = DateTimeOffset.Parse(ns["metadata"]!["creationTimestamp"].Str(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(made - DateTimeOffset.Parse(tenant["creationTimestamp"].Str(), System.Globalization.CultureInfo.InvariantCulture),
                TimeSpan.Zero, TimeSpan.FromSeconds(1));
            Assert.Equal(ns["metadata"]!["creationTimestamp"].Str(), ns["metadata"]!["managedFields"]![0]!["time"].Str());

            // The change log says the same as the objects: a watch from the start replays the tenant's own uid.
            using var response = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Get,
                $"/tenants/{id}/api/v1/namespaces?watch=true&resourceVersion=1&fieldSelector=metadata.name%3Dkube-system&timeoutSeconds=5"),
                HttpCompletionOption.ResponseHeadersRead);
            using var watch = new StreamReader(await response.Content.ReadAsStreamAsync());
            var added = JsonNode.Parse((await watch.ReadLineAsync())!)!;
            Assert.Equal(("ADDED", uids[^1]), (added["type"].Str(), added["object"]!["metadata"]!["uid"].Str()));
        }

        uids.Add((await _client.GetJsonAsync("/api/v1/namespaces/kube-system")).Body["metadata"]!["uid"].Str());
        Assert.Equal(3, uids.Distinct().Count());
    }

    [Fact]
    public async Task Tenants_created_at_once_are_all_distinct_and_start_from_the_start_state()
    {
        var created = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => _client.SendAsync(HttpMethod.Post, "/_bindingserver/tenants")));

        Assert.All(created, c => Assert.Equal(201, c.Code));
        var ids = created.Select(c => c.Body["id"].Str()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        foreach (var id in ids)
        {
            var (_, namespaces) = await _client.GetJsonAsync($"/tenants/{id}/api/v1/namespaces");
            Assert.Equal(["default", "kube-node-lease", "kube-public", "kube-system"],
                namespaces["items"]!.AsArray().Select(n => n!["metadata"]!["name"].Str()).Order());
        }
    }

    [Fact]
    public async Task A_tenant_container_resolves_every_service_it_registers()
    {
        // ValidateOnBuild constructs the whole graph: a state service whose dependency is neither a tenant's own nor
        // passed through from the server fails here rather than on a tenant's first request.
        await using var services = TenantServices.Build(factory.Services, new TenantScope("validated", "/tenants/validated"), template: null, validate: true);

        Assert.NotSame(factory.Services.GetRequiredService<ObjectStore>(), services.GetRequiredService<ObjectStore>());
    }
}
