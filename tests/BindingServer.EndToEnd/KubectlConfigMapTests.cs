using System.Text.Json.Nodes;
using BindingServer.TestSupport;

namespace BindingServer.EndToEnd;

/// <summary>ConfigMaps with the real kubectl, which sends them as protobuf: create from literals and files, list, freeze.</summary>
public sealed class KubectlConfigMapTests(Kubectl kubectl) : IClassFixture<Kubectl>
{
    private async Task<string> OkAsync(params string[] args)
    {
        var result = await kubectl.RunAsync(args);
        Assert.True(result.ExitCode == 0, $"kubectl {string.Join(' ', args)} failed: {result.Err}");
        return result.Out;
    }

    [Fact]
    public async Task Create_from_literals_and_a_file_then_list_and_read_back()
    {
        Assert.Equal("configmap/kc-app created\n", await OkAsync("create", "configmap", "kc-app", "--from-literal=mode=fast", "--from-literal=level=3"));
        Assert.Equal("configmap/kc-files created\n", await OkAsync("create", "configmap", "kc-files",
            $"--from-file=app.properties={kubectl.WriteFile("app.properties", "a=1\nb=2\n")}"));

        Assert.Matches(@"^NAME\s+DATA\s+AGE\nkc-app\s+2\s+\d+s\nkc-files\s+1\s+\d+s\n$", await OkAsync("get", "configmaps"));
        var json = await OkAsync("get", "cm", "kc-files", "-o", "json");
        Assert.Empty(OfficialSchemas.Validate("core", "io.k8s.api.core.v1.ConfigMap", json));
        var read = JsonNode.Parse(json)!;
        Assert.Equal("a=1\nb=2\n", read["data"]!["app.properties"]!.GetValue<string>());
        Assert.False(read["metadata"]!.AsObject().ContainsKey("generation"));
    }

    [Fact]
    public async Task An_immutable_config_map_refuses_edits_with_the_apiservers_message()
    {
        await OkAsync("create", "-f", kubectl.WriteFile("kc-frozen.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: kc-frozen
            immutable: true
            data:
              k: v
            """));

        var result = await kubectl.RunAsync("patch", "configmap", "kc-frozen", "-p", """{"data":{"k":"w"}}""");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("The ConfigMap \"kc-frozen\" is invalid: data: Forbidden: field is immutable when `immutable` is set\n", result.Err);
        Assert.Equal("v", (await OkAsync("get", "cm", "kc-frozen", "-o", "jsonpath={.data.k}")).Trim());
    }
}
