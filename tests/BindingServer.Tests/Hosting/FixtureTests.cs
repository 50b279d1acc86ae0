using System.Text;
using System.Text.Json.Nodes;
using BindingServer.CloudFoundry;
using BindingServer.Hosting;
using BindingServer.TestSupport;
using BindingServer.Tests.CloudFoundry;

namespace BindingServer.Tests.Hosting;

/// <summary>POST /_bindingserver/fixtures and GET /_bindingserver/export: known state in, current state out, one transaction.</summary>
public sealed class FixtureTests(ServerFactory factory) : IClassFixture<ServerFactory>, IAsyncLifetime
{
    private readonly HttpClient _client = factory.Client();
    private readonly HttpClient _cf = factory.Authorized(Cf.Token(scopes: ["cloud_controller.admin"]));

    public async Task InitializeAsync() => (await _client.PostAsync("/_bindingserver/reset", null)).EnsureSuccessStatusCode();

    public Task DisposeAsync() => Task.CompletedTask;

    private const string Org = "11111111-1111-4111-8111-111111111111";
    private const string Space = "22222222-2222-4222-8222-222222222222";
    private const string App = "33333333-3333-4333-8333-333333333333";
    private const string Instance = "44444444-4444-4444-8444-444444444444";
    private const string Binding = "55555555-5555-4555-8555-555555555555";

    // A pod before its namespace, a List, and a Cloud Foundry document in one YAML stream.
    private const string Manifests = $$$"""
        apiVersion: v1
        kind: Pod
        metadata:
          name: web
          namespace: team-a
          labels: {tier: "1"}
        spec:
          containers: [{name: web, image: nginx}]
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: team-a}
        ---
        apiVersion: v1
        kind: List
        items:
        - apiVersion: rbac.authorization.k8s.io/v1
          kind: ClusterRoleBinding
          metadata: {name: ci-readers}
          roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
          subjects: [{kind: Group, apiGroup: rbac.authorization.k8s.io, name: ci}]
        - apiVersion: rbac.authorization.k8s.io/v1
          kind: RoleBinding
          metadata: {name: deployers, namespace: team-a}
          roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
          subjects: [{kind: ServiceAccount, name: deployer, namespace: team-a}]
        ---
        organizations: [{guid: {{{Org}}}, name: acme}]
        spaces: [{guid: {{{Space}}}, name: dev, organization_guid: {{{Org}}}}]
        apps: [{guid: {{{App}}}, name: web, space_guid: {{{Space}}}, memory: 256}]
        service_instances: [{guid: {{{Instance}}}, name: db, space_guid: {{{Space}}}, credentials: {uri: "postgres://db"}}]
        service_bindings: [{guid: {{{Binding}}}, app_guid: {{{App}}}, service_instance_guid: {{{Instance}}}}]
        """;

    private async Task<(int Code, JsonObject Body)> LoadAsync(string fixture) =>
        await _client.SendAsync(HttpMethod.Post, "/_bindingserver/fixtures", new StringContent(fixture, Encoding.UTF8, "application/yaml"));

