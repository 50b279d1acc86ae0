using System.Text;

namespace BindingServer.Bench;

/// <summary>Fixture documents of a given size, as a test suite would keep them in its repository.</summary>
internal static class Fixtures
{
    /// <summary>
    /// Creates ClusterRoleBindings <c>&lt;prefix&gt;-&lt;from&gt;</c>… through <c>POST /_bindingserver/fixtures</c>, 5,000 per
    /// request: each object still goes through its create path, but one transaction per request makes it fast.
    /// </summary>
    public static async Task LoadBindingsAsync(HttpClient client, string prefix, int from, int count)
    {
        for (var start = from; start < from + count; start += 5000)
        {
            var items = Enumerable.Range(start, Math.Min(5000, from + count - start)).Select(i => $$$"""
                {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"{{{prefix}}}-{{{i}}}"},
                 "subjects":[{"kind":"User","name":"u{{{i}}}"}],"roleRef":{"kind":"ClusterRole","name":"view"}}
                """);
            using var content = new StringContent($$"""{"kind":"List","apiVersion":"v1","items":[{{string.Join(",", items)}}]}""", Encoding.UTF8, "application/json");
            using var response = await client.PostAsync("_bindingserver/fixtures", content);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"loading fixtures failed ({(int)response.StatusCode}): {await response.Content.ReadAsStringAsync()}");
            }
        }
    }

    /// <summary>A namespace, then role bindings in it and cluster role bindings, half each.</summary>
    public static string Kubernetes(int objects)
    {
        var text = new StringBuilder("apiVersion: v1\nkind: Namespace\nmetadata: {name: bench}\n");
        for (var i = 1; i < objects; i++)
        {
            var namespaced = i % 2 == 0;
            text.Append("---\napiVersion: rbac.authorization.k8s.io/v1\n")
                .Append(namespaced ? "kind: RoleBinding\n" : "kind: ClusterRoleBinding\n")
                .Append(namespaced ? $"metadata: {{name: rb-{i}, namespace: bench, labels: {{bench: \"yes\"}}}}\n" : $"metadata: {{name: crb-{i}, labels: {{bench: \"yes\"}}}}\n")
                .Append("roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\n")
                .Append($"subjects: [{{kind: User, apiGroup: rbac.authorization.k8s.io, name: user-{i}}}]\n");
        }

        return text.ToString();
    }

    /// <summary>The same objects as one JSON <c>List</c>, the form <c>kubectl get -o json</c> writes.</summary>
    public static string KubernetesList(int objects)
    {
        var items = new List<string> { """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"bench"}}""" };
        for (var i = 1; i < objects; i++)
        {
            var namespaced = i % 2 == 0;
            var metadata = namespaced ? $$$"""{"name":"rb-{{{i}}}","namespace":"bench","labels":{"bench":"yes"}}""" : $$$"""{"name":"crb-{{{i}}}","labels":{"bench":"yes"}}""";
            items.Add($$"""
                {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"{{(namespaced ? "RoleBinding" : "ClusterRoleBinding")}}","metadata":{{metadata}},
                 "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},
                 "subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"user-{{i}}"}]}
                """);
        }

        return $$"""{"apiVersion":"v1","kind":"List","items":[{{string.Join(",", items)}}]}""";
    }

    /// <summary>An org and a space, then apps, user-provided instances and a binding of each app, a third each.</summary>
    public static string CloudFoundry(int records)
    {
        const string org = "b0000000-0000-4000-8000-000000000001";
        const string space = "b0000000-0000-4000-8000-000000000002";
        var each = (records - 2) / 3;
        string Guid(int kind, int i) => $"b{kind:D7}-0000-4000-8000-{i:D12}";
        var apps = Enumerable.Range(0, records - 2 - 2 * each).Select(i => $$"""{"guid":"{{Guid(1, i)}}","name":"app-{{i}}","space_guid":"{{space}}"}""");
        var instances = Enumerable.Range(0, each).Select(i => $$$"""{"guid":"{{{Guid(2, i)}}}","name":"db-{{{i}}}","space_guid":"{{{space}}}","credentials":{"uri":"postgres://db-{{{i}}}"}}""");
        var bindings = Enumerable.Range(0, each).Select(i => $$"""{"app_guid":"{{Guid(1, i)}}","service_instance_guid":"{{Guid(2, i)}}"}""");
        return $$"""
            {"organizations":[{"guid":"{{org}}","name":"bench"}],
             "spaces":[{"guid":"{{space}}","name":"bench","organization_guid":"{{org}}"}],
             "apps":[{{string.Join(",", apps)}}],
             "service_instances":[{{string.Join(",", instances)}}],
             "service_bindings":[{{string.Join(",", bindings)}}]}
            """;
    }
}
