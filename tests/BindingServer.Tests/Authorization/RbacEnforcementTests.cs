using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using BindingServer.TestSupport;
using static BindingServer.Tests.Http;

namespace BindingServer.Tests.Authorization;

/// <summary>
/// The authorizer, impersonation and escalation prevention over HTTP, as a client meets them: each test builds the
/// roles and bindings it needs as the default admin, then acts as someone else with the Impersonate-* headers.
/// </summary>
public sealed class RbacEnforcementTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private readonly HttpClient _admin = factory.Client();

    private HttpClient As(string user, params string[] groups) => factory.ClientAs(user, groups);

    private async Task NamespaceAsync(string name) =>
        Assert.Equal(201, (await _admin.PostAsync("/api/v1/namespaces", $$"""{"metadata":{"name":"{{name}}"} }""")).Code);

    private async Task RoleAsync(string ns, string name, string rules) =>
        Assert.Equal(201, (await _admin.PostAsync($"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles",
            $$"""{"metadata":{"name":"{{name}}"},"rules":{{rules}}}""")).Code);

    private async Task ClusterRoleAsync(string name, string rules) =>
        Assert.Equal(201, (await _admin.PostAsync("/apis/rbac.authorization.k8s.io/v1/clusterroles",
            $$"""{"metadata":{"name":"{{name}}"},"rules":{{rules}}}""")).Code);

    private async Task RoleBindingAsync(string ns, string name, string roleKind, string role, string subjects) =>
        Assert.Equal(201, (await _admin.PostAsync($"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings",
            $$"""{"metadata":{"name":"{{name}}"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"{{roleKind}}","name":"{{role}}"},"subjects":{{subjects}}}""")).Code);

    private async Task ClusterRoleBindingAsync(string name, string role, string subjects) =>
        Assert.Equal(201, (await _admin.PostAsync(Crbs,
            $$"""{"metadata":{"name":"{{name}}"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"{{role}}"},"subjects":{{subjects}}}""")).Code);

    private static string User(string name) => $$"""{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"{{name}}"}""";

    private static string Group(string name) => $$"""{"kind":"Group","apiGroup":"rbac.authorization.k8s.io","name":"{{name}}"}""";

    [Fact]
    public async Task Without_a_binding_a_user_gets_the_apiservers_Forbidden_status()
    {
        var (code, body) = await As("nobody-1").GetJsonAsync("/api/v1/namespaces/default/pods");

        Assert.Equal(403, code);
        Assert.Equal(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods is forbidden: User \"nobody-1\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"","reason":"Forbidden","details":{"kind":"pods"},"code":403}""",
            body.Compact());
        Assert.Empty(OfficialSchemas.Validate("rbac", "io.k8s.apimachinery.pkg.apis.meta.v1.Status", body.ToJsonString()));
    }

    [Theory]
    [InlineData("GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles/view", "clusterroles.rbac.authorization.k8s.io \"view\" is forbidden: User \"nobody-2\" cannot get resource \"clusterroles\" in API group \"rbac.authorization.k8s.io\" at the cluster scope")]
    [InlineData("POST", "/api/v1/namespaces/default/pods/p1/binding", "pods \"p1\" is forbidden: User \"nobody-2\" cannot create resource \"pods/binding\" in API group \"\" in the namespace \"default\"")]
    [InlineData("DELETE", "/api/v1/namespaces/default/pods", "pods is forbidden: User \"nobody-2\" cannot deletecollection resource \"pods\" in API group \"\" in the namespace \"default\"")]
    [InlineData("GET", "/api/v1/namespaces/default/pods?watch=true", "pods is forbidden: User \"nobody-2\" cannot watch resource \"pods\" in API group \"\" in the namespace \"default\"")]
    [InlineData("GET", "/apis/no.such.group/v1/widgets", "widgets.no.such.group is forbidden: User \"nobody-2\" cannot list resource \"widgets\" in API group \"no.such.group\" at the cluster scope")]
    [InlineData("PUT", "/api/v1/namespaces/default/finalize", "namespaces \"default\" is forbidden: User \"nobody-2\" cannot update resource \"namespaces/finalize\" in API group \"\" in the namespace \"default\"")]
    [InlineData("GET", "/foo/<x>&", "forbidden: User \"nobody-2\" cannot get path \"/foo/&lt;x&gt;&amp;\"")]
    [InlineData("GET", "/_bindingserver/journal", null)]
    public async Task Denials_name_the_verb_resource_subresource_and_scope(string method, string url, string? message)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (method is "POST" or "PUT")
        {
            request.Content = Json("{}");
        }

        var client = As("nobody-2");
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (message is null)
        {
            // The admin API is not Kubernetes: the filter chain leaves it alone.
            Assert.Equal(200, (int)response.StatusCode);
            return;
        }

        Assert.Equal(403, (int)response.StatusCode);
        Assert.Equal(message, JsonNode.Parse(text)!["message"].Str());
    }

    [Fact]
    public async Task Non_resource_paths_are_authorized_as_paths()
    {
        var (code, body) = await As("nobody-3").GetJsonAsync("/logs");

        Assert.Equal(403, code);
        Assert.Equal("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"forbidden: User \"nobody-3\" cannot get path \"/logs\"","reason":"Forbidden","details":{},"code":403}""",
            body.Compact());

        // What the default policy opens to everyone: system:public-info-viewer and, for the authenticated, system:discovery.
        Assert.Equal(200, (await As("nobody-3").GetJsonAsync("/version")).Code);
        Assert.Equal(200, (await As("nobody-3").GetJsonAsync("/apis")).Code);
        Assert.Equal(403, (await As("nobody-3", "system:unauthenticated").GetJsonAsync("/apis")).Code);
        Assert.Equal(200, (await As("nobody-3", "system:unauthenticated").GetJsonAsync("/version")).Code);

        // Allowed, the path is then answered as the server answers it (not served here: Go's plain 404).
        await ClusterRoleAsync("log-reader", """[{"verbs":["get"],"nonResourceURLs":["/logs","/logs/*"]}]""");
        await ClusterRoleBindingAsync("log-reader", "log-reader", $"[{User("nobody-3")}]");
        Assert.Equal(404, (int)(await As("nobody-3").GetAsync("/logs")).StatusCode);
        Assert.Equal(404, (int)(await As("nobody-3").GetAsync("/logs/kube-apiserver.log")).StatusCode);
        Assert.Equal(403, (int)(await As("nobody-3").GetAsync("/logsx")).StatusCode);
    }

    [Fact]
    public async Task A_role_binding_grants_its_role_in_its_namespace_only()
    {
        await NamespaceAsync("rb-dev");
        await NamespaceAsync("rb-other");
        await RoleAsync("rb-dev", "reader", """[{"verbs":["get","list","watch"],"apiGroups":[""],"resources":["pods"]}]""");
        await RoleBindingAsync("rb-dev", "rb", "Role", "reader", $"[{User("alice-rb")}]");

        var alice = As("alice-rb");
        Assert.Equal(200, (await alice.GetJsonAsync("/api/v1/namespaces/rb-dev/pods")).Code);
        Assert.Equal(403, (await alice.GetJsonAsync("/api/v1/namespaces/rb-other/pods")).Code);
        Assert.Equal(403, (await alice.GetJsonAsync("/api/v1/pods")).Code);
        var (code, _) = await alice.PostAsync("/api/v1/namespaces/rb-dev/pods", """{"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"i"}]}}""");
        Assert.Equal(403, code);
    }

    /// <summary>kube's TestAuthorizer, first case: a ClusterRole bound in one namespace to a user and a group.</summary>
    [Fact]
    public async Task A_cluster_role_bound_in_a_namespace_applies_to_its_users_and_groups_there()
    {
        await NamespaceAsync("ta-ns1");
        await NamespaceAsync("ta-ns2");
        await ClusterRoleAsync("ta-admin", """[{"verbs":["*"],"apiGroups":["*"],"resources":["*"]}]""");
        await RoleBindingAsync("ta-ns1", "ta-admin", "ClusterRole", "ta-admin", $"[{User("ta-admin")},{Group("ta-admins")}]");

        Assert.Equal(200, (await As("ta-admin").GetJsonAsync("/api/v1/namespaces/ta-ns1/pods")).Code);
        Assert.Equal(200, (await As("ta-admin", "group1").GetJsonAsync("/api/v1/namespaces/ta-ns1/events")).Code);
        Assert.Equal(200, (await As("joe", "ta-admins").GetJsonAsync("/api/v1/namespaces/ta-ns1/pods")).Code);
        Assert.Equal(200, (await As("joe", "group1", "ta-admins").GetJsonAsync("/api/v1/namespaces/ta-ns1/pods")).Code);
        Assert.Equal(403, (await As("ta-admin").GetJsonAsync("/api/v1/namespaces/ta-ns2/pods")).Code);
        Assert.Equal(403, (await As("ta-admin").GetJsonAsync("/api/v1/nodes")).Code);
        Assert.Equal(403, (await As("ta-admin", "ta-admins").GetJsonAsync("/api/v1/namespaces/ta-ns2/pods")).Code);
        Assert.Equal(403, (await As("ta-admin", "ta-admins").GetJsonAsync("/api/v1/nodes")).Code);
    }

    [Fact]
    public async Task Service_account_subjects_default_to_the_bindings_namespace()
    {
        await NamespaceAsync("sa-ns");
        await RoleAsync("sa-ns", "reader", """[{"verbs":["list"],"apiGroups":[""],"resources":["pods"]}]""");
        await RoleBindingAsync("sa-ns", "robot", "Role", "reader", """[{"kind":"ServiceAccount","name":"robot"}]""");

        Assert.Equal(200, (await As("system:serviceaccount:sa-ns:robot").GetJsonAsync("/api/v1/namespaces/sa-ns/pods")).Code);
        Assert.Equal(403, (await As("system:serviceaccount:default:robot").GetJsonAsync("/api/v1/namespaces/sa-ns/pods")).Code);

        // A service account is in system:serviceaccounts and system:serviceaccounts:<ns>.
        await ClusterRoleAsync("sa-node-reader", """[{"verbs":["list"],"apiGroups":[""],"resources":["nodes"]}]""");
        await ClusterRoleBindingAsync("sa-node-reader", "sa-node-reader", $"[{Group("system:serviceaccounts:sa-ns")}]");
        Assert.Equal(200, (await As("system:serviceaccount:sa-ns:any").GetJsonAsync("/api/v1/nodes")).Code);
        Assert.Equal(403, (await As("system:serviceaccount:other:any").GetJsonAsync("/api/v1/nodes")).Code);
    }

    [Fact]
    public async Task A_binding_to_a_missing_role_adds_the_listers_error_to_the_denial()
    {
        await NamespaceAsync("miss-ns");
        await RoleBindingAsync("miss-ns", "dangling", "Role", "nope", $"[{User("dangler")}]");

        var (code, body) = await As("dangler").GetJsonAsync("/api/v1/namespaces/miss-ns/pods");

        Assert.Equal(403, code);
        Assert.Equal("pods is forbidden: User \"dangler\" cannot list resource \"pods\" in API group \"\" in the namespace \"miss-ns\": RBAC: role.rbac.authorization.k8s.io \"nope\" not found",
            body["message"].Str());

        await ClusterRoleBindingAsync("dangling-cluster", "nope-either", $"[{User("dangler")}]");
        (_, body) = await As("dangler").GetJsonAsync("/api/v1/namespaces/miss-ns/pods");
        Assert.EndsWith(": RBAC: [clusterrole.rbac.authorization.k8s.io \"nope-either\" not found, role.rbac.authorization.k8s.io \"nope\" not found]",
            body["message"].Str());
    }
}

