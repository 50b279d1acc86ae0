using System.Text.Json.Nodes;
using BindingServer.TestSupport;
using static BindingServer.Tests.Http;

namespace BindingServer.Tests.Authorization;

/// <summary>
/// The review APIs as clients meet them: authorization.k8s.io access and rules reviews, authentication.k8s.io's
/// SelfSubjectReview, and OpenShift's access, who-can and rules reviews, all answered from the stored RBAC policy.
/// Each test builds its roles and bindings as the default admin, with names no other test uses.
/// </summary>
public sealed class ReviewTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private const string Rbac = "/apis/rbac.authorization.k8s.io/v1";
    private const string Authz = "/apis/authorization.k8s.io/v1";
    private const string OpenShift = "/apis/authorization.openshift.io/v1";
    private readonly HttpClient _admin = factory.Client();

    private HttpClient As(string user, params string[] groups) => factory.ClientAs(user, groups);

    private async Task NamespaceAsync(string name) =>
        Assert.Contains((await _admin.PostAsync("/api/v1/namespaces", $$"""{"metadata":{"name":"{{name}}"} }""")).Code, new[] { 201, 409 });

    private async Task RoleAsync(string ns, string name, string rules)
    {
        await NamespaceAsync(ns);
        Assert.Equal(201, (await _admin.PostAsync($"{Rbac}/namespaces/{ns}/roles", $$"""{"metadata":{"name":"{{name}}"},"rules":{{rules}}}""")).Code);
    }

    private async Task ClusterRoleAsync(string name, string rules) =>
        Assert.Equal(201, (await _admin.PostAsync($"{Rbac}/clusterroles", $$"""{"metadata":{"name":"{{name}}"},"rules":{{rules}}}""")).Code);

    private async Task RoleBindingAsync(string ns, string name, string roleKind, string role, string subjects)
    {
        await NamespaceAsync(ns);
        Assert.Equal(201, (await _admin.PostAsync($"{Rbac}/namespaces/{ns}/rolebindings",
            $$"""{"metadata":{"name":"{{name}}"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"{{roleKind}}","name":"{{role}}"},"subjects":{{subjects}}}""")).Code);
    }

    private async Task ClusterRoleBindingAsync(string name, string role, string subjects) =>
        Assert.Equal(201, (await _admin.PostAsync(Crbs,
            $$"""{"metadata":{"name":"{{name}}"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"{{role}}"},"subjects":{{subjects}}}""")).Code);

    private static string User(string name) => $$"""[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"{{name}}"}]""";

    /// <summary>Lets <paramref name="user"/> call the self reviews, which a fresh server may not grant yet.</summary>
    private async Task AllowSelfReviewsAsync(string user)
    {
        var role = $"self-reviews-{user}";
        await ClusterRoleAsync(role,
            """[{"verbs":["create"],"apiGroups":["authorization.k8s.io"],"resources":["selfsubjectaccessreviews","selfsubjectrulesreviews"]},{"verbs":["create"],"apiGroups":["authentication.k8s.io"],"resources":["selfsubjectreviews"]}]""");
        await ClusterRoleBindingAsync(role, role, User(user));
    }

    private static void AssertStatus(JsonObject body) =>
        Assert.Empty(OfficialSchemas.Validate("rbac", "io.k8s.apimachinery.pkg.apis.meta.v1.Status", body.ToJsonString()));

    private static JsonObject WithoutManagedFields(JsonObject body)
    {
        var copy = body.DeepClone().AsObject();
        copy["metadata"]!.AsObject().Remove("managedFields");
        return copy;
    }

    // ---- authorization.k8s.io ----

    [Fact]
    public async Task A_self_access_review_by_the_admin_is_allowed_without_a_reason_and_echoes_the_request()
    {
        var (code, body) = await _admin.PostAsync($"{Authz}/selfsubjectaccessreviews",
            """{"kind":"SelfSubjectAccessReview","apiVersion":"authorization.k8s.io/v1","metadata":{"creationTimestamp":null},"spec":{"resourceAttributes":{"verb":"get","resource":"pods","namespace":"default","name":"p1"}},"status":{"allowed":false}}""");

        Assert.Equal(201, code);
        Assert.Equal(
            """{"kind":"SelfSubjectAccessReview","apiVersion":"authorization.k8s.io/v1","metadata":{"creationTimestamp":null},"spec":{"resourceAttributes":{"namespace":"default","verb":"get","resource":"pods","name":"p1"}},"status":{"allowed":true}}""",
            WithoutManagedFields(body).Compact());

        // The field manager records the request's fields under the client's name, as the apiserver does.
        var entry = body["metadata"]!["managedFields"]!.AsArray().Single()!;
        Assert.Equal("bindingserver-tests", entry["manager"].Str());
        Assert.Equal("Update", entry["operation"].Str());
        Assert.Equal("authorization.k8s.io/v1", entry["apiVersion"].Str());
        Assert.Equal("""{"f:spec":{"f:resourceAttributes":{".":{},"f:name":{},"f:namespace":{},"f:resource":{},"f:verb":{}}}}""",
            entry["fieldsV1"]!.ToJsonString());
    }

    [Fact]
    public async Task A_self_access_review_answers_for_the_impersonated_user_with_the_rbac_reason()
    {
        await AllowSelfReviewsAsync("ssar-alice");
        await RoleAsync("ssar-dev", "reader", """[{"verbs":["get","list"],"apiGroups":[""],"resources":["pods"]}]""");
        await RoleBindingAsync("ssar-dev", "rb", "Role", "reader", User("ssar-alice"));
        var alice = As("ssar-alice");

        var (code, allowed) = await alice.PostAsync($"{Authz}/selfsubjectaccessreviews",
            """{"spec":{"resourceAttributes":{"namespace":"ssar-dev","verb":"get","resource":"pods"}}}""");
        var (_, elsewhere) = await alice.PostAsync($"{Authz}/selfsubjectaccessreviews",
            """{"spec":{"resourceAttributes":{"namespace":"ssar-other","verb":"get","resource":"pods"}}}""");
        var (_, path) = await alice.PostAsync($"{Authz}/selfsubjectaccessreviews", """{"spec":{"nonResourceAttributes":{"path":"/metrics","verb":"get"}}}""");

        Assert.Equal(201, code);
        Assert.Equal("""{"allowed":true,"reason":"RBAC: allowed by RoleBinding \"rb/ssar-dev\" of Role \"reader\" to User \"ssar-alice\""}""",
            allowed["status"]!.Compact());
        Assert.Equal("""{"allowed":false}""", elsewhere["status"]!.Compact());
        Assert.Equal("""{"nonResourceAttributes":{"path":"/metrics","verb":"get"}}""", path["spec"]!.Compact());
        Assert.False(path["status"]!["allowed"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_subject_access_review_evaluates_the_user_and_groups_given()
    {
        await RoleAsync("sar-dev", "reader", """[{"verbs":["get"],"apiGroups":[""],"resources":["pods"]}]""");
        await RoleBindingAsync("sar-dev", "rb", "Role", "reader", User("sar-alice"));
        await ClusterRoleAsync("sar-metrics", """[{"verbs":["get"],"nonResourceURLs":["/metrics"]}]""");
        await ClusterRoleBindingAsync("sar-metrics", "sar-metrics", """[{"kind":"Group","apiGroup":"rbac.authorization.k8s.io","name":"sar-devs"}]""");

        var (code, allowed) = await _admin.PostAsync($"{Authz}/subjectaccessreviews",
            """{"spec":{"user":"sar-alice","resourceAttributes":{"namespace":"sar-dev","verb":"get","resource":"pods"}}}""");
        var (_, denied) = await _admin.PostAsync($"{Authz}/subjectaccessreviews",
            """{"spec":{"user":"sar-alice","resourceAttributes":{"namespace":"sar-dev","verb":"delete","resource":"pods"}}}""");
        var (_, byGroup) = await _admin.PostAsync($"{Authz}/subjectaccessreviews",
            """{"spec":{"user":"sar-bob","groups":["sar-devs"],"uid":"u-1","extra":{"z":["2"],"a":["1"]},"nonResourceAttributes":{"path":"/metrics","verb":"get"}}}""");
        var (_, masters) = await _admin.PostAsync($"{Authz}/subjectaccessreviews",
            """{"spec":{"user":"root","groups":["system:masters"],"resourceAttributes":{"verb":"*","resource":"*"}}}""");

        Assert.Equal(201, code);
        Assert.Equal("""{"allowed":true,"reason":"RBAC: allowed by RoleBinding \"rb/sar-dev\" of Role \"reader\" to User \"sar-alice\""}""", allowed["status"]!.Compact());
        Assert.Equal("""{"allowed":false}""", denied["status"]!.Compact());
        Assert.Equal(
            """{"nonResourceAttributes":{"path":"/metrics","verb":"get"},"user":"sar-bob","groups":["sar-devs"],"extra":{"a":["1"],"z":["2"]},"uid":"u-1"}""",
            byGroup["spec"]!.Compact());
        Assert.Equal("""{"allowed":true,"reason":"RBAC: allowed by ClusterRoleBinding \"sar-metrics\" of ClusterRole \"sar-metrics\" to Group \"sar-devs\""}""",
            byGroup["status"]!.Compact());
        Assert.Equal("""{"allowed":true}""", masters["status"]!.Compact());
    }

    [Fact]
    public async Task A_binding_to_a_missing_role_is_the_reason_of_a_denial()
    {
        await RoleBindingAsync("missing-dev", "rb", "Role", "nope", User("missing-alice"));

        var (_, body) = await _admin.PostAsync($"{Authz}/subjectaccessreviews",
            """{"spec":{"user":"missing-alice","resourceAttributes":{"namespace":"missing-dev","verb":"get","resource":"pods"}}}""");

        Assert.Equal("""{"allowed":false,"reason":"RBAC: role.rbac.authorization.k8s.io \"nope\" not found"}""", body["status"]!.Compact());
    }

    [Fact]
    public async Task A_local_subject_access_review_takes_its_namespace_from_the_url()
    {
        await RoleAsync("lsar-dev", "reader", """[{"verbs":["get"],"apiGroups":[""],"resources":["pods"]}]""");
        await RoleBindingAsync("lsar-dev", "rb", "Role", "reader", User("lsar-alice"));

        var (code, body) = await _admin.PostAsync($"{Authz}/namespaces/lsar-dev/localsubjectaccessreviews",
            """{"spec":{"user":"lsar-alice","resourceAttributes":{"namespace":"lsar-dev","verb":"get","resource":"pods"}}}""");
        var (otherCode, other) = await _admin.PostAsync($"{Authz}/namespaces/lsar-dev/localsubjectaccessreviews",
            """{"spec":{"user":"lsar-alice","resourceAttributes":{"namespace":"elsewhere","verb":"get","resource":"pods"}}}""");
        var (pathCode, path) = await _admin.PostAsync($"{Authz}/namespaces/lsar-dev/localsubjectaccessreviews",
            """{"spec":{"user":"lsar-alice","nonResourceAttributes":{"path":"/healthz","verb":"get"}}}""");
        var (bodyNsCode, bodyNs) = await _admin.PostAsync($"{Authz}/namespaces/lsar-dev/localsubjectaccessreviews",
            """{"metadata":{"namespace":"elsewhere"},"spec":{"user":"lsar-alice","resourceAttributes":{"namespace":"elsewhere","verb":"get","resource":"pods"}}}""");

        Assert.Equal(201, code);
        Assert.Equal("lsar-dev", body["metadata"]!["namespace"].Str());
        Assert.True(body["status"]!["allowed"]!.GetValue<bool>());
        Assert.Equal(422, otherCode);
        Assert.Equal(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":".authorization.k8s.io \"\" is invalid: spec.resourceAttributes.namespace: Invalid value: \"elsewhere\": must match metadata.namespace","reason":"Invalid","details":{"group":"authorization.k8s.io","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: \"elsewhere\": must match metadata.namespace","field":"spec.resourceAttributes.namespace"}]},"code":422}""",
            other.Compact());
        AssertStatus(other);
        Assert.Equal(422, pathCode);
        Assert.Equal(
            ".authorization.k8s.io \"\" is invalid: spec.nonResourceAttributes: Invalid value: authorization.NonResourceAttributes{Path:\"/healthz\", Verb:\"get\"}: disallowed on this kind of request",
            path["message"].Str());
        Assert.Equal(400, bodyNsCode);
        Assert.Equal("the namespace of the provided object does not match the namespace sent on the request", bodyNs["message"].Str());
    }

    [Fact]
    public async Task Access_review_validation_errors_are_the_apiservers()
    {
        var (emptyCode, empty) = await _admin.PostAsync($"{Authz}/selfsubjectaccessreviews", """{"spec":{}}""");
        var (sarCode, sar) = await _admin.PostAsync($"{Authz}/subjectaccessreviews", """{"spec":{}}""");
        var (bothCode, both) = await _admin.PostAsync($"{Authz}/selfsubjectaccessreviews",
            """{"spec":{"resourceAttributes":{"verb":"get"},"nonResourceAttributes":{"path":"/x","verb":"get"}}}""");
        var (metaCode, meta) = await _admin.PostAsync($"{Authz}/selfsubjectaccessreviews",
            """{"metadata":{"name":"n1"},"spec":{"resourceAttributes":{"verb":"get"}}}""");
        var (selectorCode, selector) = await _admin.PostAsync($"{Authz}/selfsubjectaccessreviews",
            """{"spec":{"resourceAttributes":{"verb":"list","resource":"pods","fieldSelector":{},"labelSelector":{"requirements":[{"key":"app","operator":"In"}]}}}}""");

        Assert.Equal(422, emptyCode);
        Assert.Equal(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":".authorization.k8s.io \"\" is invalid: spec.resourceAttributes: Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be specified","reason":"Invalid","details":{"group":"authorization.k8s.io","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be specified","field":"spec.resourceAttributes"}]},"code":422}""",
            empty.Compact());
        AssertStatus(empty);
        Assert.Equal(422, sarCode);
        Assert.Equal(
            ".authorization.k8s.io \"\" is invalid: [spec.resourceAttributes: Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be specified, spec.user: Invalid value: \"\": at least one of user or group must be specified]",
            sar["message"].Str());
        Assert.Equal(422, bothCode);
        Assert.Equal(
            ".authorization.k8s.io \"\" is invalid: spec.nonResourceAttributes: Invalid value: authorization.NonResourceAttributes{Path:\"/x\", Verb:\"get\"}: cannot be specified in combination with resourceAttributes",
            both["message"].Str());
        Assert.Equal(422, metaCode);
        Assert.StartsWith(".authorization.k8s.io \"\" is invalid: metadata: Invalid value: v1.ObjectMeta{Name:\"n1\", GenerateName:\"\", Namespace:\"\",",
            meta["message"].Str());
        Assert.EndsWith(": must be empty", meta["message"].Str());
        Assert.Equal(422, selectorCode);
        Assert.Equal(
            ".authorization.k8s.io \"\" is invalid: [spec.resourceAttributes.fieldSelector.requirements: Required value: when spec.resourceAttributes.fieldSelector is specified, requirements or rawSelector is required, spec.resourceAttributes.labelSelector.requirements[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn']",
            selector["message"].Str());
    }

    [Fact]
    public async Task Selectors_the_authorizer_cannot_use_are_reported_in_evaluationError()
    {
        var (code, body) = await _admin.PostAsync($"{Authz}/selfsubjectaccessreviews",
            """{"spec":{"resourceAttributes":{"verb":"list","resource":"pods","fieldSelector":{"requirements":[{"key":"spec.nodeName","operator":"In","values":["n1"]},{"key":"x","operator":"Exists"}]},"labelSelector":{"rawSelector":"a in (b"}}}}""");

        Assert.Equal(201, code);
        Assert.Equal(
            """{"allowed":true,"evaluationError":"spec.resourceAttributes.fieldSelector partially ignored due to parse error; spec.resourceAttributes.labelSelector ignored due to parse error"}""",
            body["status"]!.Compact());
    }

    [Fact]
    public async Task Review_bodies_are_decoded_as_the_typed_object()
    {
        var (code, body) = await _admin.PostAsync($"{Authz}/subjectaccessreviews", """{"spec":{"user":5}}""");
        var (extraCode, extra) = await _admin.PostAsync($"{Authz}/subjectaccessreviews",
            """{"spec":{"user":"u","extra":{"k":[1]},"resourceAttributes":{"verb":"get"}}}""");
        var (versionCode, version) = await _admin.PostAsync($"{Authz}/selfsubjectaccessreviews", """{"kind":"SelfSubjectAccessReview","apiVersion":"v1"}""");

        Assert.Equal(400, code);
        Assert.Equal(
            "SubjectAccessReview in version \"v1\" cannot be handled as a SubjectAccessReview: json: cannot unmarshal number into Go struct field SubjectAccessReviewSpec.spec.user of type string",
            body["message"].Str());
        Assert.Equal(400, extraCode);
        Assert.Equal(
            "SubjectAccessReview in version \"v1\" cannot be handled as a SubjectAccessReview: json: cannot unmarshal number into Go struct field SubjectAccessReviewSpec.spec.extra of type string",
            extra["message"].Str());
        Assert.Equal(400, versionCode);
        Assert.Equal("the API version in the data (v1) does not match the expected API version (authorization.k8s.io/v1)", version["message"].Str());
        AssertStatus(version);
    }

    [Fact]
    public async Task A_self_rules_review_lists_the_raw_rules_of_the_users_bindings()
    {
        await AllowSelfReviewsAsync("ssrr-alice");
        await RoleAsync("ssrr-dev", "reader",
            """[{"verbs":["get","list"],"apiGroups":[""],"resources":["pods","configmaps"]},{"verbs":["get"],"apiGroups":["apps"],"resources":["deployments"],"resourceNames":["web"]}]""");
        await ClusterRoleAsync("ssrr-health", """[{"verbs":["get"],"nonResourceURLs":["/healthz","/livez"]}]""");
        await RoleBindingAsync("ssrr-dev", "rb", "Role", "reader", User("ssrr-alice"));
        await RoleBindingAsync("ssrr-dev", "rb-health", "ClusterRole", "ssrr-health", User("ssrr-alice"));
        await RoleBindingAsync("ssrr-dev", "rb-missing", "Role", "nope", User("ssrr-alice"));
        var alice = As("ssrr-alice");

        var (code, body) = await alice.PostAsync($"{Authz}/selfsubjectrulesreviews",
            """{"kind":"SelfSubjectRulesReview","apiVersion":"authorization.k8s.io/v1","metadata":{"creationTimestamp":null},"spec":{"namespace":"ssrr-dev"},"status":{"resourceRules":null,"nonResourceRules":null,"incomplete":false}}""");

        Assert.Equal(201, code);
        Assert.Equal("""{"creationTimestamp":null}""", body["metadata"]!.Compact());
        Assert.Equal("{}", body["spec"]!.Compact());
        var status = body["status"]!.AsObject();
        var resourceRules = status["resourceRules"]!.AsArray().Select(r => r!.Compact()).ToList();
        Assert.Equal(
            [
                """{"verbs":["get","list"],"apiGroups":[""],"resources":["pods","configmaps"]}""",
                """{"verbs":["get"],"apiGroups":["apps"],"resources":["deployments"],"resourceNames":["web"]}""",
            ],
            resourceRules[^2..]);
        Assert.Contains("""{"verbs":["create"],"apiGroups":["authorization.k8s.io"],"resources":["selfsubjectaccessreviews","selfsubjectrulesreviews"]}""", resourceRules);
        Assert.Equal("""{"verbs":["get"],"nonResourceURLs":["/healthz","/livez"]}""", status["nonResourceRules"]!.AsArray()[^1]!.Compact());
        Assert.False(status["incomplete"]!.GetValue<bool>());
        Assert.Equal("role.rbac.authorization.k8s.io \"nope\" not found", status["evaluationError"].Str());
    }

    [Fact]
    public async Task A_self_rules_review_needs_a_namespace()
    {
        var (code, body) = await _admin.PostAsync($"{Authz}/selfsubjectrulesreviews", """{"spec":{}}""");

        Assert.Equal(400, code);
        Assert.Equal("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"no namespace on request","reason":"BadRequest","code":400}""",
            body.Compact());
        AssertStatus(body);
    }

    // ---- authentication.k8s.io ----

    [Fact]
    public async Task A_self_subject_review_names_the_admin_by_default()
    {
        var (code, body) = await _admin.PostAsync("/apis/authentication.k8s.io/v1/selfsubjectreviews",
            """{"kind":"SelfSubjectReview","apiVersion":"authentication.k8s.io/v1","metadata":{"creationTimestamp":null},"status":{"userInfo":{}}}""");

        Assert.Equal(201, code);
        var stamped = DateTimeOffset.Parse(body["metadata"]!["creationTimestamp"].Str(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Math.Abs((DateTimeOffset.UtcNow - stamped).TotalMinutes) < 5);
        body["metadata"]!["creationTimestamp"] = "T";
        Assert.Equal(
            """{"kind":"SelfSubjectReview","apiVersion":"authentication.k8s.io/v1","metadata":{"creationTimestamp":"T"},"status":{"userInfo":{"username":"kubernetes-admin","groups":["system:masters","system:authenticated"]}}}""",
            body.Compact());
    }

    [Fact]
    public async Task A_self_subject_review_answers_for_the_impersonated_identity()
    {
        await AllowSelfReviewsAsync("ssr-alice");
        var client = As("ssr-alice", "devs");
        client.DefaultRequestHeaders.Add("Impersonate-Extra-Scopes", "b");
        client.DefaultRequestHeaders.Add("Impersonate-Extra-Foo", "bar");
        client.DefaultRequestHeaders.Add("Impersonate-Uid", "1234");

        var (code, body) = await client.PostAsync("/apis/authentication.k8s.io/v1/selfsubjectreviews", """{"kind":"SelfSubjectReview","apiVersion":"authentication.k8s.io/v1"}""");

        Assert.Equal(201, code);
        Assert.Equal("""{"userInfo":{"username":"ssr-alice","uid":"1234","groups":["devs","system:authenticated"],"extra":{"foo":["bar"],"scopes":["b"]}}}""",
            body["status"]!.Compact());
    }

    [Fact]
    public async Task Discovery_lists_the_authentication_group_with_selfsubjectreviews()
    {
        var (_, apis) = await _admin.GetJsonAsync("/apis");
        var (_, list) = await _admin.GetJsonAsync("/apis/authentication.k8s.io/v1");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/apis");
        request.Headers.Accept.ParseAdd("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
        using var response = await _admin.SendAsync(request);
        var aggregated = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        var group = apis["groups"]!.AsArray().Single(g => g!["name"].Str() == "authentication.k8s.io")!;
        Assert.Equal("""{"name":"authentication.k8s.io","versions":[{"groupVersion":"authentication.k8s.io/v1","version":"v1"}],"preferredVersion":{"groupVersion":"authentication.k8s.io/v1","version":"v1"}}""",
            group.Compact());
        Assert.Equal("""[{"name":"selfsubjectreviews","singularName":"selfsubjectreview","namespaced":false,"kind":"SelfSubjectReview","verbs":["create"]},{"name":"tokenreviews","singularName":"tokenreview","namespaced":false,"kind":"TokenReview","verbs":["create"]}]""",
            list["resources"]!.Compact());
        var item = aggregated["items"]!.AsArray().Single(i => i!["metadata"]!["name"].Str() == "authentication.k8s.io")!;
        var resource = item["versions"]!.AsArray().Single()!["resources"]!.AsArray().First()!;
        Assert.Equal("selfsubjectreviews", resource["resource"].Str());
        Assert.Equal("SelfSubjectReview", resource["responseKind"]!["kind"].Str());
        Assert.Equal("Cluster", resource["scope"].Str());
        Assert.Equal("""["create"]""", resource["verbs"]!.ToJsonString());
    }

    // ---- authorization.openshift.io ----

    [Fact]
    public async Task An_openshift_subject_access_review_uses_the_rbac_decision()
    {
        await RoleAsync("os-sar", "reader", """[{"verbs":["get"],"apiGroups":[""],"resources":["pods","pods/log"]}]""");
        await RoleBindingAsync("os-sar", "rb", "Role", "reader", User("os-alice"));

        var (code, allowed) = await _admin.PostAsync($"{OpenShift}/subjectaccessreviews",
            """{"kind":"SubjectAccessReview","apiVersion":"authorization.openshift.io/v1","namespace":"os-sar","verb":"get","resourceAPIGroup":"","resource":"pods/log","user":"os-alice","groups":null,"scopes":null}""");
        var (_, denied) = await _admin.PostAsync($"{OpenShift}/subjectaccessreviews",
            """{"verb":"delete","resource":"pods","user":"os-alice"}""");
        var (_, self) = await _admin.PostAsync($"{OpenShift}/namespaces/os-sar/localsubjectaccessreviews", """{"verb":"delete","resource":"pods"}""");

        Assert.Equal(201, code);
        Assert.Equal(
            """{"kind":"SubjectAccessReviewResponse","apiVersion":"authorization.openshift.io/v1","namespace":"os-sar","allowed":true,"reason":"RBAC: allowed by RoleBinding \"rb/os-sar\" of Role \"reader\" to User \"os-alice\""}""",
            allowed.Compact());
        Assert.Equal("""{"kind":"SubjectAccessReviewResponse","apiVersion":"authorization.openshift.io/v1","allowed":false}""", denied.Compact());
        Assert.Equal("""{"kind":"SubjectAccessReviewResponse","apiVersion":"authorization.openshift.io/v1","namespace":"os-sar","allowed":true}""", self.Compact());
    }

    [Fact]
    public async Task Openshift_access_reviews_check_the_callers_right_to_the_local_review()
    {
        await ClusterRoleAsync("os-sar-caller", """[{"verbs":["create"],"apiGroups":["authorization.openshift.io"],"resources":["subjectaccessreviews"]}]""");
        await ClusterRoleBindingAsync("os-sar-caller", "os-sar-caller", User("os-caller"));

        var (code, body) = await As("os-caller").PostAsync($"{OpenShift}/subjectaccessreviews", """{"verb":"get","resource":"pods","user":"someone"}""");

        Assert.Equal(403, code);
        Assert.Equal(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","reason":"Forbidden","details":{"group":"authorization.openshift.io","kind":"localsubjectaccessreviews"},"code":403}""",
            body.Compact());
        AssertStatus(body);
    }

    [Fact]
    public async Task Openshift_review_validation_and_namespace_errors()
    {
        var (invalidCode, invalid) = await _admin.PostAsync($"{OpenShift}/subjectaccessreviews", """{"user":"u"}""");
        var (urlCode, url) = await _admin.PostAsync($"{OpenShift}/resourceaccessreviews",
            """{"verb":"get","isNonResourceURL":true,"resource":"pods","namespace":"x"}""");
        var (nsCode, ns) = await _admin.PostAsync($"{OpenShift}/namespaces/os-a/localsubjectaccessreviews", """{"namespace":"os-b","verb":"get","resource":"pods"}""");
        var (typeCode, type) = await _admin.PostAsync($"{OpenShift}/subjectaccessreviews", """{"verb":"get","resource":"pods","isNonResourceURL":"yes"}""");

        Assert.Equal(422, invalidCode);
        Assert.Equal(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":".authorization.openshift.io \"\" is invalid: [verb: Required value, resource: Required value]","reason":"Invalid","details":{"group":"authorization.openshift.io","causes":[{"reason":"FieldValueRequired","message":"Required value","field":"verb"},{"reason":"FieldValueRequired","message":"Required value","field":"resource"}]},"code":422}""",
            invalid.Compact());
        AssertStatus(invalid);
        Assert.Equal(422, urlCode);
        Assert.Equal(
            ".authorization.openshift.io \"\" is invalid: [path: Required value, resource: Invalid value: \"pods\": resource may not be specified with non resource URLs, namespace: Invalid value: \"x\": namespace may not be specified with non resource URLs]",
            url["message"].Str());
        Assert.Equal(500, nsCode);
        Assert.Equal("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"namespace: Invalid value: \"os-b\": namespace must be: os-a","code":500}""",
            ns.Compact());
        Assert.Equal(400, typeCode);
        Assert.Equal(
            "SubjectAccessReview in version \"v1\" cannot be handled as a SubjectAccessReview: json: cannot unmarshal string into Go struct field SubjectAccessReview.isNonResourceURL of type bool",
            type["message"].Str());
    }

    [Fact]
    public async Task A_resource_access_review_lists_who_can()
    {
        await ClusterRoleAsync("os-rar-frob", """[{"verbs":["frobnicate"],"apiGroups":["os-rar.example.com"],"resources":["widgets"]}]""");
        await ClusterRoleAsync("os-rar-other", """[{"verbs":["get"],"apiGroups":["os-rar.example.com"],"resources":["widgets"]}]""");
        await ClusterRoleBindingAsync("os-rar-frob", "os-rar-frob",
            """[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"os-rar-zed"},{"kind":"Group","apiGroup":"rbac.authorization.k8s.io","name":"os-rar-team"},{"kind":"ServiceAccount","name":"robot","namespace":"os-rar-ops"}]""");
        await ClusterRoleBindingAsync("os-rar-other", "os-rar-other", User("os-rar-nobody"));
        await RoleBindingAsync("os-rar", "rb", "ClusterRole", "os-rar-frob",
            """[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"os-rar-amy"},{"kind":"ServiceAccount","name":"local-sa"}]""");
        await RoleBindingAsync("os-rar", "rb-missing", "Role", "nope", User("os-rar-amy"));

        var (code, cluster) = await _admin.PostAsync($"{OpenShift}/resourceaccessreviews",
            """{"kind":"ResourceAccessReview","apiVersion":"authorization.openshift.io/v1","verb":"frobnicate","resourceAPIGroup":"os-rar.example.com","resource":"widgets"}""");
        var (localCode, local) = await _admin.PostAsync($"{OpenShift}/namespaces/os-rar/localresourceaccessreviews",
            """{"verb":"frobnicate","resourceAPIGroup":"os-rar.example.com","resource":"widgets"}""");

        Assert.Equal(201, code);
        Assert.Equal("ResourceAccessReviewResponse", cluster["kind"].Str());
        Assert.False(cluster.ContainsKey("namespace"));
        var users = cluster["users"]!.AsArray().Select(u => u.Str()).ToList();
        var groups = cluster["groups"]!.AsArray().Select(g => g.Str()).ToList();
        Assert.Contains("os-rar-zed", users);
        Assert.Contains("system:serviceaccount:os-rar-ops:robot", users);
        Assert.DoesNotContain("os-rar-nobody", users);
        Assert.DoesNotContain("os-rar-amy", users);
        Assert.Contains("os-rar-team", groups);
        Assert.Contains("system:masters", groups);
        Assert.Equal(users.Order(StringComparer.Ordinal), users);
        Assert.Equal(groups.Order(StringComparer.Ordinal), groups);

        Assert.Equal(201, localCode);
        Assert.Equal("os-rar", local["namespace"].Str());
        var localUsers = local["users"]!.AsArray().Select(u => u.Str()).ToList();
        Assert.Contains("os-rar-amy", localUsers);
        Assert.Contains("system:serviceaccount:os-rar:local-sa", localUsers);
        Assert.Contains("os-rar-zed", localUsers);
        Assert.Equal("role.rbac.authorization.k8s.io \"nope\" not found", local["evalutionError"].Str());
        Assert.Equal(["kind", "apiVersion", "namespace", "users", "groups", "evalutionError"], local.Select(p => p.Key));
    }

    [Fact]
    public async Task Openshift_rules_reviews_break_down_compact_and_sort_the_rules()
    {
        await RoleAsync("os-srr", "reader",
            """[{"verbs":["get","list"],"apiGroups":[""],"resources":["pods","configmaps"]},{"verbs":["watch","get"],"apiGroups":[""],"resources":["pods"]}]""");
        await ClusterRoleAsync("os-srr-health", """[{"verbs":["get"],"nonResourceURLs":["/healthz"]}]""");
        await RoleBindingAsync("os-srr", "rb", "Role", "reader", User("os-srr-carol"));
        await RoleBindingAsync("os-srr", "rb-health", "ClusterRole", "os-srr-health", User("os-srr-carol"));
        await RoleBindingAsync("os-srr", "rb-missing", "Role", "nope", User("os-srr-carol"));

        var (code, body) = await _admin.PostAsync($"{OpenShift}/namespaces/os-srr/subjectrulesreviews",
            """{"kind":"SubjectRulesReview","apiVersion":"authorization.openshift.io/v1","spec":{"user":"os-srr-carol","groups":null,"scopes":null}}""");

        Assert.Equal(201, code);
        Assert.Equal(
            """{"kind":"SubjectRulesReview","apiVersion":"authorization.openshift.io/v1","spec":{"user":"","groups":null,"scopes":null},"status":{"rules":[{"verbs":["get","list","watch"],"attributeRestrictions":null,"apiGroups":[""],"resources":["pods"]},{"verbs":["get","list"],"attributeRestrictions":null,"apiGroups":[""],"resources":["configmaps"]},{"verbs":["get"],"attributeRestrictions":null,"resources":[],"nonResourceURLs":["/healthz"]}],"evaluationError":"role.rbac.authorization.k8s.io \"nope\" not found"}}""",
            body.Compact());
    }

    [Fact]
    public async Task An_openshift_self_rules_review_answers_for_the_requester()
    {
        await RoleAsync("os-ssrr", "lister", """[{"verbs":["list"],"apiGroups":["apps"],"resources":["deployments"],"resourceNames":["b","a"]}]""");
        await RoleBindingAsync("os-ssrr", "rb", "Role", "lister", User("os-ssrr-dan"));
        await ClusterRoleAsync("os-ssrr-caller", """[{"verbs":["create"],"apiGroups":["authorization.openshift.io"],"resources":["selfsubjectrulesreviews"]}]""");
        await RoleBindingAsync("os-ssrr", "rb-caller", "ClusterRole", "os-ssrr-caller", User("os-ssrr-dan"));

        var (code, body) = await As("os-ssrr-dan").PostAsync($"{OpenShift}/namespaces/os-ssrr/selfsubjectrulesreviews",
            """{"kind":"SelfSubjectRulesReview","apiVersion":"authorization.openshift.io/v1","spec":{"scopes":null}}""");

        Assert.Equal(201, code);
        Assert.Equal("""{"scopes":null}""", body["spec"]!.Compact());
        var rules = body["status"]!["rules"]!.AsArray().Select(r => r!.Compact()).ToList();
        Assert.Contains("""{"verbs":["list"],"attributeRestrictions":null,"apiGroups":["apps"],"resources":["deployments"],"resourceNames":["a"]}""", rules);
        Assert.Contains("""{"verbs":["list"],"attributeRestrictions":null,"apiGroups":["apps"],"resources":["deployments"],"resourceNames":["b"]}""", rules);
        Assert.Contains("""{"verbs":["create"],"attributeRestrictions":null,"apiGroups":["authorization.openshift.io"],"resources":["selfsubjectrulesreviews"]}""", rules);
        Assert.False(body["status"]!.AsObject().ContainsKey("evaluationError"));
    }
}
