using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace BindingServer.EndToEnd;

/// <summary>
/// The official .NET client against the real server process, acting as other identities through the Impersonate-*
/// headers (as client-go's impersonation config sends them).
/// </summary>
public sealed class KubernetesClientRbacTests(ServerProcess server) : IClassFixture<ServerProcess>
{
    /// <summary>Adds the impersonation headers to every request, the way client-go's rest.ImpersonationConfig does.</summary>
    private sealed class Impersonating(string user, string[] groups) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Add("Impersonate-User", user);
            foreach (var group in groups)
            {
                request.Headers.Add("Impersonate-Group", group);
            }

            return base.SendAsync(request, cancellationToken);
        }
    }

    private Kubernetes Admin() => new(new KubernetesClientConfiguration { Host = server.BaseAddress.ToString() });

    private Kubernetes As(string user, params string[] groups) =>
        new(new KubernetesClientConfiguration { Host = server.BaseAddress.ToString() }, new Impersonating(user, groups));

    [Fact]
    public async Task An_impersonated_client_gets_what_its_bindings_grant_and_a_Forbidden_status_otherwise()
    {
        using var admin = Admin();
        await admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "kc-rbac" } });
        await admin.RbacAuthorizationV1.CreateNamespacedRoleAsync(new V1Role
        {
            Metadata = new V1ObjectMeta { Name = "pod-reader" },
            Rules = [new V1PolicyRule { ApiGroups = [""], Resources = ["pods"], Verbs = ["get", "list"] }],
        }, "kc-rbac");
        await admin.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "operators-read" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = "pod-reader" },
            Subjects = [new Rbacv1Subject { Kind = "Group", ApiGroup = "rbac.authorization.k8s.io", Name = "operators" }],
        }, "kc-rbac");

        using var operatorClient = As("op-1", "operators");
        var pods = await operatorClient.CoreV1.ListNamespacedPodAsync("kc-rbac");
        Assert.Empty(pods.Items);

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => operatorClient.CoreV1.ListNamespacedPodAsync("default"));
        Assert.Equal(HttpStatusCode.Forbidden, error.Response.StatusCode);
        var status = KubernetesJson.Deserialize<V1Status>(error.Response.Content);
        Assert.Equal("Forbidden", status.Reason);
        Assert.Equal("pods", status.Details.Kind);
        Assert.Equal("pods is forbidden: User \"op-1\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"", status.Message);

        var review = await operatorClient.AuthorizationV1.CreateSelfSubjectAccessReviewAsync(new V1SelfSubjectAccessReview
        {
            Spec = new V1SelfSubjectAccessReviewSpec { ResourceAttributes = new V1ResourceAttributes { NamespaceProperty = "kc-rbac", Verb = "get", Resource = "pods" } },
        });
        Assert.True(review.Status.Allowed);
        Assert.Equal("RBAC: allowed by RoleBinding \"operators-read/kc-rbac\" of Role \"pod-reader\" to Group \"operators\"", review.Status.Reason);
    }

    [Fact]
    public async Task Escalation_through_the_client_is_refused_and_bind_permits_it()
    {
        using var admin = Admin();
        await admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "kc-esc" } });
        await admin.RbacAuthorizationV1.CreateNamespacedRoleAsync(new V1Role
        {
            Metadata = new V1ObjectMeta { Name = "binder" },
            Rules = [new V1PolicyRule { ApiGroups = ["rbac.authorization.k8s.io"], Resources = ["rolebindings"], Verbs = ["create"] }],
        }, "kc-esc");
        await admin.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "dan-binds" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = "binder" },
            Subjects = [new Rbacv1Subject { Kind = "User", ApiGroup = "rbac.authorization.k8s.io", Name = "dan" }],
        }, "kc-esc");

        using var dan = As("dan");
        var editBinding = new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "dan-edits" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "edit" },
            Subjects = [new Rbacv1Subject { Kind = "User", ApiGroup = "rbac.authorization.k8s.io", Name = "dan" }],
        };
        var error = await Assert.ThrowsAsync<HttpOperationException>(() => dan.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(editBinding, "kc-esc"));
        Assert.Equal(HttpStatusCode.Forbidden, error.Response.StatusCode);
        Assert.StartsWith("rolebindings.rbac.authorization.k8s.io \"dan-edits\" is forbidden: user \"dan\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n",
            KubernetesJson.Deserialize<V1Status>(error.Response.Content).Message);

        // bind on that one ClusterRole by name lets dan grant it without holding it.
        await admin.RbacAuthorizationV1.CreateNamespacedRoleAsync(new V1Role
        {
            Metadata = new V1ObjectMeta { Name = "bind-edit" },
            Rules = [new V1PolicyRule { ApiGroups = ["rbac.authorization.k8s.io"], Resources = ["clusterroles"], Verbs = ["bind"], ResourceNames = ["edit"] }],
        }, "kc-esc");
        await admin.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "dan-binds-edit" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = "bind-edit" },
            Subjects = [new Rbacv1Subject { Kind = "User", ApiGroup = "rbac.authorization.k8s.io", Name = "dan" }],
        }, "kc-esc");
        var created = await dan.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(editBinding, "kc-esc");
        Assert.Equal("edit", created.RoleRef.Name);
    }
}