/// <summary>The server with the option that makes requests without credentials <c>system:anonymous</c>, as on a cluster.</summary>
public sealed class AnonymousServerFactory : ServerFactory
{
    protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Authentication:Anonymous", "true");
    }
}

/// <summary>Anonymous requests and impersonation by a requester that is not an administrator.</summary>
public sealed class AnonymousRequestTests(AnonymousServerFactory factory) : IClassFixture<AnonymousServerFactory>
{
    private readonly HttpClient _anonymous = factory.Client();

    /// <summary>RBAC objects go in through the admin API's fixtures, which no Kubernetes identity limits.</summary>
    private async Task GrantAsync(string yaml)
    {
        using var content = new StringContent(yaml, System.Text.Encoding.UTF8, "application/yaml");
        using var response = await _anonymous.PostAsync("/_bindingserver/fixtures", content);
        Assert.Equal(200, (int)response.StatusCode);
    }

    private async Task<(int Code, string Text)> GetAsync(string url, params (string Header, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        foreach (var (header, value) in headers)
        {
            request.Headers.Add(header, value);
        }

        using var response = await _anonymous.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string Message(string text) => JsonNode.Parse(text)!["message"].Str();

    [Fact]
    public async Task Anonymous_requests_are_system_anonymous_and_see_only_the_public_info()
    {
        var (code, text) = await GetAsync("/api/v1/namespaces/default/pods");
        Assert.Equal(403, code);
        Assert.Equal("pods is forbidden: User \"system:anonymous\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"", Message(text));

        // system:public-info-viewer is bound to system:unauthenticated on a cluster.
        Assert.Equal(200, (await GetAsync("/version")).Code);
        Assert.Equal(200, (await GetAsync("/healthz")).Code);
        Assert.Equal(403, (await GetAsync("/apis")).Code);
    }

    [Fact]
    public async Task Each_impersonated_item_is_authorized_with_the_impersonate_verb()
    {
        var (code, text) = await GetAsync("/api/v1/namespaces/default/pods", ("Impersonate-User", "bob"));
        Assert.Equal(403, code);
        Assert.Equal("users \"bob\" is forbidden: User \"system:anonymous\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope", Message(text));

        await GrantAsync("""
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: impersonate-bob}
            rules:
            - {apiGroups: [""], resources: [users], resourceNames: [bob], verbs: [impersonate]}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: anonymous-impersonates-bob}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: impersonate-bob}
            subjects: [{kind: Group, apiGroup: rbac.authorization.k8s.io, name: "system:unauthenticated"}]
            """);

        (code, text) = await GetAsync("/api/v1/namespaces/default/pods", ("Impersonate-User", "bob"));
        Assert.Equal(403, code);
        Assert.Equal("pods is forbidden: User \"bob\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"", Message(text));

        (_, text) = await GetAsync("/api/v1/namespaces/default/pods", ("Impersonate-User", "carol"));
        Assert.Equal("users \"carol\" is forbidden: User \"system:anonymous\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope", Message(text));

        (_, text) = await GetAsync("/api/v1/namespaces/default/pods", ("Impersonate-User", "bob"), ("Impersonate-Group", "devs"));
        Assert.Equal("groups \"devs\" is forbidden: User \"system:anonymous\" cannot impersonate resource \"groups\" in API group \"\" at the cluster scope", Message(text));

        (_, text) = await GetAsync("/api/v1/namespaces/default/pods", ("Impersonate-User", "bob"), ("Impersonate-Extra-Scopes", "view"));
        Assert.Equal("userextras.authentication.k8s.io \"view\" is forbidden: User \"system:anonymous\" cannot impersonate resource \"userextras/scopes\" in API group \"authentication.k8s.io\" at the cluster scope", Message(text));

        (_, text) = await GetAsync("/api/v1/namespaces/default/pods", ("Impersonate-User", "bob"), ("Impersonate-Uid", "u-1"));
        Assert.Equal("uids.authentication.k8s.io \"u-1\" is forbidden: User \"system:anonymous\" cannot impersonate resource \"uids\" in API group \"authentication.k8s.io\" at the cluster scope", Message(text));

        (_, text) = await GetAsync("/api/v1/namespaces/default/pods", ("Impersonate-User", "system:serviceaccount:kube-system:builder"));
        Assert.Equal("serviceaccounts \"builder\" is forbidden: User \"system:anonymous\" cannot impersonate resource \"serviceaccounts\" in API group \"\" in the namespace \"kube-system\"", Message(text));
    }

    [Fact]
    public async Task Groups_without_a_user_are_the_filters_plain_text_internal_error()
    {
        var (code, text) = await GetAsync("/api/v1/namespaces/default/pods?limit=1", ("Impersonate-Group", "devs"));

        Assert.Equal(500, code);
        Assert.Equal("Internal Server Error: \"/api/v1/namespaces/default/pods?limit=1\": requested [{Group  devs    }] without impersonating a user\n", text);
    }
}
