using System.Diagnostics;
using k8s;
using k8s.Models;

namespace BindingServer.Testing.Sample;

/// <summary>The fixture over HTTPS, as tools that insist on TLS need it: kubectl as a user with a client certificate or as a service account with its token.</summary>
public sealed class HttpsIdentitySampleTests : IAsyncLifetime
{
    private TestBindingServer _server = null!;

    public async Task InitializeAsync() => _server = await TestBindingServer.StartAsync(TestServerTransport.Loopback, ("Server:Https", "true"));

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static async Task<string> KubectlAsync(string kubeconfig, params string[] args)
    {
        var start = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add($"--kubeconfig={kubeconfig}");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["HOME"] = Path.GetDirectoryName(kubeconfig);
        using var kubectl = Process.Start(start)!;
        var output = await kubectl.StandardOutput.ReadToEndAsync();
        var errors = await kubectl.StandardError.ReadToEndAsync();
        await kubectl.WaitForExitAsync();
        Assert.True(kubectl.ExitCode == 0, errors);
        return output;
    }

    [Fact]
    public async Task Clients_trust_the_servers_CA_and_kubectl_acts_as_the_identity_asked_for()
    {
        Assert.Equal("https", _server.BaseAddress.Scheme);
        using var admin = _server.CreateKubernetesClient();
        Assert.Contains((await admin.CoreV1.ListNamespaceAsync()).Items, n => n.Metadata.Name == "default");

        var alice = _server.KubeconfigFor("alice", "devs");
        Assert.Equal("alice [\"devs\",\"system:authenticated\"]",
            await KubectlAsync(alice, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username} {.status.userInfo.groups}"));

        var robot = await _server.KubeconfigForServiceAccountAsync("default", "robot");
        Assert.Equal("system:serviceaccount:default:robot", await KubectlAsync(robot, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"));
        Assert.Equal("kubernetes-admin", await KubectlAsync(_server.KubeconfigPath, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"));
    }
}

/// <summary>Over plain HTTP the fixture's kubeconfig for a user impersonates them.</summary>
public sealed class ImpersonatingKubeconfigSampleTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task A_kubeconfig_for_a_user_makes_kubectl_act_as_them()
    {
        var start = new ProcessStartInfo("kubectl", ["--kubeconfig", fixture.Server.KubeconfigFor("bob", "qa"), "auth", "can-i", "list", "pods"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var kubectl = Process.Start(start)!;
        var output = await kubectl.StandardOutput.ReadToEndAsync();
        await kubectl.WaitForExitAsync();

        Assert.Equal("no\n", output);
        using var client = fixture.Server.CreateKubernetesClient("bob", "qa");
        var review = await client.AuthenticationV1.CreateSelfSubjectReviewAsync(new V1SelfSubjectReview());
        Assert.Equal(["qa", "system:authenticated"], review.Status.UserInfo.Groups);
    }
}
