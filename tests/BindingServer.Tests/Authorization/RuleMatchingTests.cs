using BindingServer.Kubernetes.Authentication;
using BindingServer.Kubernetes.Authorization;
using BindingServer.Kubernetes.Resources;
using Microsoft.AspNetCore.Http;

namespace BindingServer.Tests.Authorization;

/// <summary>Rule matching and the request-info resolver, case by case from kube's own tables (rbac_test.go, requestinfo_test.go).</summary>
[Trait("Category", "Fast")]
public sealed class RuleMatchingTests
{
    private static readonly UserInfo Alice = UserInfo.Of("alice", [UserInfo.Authenticated]);

    private static PolicyRule Rule(string verbs, string? groups = null, string? resources = null, string? urls = null, string? names = null) => new()
    {
        Verbs = [.. verbs.Split(',')],
        ApiGroups = groups?.Split(',').ToList(),
        Resources = resources?.Split(',').ToList(),
        NonResourceURLs = urls?.Split(',').ToList(),
        ResourceNames = names?.Split(',').ToList(),
    };

    private static RequestAttributes Resource(string verb, string group, string resource, string subresource = "", string name = "") =>
        new() { User = Alice, Verb = verb, IsResourceRequest = true, ApiGroup = group, Resource = resource, Subresource = subresource, Name = name };

    private static RequestAttributes Path(string verb, string path) => new() { User = Alice, Verb = verb, Path = path };

    public static TheoryData<string, string, bool> RuleCases => new()
    {
        // star verb, exact match other
        { "*|group1|resource1", "verb1 group1 resource1", true },
        { "*|group1|resource1", "verb1 group2 resource1", false },
        { "*|group1|resource1", "verb1 group1 resource2", false },
        { "*|group1|resource1", "verb2 group1 resource1", true },
        // star group
        { "verb1|*|resource1", "verb1 group1 resource1", true },
        { "verb1|*|resource1", "verb1 group2 resource1", true },
        { "verb1|*|resource1", "verb1 group1 resource2", false },
        { "verb1|*|resource1", "verb2 group1 resource1", false },
        // star resource
        { "verb1|group1|*", "verb1 group1 resource1", true },
        { "verb1|group1|*", "verb1 group1 resource2", true },
        { "verb1|group1|*", "verb1 group2 resource1", false },
        { "verb1|group1|*", "verb2 group1 resource1", false },
        // tuple expansion
        { "verb1,verb2|group1,group2|resource1,resource2", "verb2 group2 resource2", true },
        { "verb1,verb2|group1,group2|resource1,resource2", "verb1 group1 resource1", true },
        // subresource expansion
        { "*|*|resource1/subresource1", "verb1 group1 resource1/subresource1", true },
        { "*|*|resource1/subresource1", "verb1 group2 resource1/subresource2", false },
        { "*|*|resource1/subresource1", "verb1 group1 resource2/subresource1", false },
        { "*|*|resource1/subresource1", "verb1 group1 resource1", false },
        // a resource does not cover its subresources; */sub covers that subresource of anything
        { "*|*|pods", "get x pods/status", false },
        { "*|*|pods/status", "get x pods", false },
        { "*|*|*/status", "get x pods/status", true },
        { "*|*|*/status", "get x nodes/status", true },
        { "*|*|*/status", "get x pods/log", false },
        { "*|*|*/status", "get x pods", false },
        // resource names
        { "get|*|pods|p1", "get x pods p1", true },
        { "get|*|pods|p1", "get x pods p2", false },
        { "get|*|pods|p1", "get x pods", false },
        // star nonresource, exact match other
        { "verb1|||*", "verb1 /foo", true },
        { "verb1|||*", "verb1 /foo/bar/one", true },
        { "verb1|||*", "verb2 /foo", false },
        // star nonresource subpath
        { "verb1|||/foo/*", "verb1 /foo", false },
        { "verb1|||/foo/*", "verb1 /foo/bar", true },
        { "verb1|||/foo/*", "verb1 /foo/baz/one", true },
        { "verb1|||/foo/*", "verb1 /notfoo", false },
        { "verb1|||/foo/*", "verb1 /notfoo/bar/one", false },
        // star verb, exact nonresource
        { "*|||/foo,/foo/bar/one", "verb1 /foo", true },
        { "*|||/foo,/foo/bar/one", "verb1 /foo/bar", false },
        { "*|||/foo,/foo/bar/one", "verb2 /foo/bar/one", true },
        { "*|||/foo,/foo/bar/one", "verb2 /foo/baz/one", false },
        // a resource rule never allows a path, nor a path rule a resource
        { "*|*|*", "get /healthz", false },
        { "*|||*", "get x pods", false },
    };

