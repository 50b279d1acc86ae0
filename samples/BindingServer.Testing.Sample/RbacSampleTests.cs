using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace BindingServer.Testing.Sample;

/// <summary>Testing an operator's permissions: the clients the fixture hands out for other identities are held to RBAC.</summary>
public sealed class RbacSampleTests : IAsyncLifetime
{
    private TestBindingServer _server = null!;

    public async Task InitializeAsync() => _server = await TestBindingServer.StartAsync(TestServerTransport.InMemory);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task An_impersonated_user_gets_only_what_a_binding_grants()
    {
        using var admin = _server.CreateKubernetesClient();
        using var alice = _server.CreateKubernetesClient("alice", "devs");

        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => alice.CoreV1.ListNamespacedPodAsync("default"));
        Assert.Equal(HttpStatusCode.Forbidden, refused.Response.StatusCode);

        await admin.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "devs-view" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "view" },
            Subjects = [new Rbacv1Subject { Kind = "Group", ApiGroup = "rbac.authorization.k8s.io", Name = "devs" }],
        }, "default");

        Assert.Empty((await alice.CoreV1.ListNamespacedPodAsync("default")).Items);
    }

    [Fact]
    public async Task An_operator_runs_with_its_service_accounts_token()
    {
        using var operatorClient = await _server.CreateKubernetesClientForServiceAccountAsync("default", "my-operator");

        var review = await operatorClient.AuthenticationV1.CreateSelfSubjectReviewAsync(new V1SelfSubjectReview());
        Assert.Equal("system:serviceaccount:default:my-operator", review.Status.UserInfo.Username);
        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => operatorClient.CoreV1.ListNamespaceAsync());
        Assert.Equal(HttpStatusCode.Forbidden, refused.Response.StatusCode);
    }
}
