using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace BindingServer.EndToEnd;

/// <summary><c>--seed</c> on the real process: fixtures in place before the ready line, seen by kubectl and a CF client.</summary>
public sealed class SeedTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("bindingserver-seed-");

    public void Dispose() => _folder.Delete(recursive: true);

    private string Write(string name, string content)
    {
        var path = Path.Combine(_folder.FullName, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public async Task A_seeded_folder_is_served_from_the_first_request()
    {
        Write("k8s/team.yaml", """
            apiVersion: v1
            kind: Namespace
            metadata: {name: team-a}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: deployers, namespace: team-a}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
            subjects: [{kind: ServiceAccount, name: deployer, namespace: team-a}]
            """);
        Write("cf.json", """
            {"organizations":[{"guid":"6a1e7d4c-0a55-4c3e-9b1f-2d7f00000001","name":"acme"}],
             "spaces":[{"guid":"6a1e7d4c-0a55-4c3e-9b1f-2d7f00000002","name":"dev","organization_guid":"6a1e7d4c-0a55-4c3e-9b1f-2d7f00000001"}]}
            """);
        var kubectl = new Kubectl(new ServerProcess("--seed", _folder.FullName));
        await kubectl.InitializeAsync();
        try
        {
            var bindings = await kubectl.RunAsync("get", "rolebindings", "-n", "team-a", "-o", "name");
            Assert.True(bindings.ExitCode == 0, bindings.Err);
            Assert.Equal("rolebinding.rbac.authorization.k8s.io/deployers\n", bindings.Out);

            // The export of the seeded state is manifests kubectl reads, naming the objects the server holds.
            using var http = new HttpClient { BaseAddress = kubectl.ServerAddress };
            var exported = kubectl.WriteFile("export.yaml", await http.GetStringAsync("_bindingserver/export?family=kubernetes"));
            var named = await kubectl.RunAsync("get", "-f", exported, "-o", "name");
            Assert.True(named.ExitCode == 0, named.Err);
            Assert.Contains("namespace/team-a\n", named.Out);
            Assert.Contains("rolebinding.rbac.authorization.k8s.io/deployers\n", named.Out);

            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("bearer", CloudFoundryTests.AdminToken);
            using var space = await http.GetAsync("v2/spaces/6a1e7d4c-0a55-4c3e-9b1f-2d7f00000002");
            Assert.Equal(HttpStatusCode.OK, space.StatusCode);
            Assert.Equal("dev", JsonNode.Parse(await space.Content.ReadAsStringAsync())!["entity"]!["name"]!.GetValue<string>());
        }
        finally
        {
            await kubectl.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_refused_seed_stops_the_server_before_it_listens_and_says_why()
    {
        var file = Write("bad.yaml", """
            apiVersion: v1
            kind: Namespace
            metadata: {name: Not_Valid}
            """);
        var server = new ServerProcess("--seed", file);

        var exited = await Assert.ThrowsAsync<ServerExitedException>(server.InitializeAsync);
        await server.DisposeAsync();

        Assert.Equal(1, exited.ExitCode);
        Assert.Contains($"BindingServer cannot load --seed: Invalid: {file} document 1: Namespace \"Not_Valid\" is invalid: metadata.name", exited.Errors);
    }
}