    /// <param name="ruleText">verbs|groups|resources|names or verbs|||urls</param>
    /// <param name="requestText">"verb group resource[/sub] [name]" or "verb /path"</param>
    [Theory]
    [MemberData(nameof(RuleCases))]
    public void A_rule_allows_what_kube_RuleAllows_allows(string ruleText, string requestText, bool expected)
    {
        var r = ruleText.Split('|');
        var rule = r.Length == 4 && r[1].Length == 0 && r[2].Length == 0
            ? Rule(r[0], urls: r[3])
            : Rule(r[0], r[1], r[2], names: r.Length > 3 ? r[3] : null);
        var q = requestText.Split(' ');
        var request = q[1].StartsWith('/')
            ? Path(q[0], q[1])
            : Resource(q[0], q[1] == "x" ? "" : q[1], q[2].Split('/')[0], q[2].Contains('/') ? q[2].Split('/')[1] : "", q.Length > 3 ? q[3] : "");

        Assert.Equal(expected, RuleMatching.Allows(request, rule));
    }

    public static TheoryData<string, string, string> RequestInfoCases => new()
    {
        { "GET", "/api/v1/namespaces", "list  v1 namespaces  " },
        { "GET", "/api/v1/namespaces/other", "get  v1 namespaces other other" },
        { "GET", "/api/v1/namespaces/other/pods", "list  v1 pods other " },
        { "GET", "/api/v1/namespaces/other/pods/foo", "get  v1 pods other foo" },
        { "HEAD", "/api/v1/namespaces/other/pods/foo", "get  v1 pods other foo" },
        { "GET", "/api/v1/pods", "list  v1 pods  " },
        { "GET", "/api/v1/namespaces/other/pods/foo/status", "get  v1 pods/status other foo" },
        { "GET", "/api/v1/watch/pods", "watch  v1 pods  " },
        { "GET", "/api/v1/pods?watch=true", "watch  v1 pods  " },
        { "GET", "/api/v1/pods?watch=1", "watch  v1 pods  " },
        { "GET", "/api/v1/pods?watch=false", "list  v1 pods  " },
        { "GET", "/api/v1/pods?watch=0", "list  v1 pods  " },
        { "GET", "/api/v1/watch/namespaces/other/pods", "watch  v1 pods other " },
        { "GET", "/api/v1/namespaces/other/pods?fieldSelector=metadata.name%3Dfoo", "list  v1 pods other foo" },
        { "GET", "/api/v1/namespaces/other/pods?fieldSelector=metadata.name%3D%3Dfoo", "list  v1 pods other foo" },
        { "GET", "/api/v1/namespaces/other/pods?fieldSelector=metadata.name%21%3Dfoo", "list  v1 pods other " },
        { "POST", "/api/v1/namespaces/other/pods", "create  v1 pods other " },
        { "POST", "/api/v1/namespaces/other/pods/foo/binding", "create  v1 pods/binding other foo" },
        { "POST", "/api/v1/namespaces/other/bindings", "create  v1 bindings other " },
        { "PUT", "/api/v1/namespaces/other/pods/foo", "update  v1 pods other foo" },
        { "PATCH", "/api/v1/namespaces/other/pods/foo", "patch  v1 pods other foo" },
        { "DELETE", "/api/v1/namespaces/other/pods/foo", "delete  v1 pods other foo" },
        { "DELETE", "/api/v1/namespaces/other/pods", "deletecollection  v1 pods other " },
        { "PUT", "/api/v1/namespaces/other/finalize", "update  v1 namespaces/finalize other other" },
        { "PUT", "/api/v1/namespaces/other/status", "update  v1 namespaces/status other other" },
        { "GET", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/crb", "get rbac.authorization.k8s.io v1 clusterrolebindings  crb" },
        { "GET", "/apis/authorization.openshift.io/v1/namespaces/dev/rolebindings", "list authorization.openshift.io v1 rolebindings dev " },
        { "GET", "/api/v1/namespaces/other/pods/foo/proxy/subpath", "get  v1 pods/proxy other foo" },
    };

    /// <param name="expected">"verb group version resource[/sub] namespace name"</param>
    [Theory]
    [MemberData(nameof(RequestInfoCases))]
    public void Resource_requests_resolve_as_the_apiserver_resolves_them(string method, string url, string expected)
    {
        var (path, query) = url.Contains('?') ? (url[..url.IndexOf('?')], url[url.IndexOf('?')..]) : (url, "");
        var attributes = RequestInfoResolver.Resolve(Alice, method, path, new QueryCollection(Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(query)));

        Assert.True(attributes.IsResourceRequest);
        Assert.Equal(expected, $"{attributes.Verb} {attributes.ApiGroup} {attributes.ApiVersion} {attributes.CombinedResource} {attributes.Namespace} {attributes.Name}");
    }

    [Theory]
    [InlineData("GET", "/api", "get")]
    [InlineData("GET", "/api/v1", "get")]
    [InlineData("GET", "/apis", "get")]
    [InlineData("GET", "/apis/rbac.authorization.k8s.io", "get")]
    [InlineData("GET", "/apis/rbac.authorization.k8s.io/v1", "get")]
    [InlineData("GET", "/version", "get")]
    [InlineData("POST", "/healthz", "post")]
    [InlineData("GET", "/openapi/v3/api/v1", "get")]
    public void Other_paths_are_non_resource_requests_with_the_method_as_verb(string method, string path, string verb)
    {
        var attributes = RequestInfoResolver.Resolve(Alice, method, path, new QueryCollection());

        Assert.False(attributes.IsResourceRequest);
        Assert.Equal(verb, attributes.Verb);
        Assert.Equal(path, attributes.Path);
    }
}