    [Fact]
    public async Task Manifests_and_cloud_foundry_records_load_as_if_created_through_the_apis()
    {
        var (code, outcome) = await LoadAsync(Manifests);

        Assert.True(code == 200, outcome.ToJsonString());
        Assert.Equal(
            ["Pod/team-a/web", "Namespace/team-a", "ClusterRoleBinding/ci-readers", "RoleBinding/team-a/deployers",
             $"organizations/{Org}", $"spaces/{Space}", $"apps/{App}", $"service_instances/{Instance}", $"service_bindings/{Binding}"],
            outcome["created"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Empty(outcome["existing"]!.AsArray());

        var (podCode, pod) = await _client.SendAsync(HttpMethod.Get, "/api/v1/namespaces/team-a/pods/web");
        Assert.Equal(200, podCode);
        Assert.Equal("1", pod["metadata"]!["labels"]!["tier"]!.GetValue<string>());
        Assert.NotNull(pod["metadata"]!["uid"]);
        Assert.NotNull(pod["metadata"]!["creationTimestamp"]);
        Assert.Equal("ClusterFirst", pod["spec"]!["dnsPolicy"]!.GetValue<string>());
        Assert.Equal(Fixtures.FieldManager, pod["metadata"]!["managedFields"]![0]!["manager"]!.GetValue<string>());
        Assert.Empty(OfficialSchemas.Validate("core", "io.k8s.api.core.v1.Pod", pod.ToJsonString()));
        Assert.Equal(200, (await _client.SendAsync(HttpMethod.Get, "/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings/deployers")).Code);

        var binding = await _cf.CallAsync(HttpMethod.Get, $"/v2/service_bindings/{Binding}");
        Assert.Equal(200, binding.Code);
        Assert.Equal("postgres://db", binding.Body!["entity"]!["credentials"]!["uri"].Str());
        var app = await _cf.CallAsync(HttpMethod.Get, $"/v2/apps/{App}");
        Assert.Equal((256, "STOPPED"), (app.Body!["entity"]!["memory"]!.GetValue<int>(), app.Body["entity"]!["state"].Str()));
    }

    [Fact]
    public async Task Loading_twice_leaves_what_exists_and_says_so()
    {
        Assert.Equal(200, (await LoadAsync(Manifests)).Code);
        var before = (await _client.SendAsync(HttpMethod.Get, "/api/v1/namespaces/team-a/pods/web")).Body["metadata"]!["uid"]!.GetValue<string>();

        var (code, outcome) = await LoadAsync(Manifests);

        Assert.Equal(200, code);
        Assert.Empty(outcome["created"]!.AsArray());
        Assert.Equal(9, outcome["existing"]!.AsArray().Count);
        Assert.Equal(before, (await _client.SendAsync(HttpMethod.Get, "/api/v1/namespaces/team-a/pods/web")).Body["metadata"]!["uid"]!.GetValue<string>());
    }

    [Fact]
    public async Task One_refused_object_refuses_the_whole_fixture_with_the_apiservers_status()
    {
        var fixture = """
            apiVersion: v1
            kind: Namespace
            metadata: {name: kept-out}
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: Not_Valid}
            """;

        var (code, body) = await LoadAsync(fixture);

        Assert.Equal(422, code);
        Assert.Equal(("Invalid", "metadata.name"),
            (body["status"]!["reason"]!.GetValue<string>(), body["status"]!["details"]!["causes"]![0]!["field"]!.GetValue<string>()));
        Assert.StartsWith("body document 2: Namespace \"Not_Valid\" is invalid", body["message"]!.GetValue<string>());
        Assert.Equal(404, (await _client.SendAsync(HttpMethod.Get, "/api/v1/namespaces/kept-out")).Code);
    }

    [Theory]
    [InlineData("a: [", "body: error decoding YAML: ")]
    [InlineData("apiVersion: v1\nkind: Secret\nmetadata: {name: s}", "body document 1: no kind \"Secret\" in \"v1\" is served here")]
    [InlineData("apiVersion: authorization.openshift.io/v1\nkind: RoleBinding\nmetadata: {name: r}",
        "body document 1: OpenShift's RoleBinding is a view of RBAC; load it as rbac.authorization.k8s.io/v1 RoleBinding")]
    [InlineData("apiVersion: v1\nkind: Namespace\nmetadata: {name: ok, bogus: 1}",
        "body document 1: Namespace in version \"v1\" cannot be handled as a Namespace: strict decoding error: unknown field \"metadata.bogus\"")]
    [InlineData("hello: world", "body document 1: neither a Kubernetes object (apiVersion and kind) nor a Cloud Foundry fixture")]
    [InlineData("""{"spaces":[{"name":"x","organization_guid":"nope"}]}""", "spaces[0]: organization_guid nope names no record in the store or the fixture")]
    [InlineData("""{"organizations":[{"name":"default-org"}]}""", "organizations[0]: the organization name is taken: default-org")]
    [InlineData("""{"apps":[{"space_guid":"x"}]}""", "apps[0]: name is required and must be a non-empty string")]
    public async Task Unreadable_fixtures_are_refused_with_where_and_why(string fixture, string message)
    {
        var (code, body) = await LoadAsync(fixture);

        Assert.Equal(400, code);
        Assert.StartsWith(message, body["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_namespaced_object_needs_its_namespace_stored_or_in_the_fixture()
    {
        var (code, body) = await LoadAsync("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: nowhere}\nspec: {containers: [{name: c, image: i}]}");

        Assert.Equal((404, "NotFound", "body document 1: namespaces \"nowhere\" not found"),
            (code, body["status"]!["reason"]!.GetValue<string>(), body["message"]!.GetValue<string>()));
    }

    [Fact]
    public async Task An_export_loads_back_after_a_reset_to_the_same_state()
    {
        Assert.Equal(200, (await LoadAsync(Manifests)).Code);
        var exported = await _client.GetStringAsync("/_bindingserver/export");

        Assert.Equal(200, (await _client.SendAsync(HttpMethod.Post, "/_bindingserver/reset")).Code);
        var (code, outcome) = await LoadAsync(exported);

        Assert.True(code == 200, outcome.ToJsonString());
        Assert.Equal(exported, await _client.GetStringAsync("/_bindingserver/export"));
        Assert.DoesNotContain(exported.Split('\n'), line => line.TrimStart() is var field
            && (field.StartsWith("uid:", StringComparison.Ordinal) || field.StartsWith("resourceVersion:", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Exports_by_family_are_manifests_and_a_cloud_foundry_document()
    {
        Assert.Equal(200, (await LoadAsync(Manifests)).Code);

        using var manifests = await _client.GetAsync("/_bindingserver/export?family=kubernetes");
        Assert.Equal("application/yaml", manifests.Content.Headers.ContentType!.MediaType);
        var documents = global::BindingServer.Kubernetes.Json.YamlConversion.ToJsonDocuments(await manifests.Content.ReadAsByteArrayAsync());
        Assert.Equal("Namespace", documents[0]!["kind"]!.GetValue<string>());
        Assert.Contains(documents, d => d!["kind"]!.GetValue<string>() == "RoleBinding" && d["metadata"]!["namespace"]!.GetValue<string>() == "team-a");

        var (code, cf) = await _client.SendAsync(HttpMethod.Get, "/_bindingserver/export?family=cloudfoundry");
        Assert.Equal(200, code);
        Assert.Equal(CfFixtures.Collections, cf.Select(p => p.Key));
        Assert.Contains(cf["apps"]!.AsArray(), a => a!["guid"].Str() == App && a["name"].Str() == "web");
        Assert.Null(cf["apps"]![0]!["seq"]);

        Assert.Equal(400, (await _client.SendAsync(HttpMethod.Get, "/_bindingserver/export?family=openshift")).Code);
    }

    [Fact]
    public async Task The_start_state_has_the_same_guids_after_every_reset_so_fixtures_can_name_them()
    {
        var space = (await _cf.CallAsync(HttpMethod.Get, "/v2/spaces")).Body!["resources"]![0]!["metadata"]!["guid"].Str();
        Assert.Equal(CfStore.StableGuid("spaces/default-space"), space);

        Assert.Equal(200, (await _client.SendAsync(HttpMethod.Post, "/_bindingserver/reset?family=cloudfoundry")).Code);

        Assert.Equal(space, (await _cf.CallAsync(HttpMethod.Get, "/v2/spaces")).Body!["resources"]![0]!["metadata"]!["guid"].Str());
        var (code, _) = await LoadAsync($$"""{"apps":[{"name":"in-default","space_guid":"{{space}}"}]}""");
        Assert.Equal(200, code);
    }

    [Fact]
    public void Seed_options_are_taken_out_of_the_arguments_and_folders_expand_to_their_fixture_files()
    {
        var (paths, remaining) = SeedFiles.TakeOptions(["--seed", "a.yaml", "--Server:Port=0", "--seed=fixtures"]);
        Assert.Equal(["a.yaml", "fixtures"], paths);
        Assert.Equal(["--Server:Port=0"], remaining);

        var folder = Directory.CreateTempSubdirectory("bindingserver-seed-");
        try
        {
            Directory.CreateDirectory(Path.Combine(folder.FullName, "cf"));
            foreach (var name in new[] { "b.yaml", "a.json", "notes.txt", "cf/c.yml" })
            {
                File.WriteAllText(Path.Combine(folder.FullName, name), "{}");
            }

            Assert.Equal(["a.json", "b.yaml", "cf/c.yml"], SeedFiles.Expand(folder.FullName).Select(f => Path.GetRelativePath(folder.FullName, f)));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
