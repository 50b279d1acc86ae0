using System.Diagnostics;
using k8s;
using k8s.Autorest;

namespace BindingServer.EndToEnd;

/// <summary>
/// Service-account tokens against the real server process over plain HTTP: kubectl creates the account and its token,
/// then the KubernetesClient package and curl act with it (kubectl itself sends tokens only over HTTPS: see
/// <see cref="ServiceAccountTokenHttpsTests"/>).
/// </summary>
public sealed class ServiceAccountTokenEndToEndTests(Kubectl kubectl) : IClassFixture<Kubectl>
{
    private async Task<string> OkAsync(params string[] args)
    {
        var result = await kubectl.RunAsync(args);
        Assert.True(result.ExitCode == 0, $"kubectl {string.Join(' ', args)} failed: {result.Err}");
        return result.Out;
    }

    [Fact]
    public async Task The_client_package_and_curl_use_the_token()
    {
        await OkAsync("create", "serviceaccount", "lister");
        await OkAsync("create", "clusterrolebinding", "lister-views", "--clusterrole=view", "--serviceaccount=default:lister");
        var token = (await OkAsync("create", "token", "lister")).Trim();

        using var client = new Kubernetes(new KubernetesClientConfiguration { Host = kubectl.ServerAddress.ToString(), AccessToken = token });
        var accounts = await client.CoreV1.ListNamespacedServiceAccountAsync("default");
        Assert.Contains(accounts.Items, a => a.Metadata.Name == "lister");
        var error = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.DeleteNamespacedServiceAccountAsync("lister", "default"));
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, error.Response.StatusCode);

        using var wrong = new Kubernetes(new KubernetesClientConfiguration { Host = kubectl.ServerAddress.ToString(), AccessToken = token + "x" });
        var unauthorized = await Assert.ThrowsAsync<HttpOperationException>(() => wrong.CoreV1.ListNamespaceAsync());
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, unauthorized.Response.StatusCode);

        var curl = Process.Start(new ProcessStartInfo("curl", ["-s", "-H", $"Authorization: Bearer {token}", new Uri(kubectl.ServerAddress, "/api/v1/namespaces/default/serviceaccounts/lister").ToString()])
        {
            RedirectStandardOutput = true,
        })!;
        var body = await curl.StandardOutput.ReadToEndAsync();
        await curl.WaitForExitAsync();
        Assert.Contains("\"name\": \"lister\"", body);
    }
}

/// <summary>
/// kubectl with a service-account token over HTTPS (it sends bearer tokens only there), as a CI job hands a token to
/// the code it tests: a kubeconfig with the server's CA and the token, and nothing else.
/// </summary>
public sealed class ServiceAccountTokenHttpsTests(HttpsServer https) : IClassFixture<HttpsServer>
{
    private async Task<string> OkAsync(params string[] args)
    {
        var result = await https.KubectlAsync(https.AdminKubeconfig, args);
        Assert.True(result.ExitCode == 0, $"kubectl {string.Join(' ', args)} failed: {result.Err}");
        return result.Out;
    }

    /// <summary>A kubeconfig for the token alone: the admin one's server and CA, with the token as the user's credential.</summary>
    private string TokenKubeconfig(string name, string token)
    {
        var admin = File.ReadAllText(https.AdminKubeconfig);
        var authority = System.Text.RegularExpressions.Regex.Match(admin, "certificate-authority-data: (\\S+)").Groups[1].Value;
        return https.WriteFile(name + ".yaml", $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: bindingserver
              cluster:
                server: {https.Server.BaseAddress.ToString().TrimEnd('/')}
                certificate-authority-data: {authority}
            contexts:
            - name: bindingserver
              context:
                cluster: bindingserver
                user: {name}
            current-context: bindingserver
            users:
            - name: {name}
              user:
                token: {token}
            """);
    }

    private Task<(int ExitCode, string Out, string Err)> AsAsync(string kubeconfig, params string[] args) => https.KubectlAsync(kubeconfig, args);

    [Fact]
    public async Task Kubectl_creates_a_token_and_acts_with_it_within_its_bindings()
    {
        Assert.Equal("serviceaccount/builder created\n", await OkAsync("create", "serviceaccount", "builder"));
        Assert.Contains("default ", await OkAsync("get", "serviceaccounts"));
        var token = (await OkAsync("create", "token", "builder", "--duration=20m")).Trim();
        var builder = TokenKubeconfig("builder", token);

        Assert.Equal("system:serviceaccount:default:builder", (await AsAsync(builder, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}")).Out);
        var refused = await AsAsync(builder, "get", "pods");
        Assert.Equal("Error from server (Forbidden): pods is forbidden: User \"system:serviceaccount:default:builder\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"\n",
            refused.Err);

        await OkAsync("create", "rolebinding", "builder-views", "--clusterrole=view", "--serviceaccount=default:builder");
        Assert.Equal("No resources found in default namespace.\n", (await AsAsync(builder, "get", "pods")).Err);
        Assert.Equal("no\n", (await AsAsync(builder, "auth", "can-i", "create", "pods")).Out);
    }

    [Fact]
    public async Task A_made_up_token_is_not_logged_in()
    {
        var result = await AsAsync(TokenKubeconfig("made-up", "made-up"), "get", "namespaces");

        Assert.Equal(1, result.ExitCode);
        // kubectl 1.32 fails in discovery first, and words the 401 as client-go does there (as against a real cluster).
        var lines = result.Err.TrimEnd('\n').Split('\n');
        Assert.Equal("error: You must be logged in to the server (the server has asked for the client to provide credentials)", lines[^1]);
        Assert.All(lines[..^1], line => Assert.EndsWith("\"couldn't get current server API group list: the server has asked for the client to provide credentials\"", line));
    }

}
