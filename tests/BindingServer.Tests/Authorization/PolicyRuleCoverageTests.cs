using BindingServer.Kubernetes.Authorization;
using BindingServer.Kubernetes.Resources;

namespace BindingServer.Tests.Authorization;

/// <summary>
/// Cases from kube's policy_comparator_test.go and policy_compact_test.go, plus the exact
/// ConfirmNoEscalation text (rule.go has no test of it, so those cases follow the source and
/// messages seen from real clusters).
/// </summary>
[Trait("Category", "Fast")]
public sealed class PolicyRuleCoverageTests
{
    private sealed record CoverCase(PolicyRule[] Owner, PolicyRule[] Servant, PolicyRule[] Uncovered);

    private static readonly Dictionary<string, CoverCase> CoverCases = new()
    {
        ["ExactMatch"] = new(
            [new() { ApiGroups = ["v1"], Verbs = ["get"], Resources = ["builds"] }],
            [new() { ApiGroups = ["v1"], Verbs = ["get"], Resources = ["builds"] }],
            []),
        ["SubresourceWildcard"] = new(
            [new() { ApiGroups = ["v1"], Verbs = ["get"], Resources = ["*/scale"] }],
            [new() { ApiGroups = ["v1"], Verbs = ["get"], Resources = ["foo/scale"] }],
            []),
        ["MultipleRulesCoveringSingleRule"] = new(
            [
                new() { ApiGroups = ["v1"], Verbs = ["delete"], Resources = ["deployments"] },
                new() { ApiGroups = ["v1"], Verbs = ["delete"], Resources = ["builds"] },
                new() { ApiGroups = ["v1"], Verbs = ["update"], Resources = ["builds", "deployments"] },
            ],
            [new() { ApiGroups = ["v1"], Verbs = ["delete", "update"], Resources = ["builds", "deployments"] }],
            []),
        ["MultipleAPIGroupsCoveringSingleRule"] = new(
            [
                new() { ApiGroups = ["group1"], Verbs = ["delete"], Resources = ["deployments"] },
                new() { ApiGroups = ["group1"], Verbs = ["delete"], Resources = ["builds"] },
                new() { ApiGroups = ["group1"], Verbs = ["update"], Resources = ["builds", "deployments"] },
                new() { ApiGroups = ["group2"], Verbs = ["delete"], Resources = ["deployments"] },
                new() { ApiGroups = ["group2"], Verbs = ["delete"], Resources = ["builds"] },
                new() { ApiGroups = ["group2"], Verbs = ["update"], Resources = ["builds", "deployments"] },
            ],
            [new() { ApiGroups = ["group1", "group2"], Verbs = ["delete", "update"], Resources = ["builds", "deployments"] }],
            []),
        ["SingleAPIGroupsCoveringMultiple"] = new(
            [new() { ApiGroups = ["group1", "group2"], Verbs = ["delete", "update"], Resources = ["builds", "deployments"] }],
            [
                new() { ApiGroups = ["group1"], Verbs = ["delete"], Resources = ["deployments"] },
                new() { ApiGroups = ["group1"], Verbs = ["delete"], Resources = ["builds"] },
                new() { ApiGroups = ["group1"], Verbs = ["update"], Resources = ["builds", "deployments"] },
                new() { ApiGroups = ["group2"], Verbs = ["delete"], Resources = ["deployments"] },
                new() { ApiGroups = ["group2"], Verbs = ["delete"], Resources = ["builds"] },
                new() { ApiGroups = ["group2"], Verbs = ["update"], Resources = ["builds", "deployments"] },
            ],
            []),
        ["MultipleRulesMissingSingleVerbResourceCombination"] = new(
            [
                new() { ApiGroups = ["v1"], Verbs = ["delete", "update"], Resources = ["builds", "deployments"] },
                new() { ApiGroups = ["v1"], Verbs = ["delete"], Resources = ["pods"] },
            ],
            [new() { ApiGroups = ["v1"], Verbs = ["delete", "update"], Resources = ["builds", "deployments", "pods"] }],
            [new() { ApiGroups = ["v1"], Verbs = ["update"], Resources = ["pods"] }]),
        ["APIGroupStarCoveringMultiple"] = new(
            [new() { ApiGroups = ["*"], Verbs = ["get"], Resources = ["roles"] }],
            [new() { ApiGroups = ["group1", "group2"], Verbs = ["get"], Resources = ["roles"] }],
            []),
        ["EnumerationNotCoveringAPIGroupStar"] = new(
            [new() { ApiGroups = ["dummy-group"], Verbs = ["get"], Resources = ["roles"] }],
            [new() { ApiGroups = ["*"], Verbs = ["get"], Resources = ["roles"] }],
            [new() { ApiGroups = ["*"], Verbs = ["get"], Resources = ["roles"] }]),
        ["APIGroupStarCoveringStar"] = new(
            [new() { ApiGroups = ["*"], Verbs = ["get"], Resources = ["roles"] }],
            [new() { ApiGroups = ["*"], Verbs = ["get"], Resources = ["roles"] }],
            []),
        ["VerbStarCoveringMultiple"] = new(
            [new() { ApiGroups = ["v1"], Verbs = ["*"], Resources = ["roles"] }],
            [new() { ApiGroups = ["v1"], Verbs = ["watch", "list"], Resources = ["roles"] }],
            []),
        ["EnumerationNotCoveringVerbStar"] = new(
            [new() { ApiGroups = ["v1"], Verbs = ["get", "list", "watch", "create", "update", "delete", "exec"], Resources = ["roles"] }],
            [new() { ApiGroups = ["v1"], Verbs = ["*"], Resources = ["roles"] }],
            [new() { ApiGroups = ["v1"], Verbs = ["*"], Resources = ["roles"] }]),
        ["VerbStarCoveringStar"] = new(
            [new() { ApiGroups = ["v1"], Verbs = ["*"], Resources = ["roles"] }],
            [new() { ApiGroups = ["v1"], Verbs = ["*"], Resources = ["roles"] }],
            []),
        ["ResourceStarCoveringMultiple"] = new(
            [new() { ApiGroups = ["v1"], Verbs = ["get"], Resources = ["*"] }],
            [new() { ApiGroups = ["v1"], Verbs = ["get"], Resources = ["resourcegroup:deployments"] }],
            []),
        ["EnumerationNotCoveringResourceStar"] = new(
            [new() { ApiGroups = ["v1"], Verbs = ["get"], Resources = ["roles", "resourcegroup:deployments"] }],
            [new() { ApiGroups = ["v1"], Verbs = ["get"], Resources = ["*"] }],
            [new() { ApiGroups = ["v1"], Verbs = ["get"], Resources = ["*"] }]),
        ["ResourceStarCoveringStar"] = new(
            [new() { ApiGroups = ["v1"], Verbs = ["get"], Resources = ["*"] }],
            [new() { ApiGroups = ["v1"], Verbs = ["get"], Resources = ["*"] }],
            []),
        ["ResourceNameEmptyCoveringMultiple"] = new(
            [new() { ApiGroups = ["v1"], Verbs = ["get"], Resources = ["pods"], ResourceNames = [] }],
            [new() { ApiGroups = ["v1"], Verbs = ["get"], Resources = ["pods"], ResourceNames = ["foo", "bar"] }],
            []),
        ["EnumerationNotCoveringResourceNameEmpty"] = new(
            [new() { ApiGroups = ["v1"], Verbs = ["get"], Resources = ["pods"], ResourceNames = ["foo", "bar"] }],
            [new() { ApiGroups = ["v1"], Verbs = ["get"], Resources = ["pods"], ResourceNames = [] }],
            [new() { ApiGroups = ["v1"], Verbs = ["get"], Resources = ["pods"] }]),
        ["NonResourceURLs"] = new(
            [new() { NonResourceURLs = ["/apis"], Verbs = ["*"] }],
            [new() { NonResourceURLs = ["/apis"], Verbs = ["*"] }],
            []),
        ["NonResourceURLsStar"] = new(
            [new() { NonResourceURLs = ["*"], Verbs = ["*"] }],
            [new() { NonResourceURLs = ["/apis", "/apis/v1", "/"], Verbs = ["*"] }],
            []),
        ["NonResourceURLsStarAfterPrefixDoesntCover"] = new(
            [new() { NonResourceURLs = ["/apis/*"], Verbs = ["*"] }],
            [new() { NonResourceURLs = ["/apis", "/apis/v1"], Verbs = ["get"] }],
            [new() { NonResourceURLs = ["/apis"], Verbs = ["get"] }]),
        ["NonResourceURLsStarAfterPrefix"] = new(
            [new() { NonResourceURLs = ["/apis/*"], Verbs = ["*"] }],
            [new() { NonResourceURLs = ["/apis/v1/foo", "/apis/v1"], Verbs = ["get"] }],
            []),
        ["NonResourceURLsWithOtherFields"] = new(
            [new() { ApiGroups = ["v1"], Verbs = ["get"], Resources = ["builds"], NonResourceURLs = ["/apis"] }],
            [new() { ApiGroups = ["v1"], Verbs = ["get"], Resources = ["builds"], NonResourceURLs = ["/apis"] }],
            []),
        ["NonResourceURLsWithOtherFieldsFailure"] = new(
            [new() { ApiGroups = ["v1"], Verbs = ["get"], Resources = ["builds"] }],
            [new() { ApiGroups = ["v1"], Verbs = ["get"], Resources = ["builds"], NonResourceURLs = ["/apis"] }],
            [new() { NonResourceURLs = ["/apis"], Verbs = ["get"] }]),

        // Not in kube's table, but straight from the comparator's source.
        ["SubresourceWildcardIsPerSubresource"] = new(
            [new() { ApiGroups = ["apps"], Verbs = ["get"], Resources = ["*/scale"] }],
            [new() { ApiGroups = ["apps"], Verbs = ["get"], Resources = ["deployments/status", "deployments/scale"] }],
            [new() { ApiGroups = ["apps"], Verbs = ["get"], Resources = ["deployments/status"] }]),
        ["ResourceDoesNotCoverItsSubresources"] = new(
            [new() { ApiGroups = [""], Verbs = ["get"], Resources = ["pods"] }],
            [new() { ApiGroups = [""], Verbs = ["get"], Resources = ["pods/log"] }],
            [new() { ApiGroups = [""], Verbs = ["get"], Resources = ["pods/log"] }]),
        ["ResourceStarCoversSubresources"] = new(
            [new() { ApiGroups = [""], Verbs = ["get"], Resources = ["*"] }],
            [new() { ApiGroups = [""], Verbs = ["get"], Resources = ["pods/log", "pods/exec"] }],
            []),
        ["NamedOwnerCoversOnlyItsNames"] = new(
            [new() { ApiGroups = [""], Verbs = ["get", "update"], Resources = ["configmaps"], ResourceNames = ["a"] }],
            [new() { ApiGroups = [""], Verbs = ["update"], Resources = ["configmaps"], ResourceNames = ["a", "b"] }],
            [new() { ApiGroups = [""], Verbs = ["update"], Resources = ["configmaps"], ResourceNames = ["b"] }]),
        ["VerbsAreCaseSensitive"] = new(
            [new() { ApiGroups = [""], Verbs = ["GET"], Resources = ["pods"] }],
            [new() { ApiGroups = [""], Verbs = ["get"], Resources = ["pods"] }],
            [new() { ApiGroups = [""], Verbs = ["get"], Resources = ["pods"] }]),
        ["ResourceOwnerDoesNotCoverUrls"] = new(
            [new() { ApiGroups = ["*"], Verbs = ["*"], Resources = ["*"] }],
            [new() { NonResourceURLs = ["/healthz"], Verbs = ["get"] }],
            [new() { NonResourceURLs = ["/healthz"], Verbs = ["get"] }]),
        ["UrlOwnerDoesNotCoverResources"] = new(
            [new() { NonResourceURLs = ["*"], Verbs = ["*"] }],
            [new() { ApiGroups = [""], Verbs = ["get"], Resources = ["pods"] }],
            [new() { ApiGroups = [""], Verbs = ["get"], Resources = ["pods"] }]),
        ["ServantWithoutGroupsGrantsNothing"] = new(
            [],
            [new() { Verbs = ["get"], Resources = ["pods"] }],
            []),
        ["NoOwnerRules"] = new(
            [],
            [new() { ApiGroups = ["", "apps"], Verbs = ["get"], Resources = ["pods"], ResourceNames = ["x"] }],
            [
                new() { ApiGroups = [""], Verbs = ["get"], Resources = ["pods"], ResourceNames = ["x"] },
                new() { ApiGroups = ["apps"], Verbs = ["get"], Resources = ["pods"], ResourceNames = ["x"] },
            ]),
    };

    public static TheoryData<string> CoverCaseNames => Names(CoverCases);

    [Theory]
    [MemberData(nameof(CoverCaseNames))]
    public void Uncovered_matches_kube_comparator(string name)
    {
        var tc = CoverCases[name];

        var uncovered = PolicyRuleCoverage.Uncovered(tc.Owner, tc.Servant);

        // kube compares as a set (rulesMatch), with nil and empty lists told apart.
        Assert.Equal(tc.Uncovered.Select(Show).Order(StringComparer.Ordinal), uncovered.Select(Show).Order(StringComparer.Ordinal));
    }

    /// <summary>kube's TestNonResourceURLCovers table: owner URL, requested URL, covered.</summary>
    public static TheoryData<string, string, bool> NonResourceUrlCases => new()
    {
        { "*", "", true },
        { "*", "/", true },
        { "*", "/api", true },
        { "/*", "", false },
        { "/*", "/", true },
        { "/*", "/foo", true },
        { "/api", "/api", true },
        { "/apis", "/api", false },
        { "/api/v1", "/api", false },
        { "/api/v1", "/api/v1", true },
        { "/api/*", "/api/v1", true },
        { "/api/*", "/api", false },
        { "/api/*/*", "/api/v1", false },
        { "/*/v1/*", "/api/v1", false },
        // Every trailing star is dropped before the prefix test.
        { "/api/**", "/api/v1", true },
    };

    [Theory]
    [MemberData(nameof(NonResourceUrlCases))]
    public void Non_resource_url_coverage(string owner, string requested, bool covered)
    {
        var uncovered = PolicyRuleCoverage.Uncovered(
            [new PolicyRule { NonResourceURLs = [owner], Verbs = ["get"] }],
            [new PolicyRule { NonResourceURLs = [requested], Verbs = ["get"] }]);

        Assert.Equal(covered, uncovered.Count == 0);
    }

    private sealed record CompactCase(PolicyRule[] Rules, PolicyRule[] Expected);

    private static readonly Dictionary<string, CompactCase> CompactCases = new()
    {
        ["empty"] = new([], []),
        ["simple"] = new(
            [
                new() { Verbs = ["get"], ApiGroups = [""], Resources = ["builds"] },
                new() { Verbs = ["list"], ApiGroups = [""], Resources = ["builds"] },
                new() { Verbs = ["update", "patch"], ApiGroups = [""], Resources = ["builds"] },

                new() { Verbs = ["create"], ApiGroups = ["extensions"], Resources = ["daemonsets"] },
                new() { Verbs = ["delete"], ApiGroups = ["extensions"], Resources = ["daemonsets"] },
                new() { Verbs = ["patch"], ApiGroups = ["extensions"], Resources = ["daemonsets"], ResourceNames = [""] },
                new() { Verbs = ["get"], ApiGroups = ["extensions"], Resources = ["daemonsets"], ResourceNames = ["foo"] },
                new() { Verbs = ["list"], ApiGroups = ["extensions"], Resources = ["daemonsets"], ResourceNames = ["foo"] },

                new() { Verbs = ["educate"], ApiGroups = [""], Resources = ["dolphins"] },

                // Absent verbs stay absent when nothing merges into them...
                new() { Verbs = null, ApiGroups = [""], Resources = ["pirates"] },

                // ...and a later rule can merge into them.
                new() { Verbs = null, ApiGroups = [""], Resources = ["pods"] },
                new() { Verbs = ["create"], ApiGroups = [""], Resources = ["pods"] },
            ],
            [
                new() { Verbs = ["create", "delete"], ApiGroups = ["extensions"], Resources = ["daemonsets"] },
                new() { Verbs = ["patch"], ApiGroups = ["extensions"], Resources = ["daemonsets"], ResourceNames = [""] },
                new() { Verbs = ["get", "list"], ApiGroups = ["extensions"], Resources = ["daemonsets"], ResourceNames = ["foo"] },
                new() { Verbs = ["get", "list", "update", "patch"], ApiGroups = [""], Resources = ["builds"] },
                new() { Verbs = ["educate"], ApiGroups = [""], Resources = ["dolphins"] },
                new() { Verbs = null, ApiGroups = [""], Resources = ["pirates"] },
                new() { Verbs = ["create"], ApiGroups = [""], Resources = ["pods"] },
            ]),
        ["complex multi-group"] = new(
            [
                new() { Verbs = ["get"], ApiGroups = ["", "builds.openshift.io"], Resources = ["builds"] },
                new() { Verbs = ["list"], ApiGroups = ["", "builds.openshift.io"], Resources = ["builds"] },
            ],
            [
                new() { Verbs = ["get"], ApiGroups = ["", "builds.openshift.io"], Resources = ["builds"] },
                new() { Verbs = ["list"], ApiGroups = ["", "builds.openshift.io"], Resources = ["builds"] },
            ]),
        ["complex multi-resource"] = new(
            [
                new() { Verbs = ["get"], ApiGroups = [""], Resources = ["builds", "images"] },
                new() { Verbs = ["list"], ApiGroups = [""], Resources = ["builds", "images"] },
            ],
            [
                new() { Verbs = ["get"], ApiGroups = [""], Resources = ["builds", "images"] },
                new() { Verbs = ["list"], ApiGroups = [""], Resources = ["builds", "images"] },
            ]),
        ["complex named-resource"] = new(
            [
                new() { Verbs = ["get"], ApiGroups = [""], Resources = ["builds"], ResourceNames = ["mybuild"] },
                new() { Verbs = ["list"], ApiGroups = [""], Resources = ["builds"], ResourceNames = ["mybuild2"] },
            ],
            [
                new() { Verbs = ["get"], ApiGroups = [""], Resources = ["builds"], ResourceNames = ["mybuild"] },
                new() { Verbs = ["list"], ApiGroups = [""], Resources = ["builds"], ResourceNames = ["mybuild2"] },
            ]),
        ["complex non-resource"] = new(
            [
                new() { Verbs = ["get"], ApiGroups = [""], Resources = ["builds"], NonResourceURLs = ["/"] },
                new() { Verbs = ["get"], ApiGroups = [""], Resources = ["builds"], NonResourceURLs = ["/foo"] },
            ],
            [
                new() { Verbs = ["get"], ApiGroups = [""], Resources = ["builds"], NonResourceURLs = ["/"] },
                new() { Verbs = ["get"], ApiGroups = [""], Resources = ["builds"], NonResourceURLs = ["/foo"] },
            ]),
    };

    public static TheoryData<string> CompactCaseNames => Names(CompactCases);

    [Theory]
    [MemberData(nameof(CompactCaseNames))]
    public void Compact_matches_kube(string name)
    {
        var tc = CompactCases[name];
        var before = tc.Rules.Select(Show).ToList();

        var compacted = PolicyRuleCoverage.Compact(tc.Rules);

        Assert.Equal(before, tc.Rules.Select(Show));
        Assert.Empty(PolicyRuleCoverage.Uncovered(compacted, tc.Rules));
        Assert.Empty(PolicyRuleCoverage.Uncovered(tc.Rules, compacted));
        Assert.Equal(tc.Expected.Select(Show).Order(StringComparer.Ordinal), compacted.Select(Show).Order(StringComparer.Ordinal));
    }

    /// <summary>kube's TestIsSimpleResourceRule: only "simple" rules merge with a same-keyed rule.</summary>
    public static TheoryData<string> SimpleRuleNames => Names(SimpleRules);

    private static readonly Dictionary<string, (PolicyRule Rule, bool Simple)> SimpleRules = new()
    {
        ["simple, no verbs"] = (new() { Verbs = [], ApiGroups = [""], Resources = ["builds"] }, true),
        ["simple, one verb"] = (new() { Verbs = ["get"], ApiGroups = [""], Resources = ["builds"] }, true),
        ["simple, one empty resource name"] = (new() { Verbs = ["get"], ApiGroups = [""], Resources = ["builds"], ResourceNames = [""] }, true),
        ["simple, one resource name"] = (new() { Verbs = ["get"], ApiGroups = [""], Resources = ["builds"], ResourceNames = ["foo"] }, true),
        ["simple, multi verb"] = (new() { Verbs = ["get", "list"], ApiGroups = [""], Resources = ["builds"] }, true),
        ["complex, empty"] = (new(), false),
        ["complex, no group"] = (new() { Verbs = ["get"], ApiGroups = [], Resources = ["builds"] }, false),
        ["complex, multi group"] = (new() { Verbs = ["get"], ApiGroups = ["a", "b"], Resources = ["builds"] }, false),
        ["complex, no resource"] = (new() { Verbs = ["get"], ApiGroups = [""], Resources = [] }, false),
        ["complex, multi resource"] = (new() { Verbs = ["get"], ApiGroups = [""], Resources = ["builds", "images"] }, false),
        ["complex, resource names"] = (new() { Verbs = ["get"], ApiGroups = [""], Resources = ["builds"], ResourceNames = ["foo", "bar"] }, false),
        ["complex, non-resource urls"] = (new() { Verbs = ["get"], ApiGroups = [""], Resources = ["builds"], NonResourceURLs = ["/"] }, false),
        // kube's deep-equality test tells an empty list from an absent one.
        ["complex, empty non-resource urls"] = (new() { Verbs = ["get"], ApiGroups = [""], Resources = ["builds"], NonResourceURLs = [] }, false),
    };

    [Theory]
    [MemberData(nameof(SimpleRuleNames))]
    public void Only_simple_rules_merge(string name)
    {
        var (rule, simple) = SimpleRules[name];
        var sibling = new PolicyRule
        {
            Verbs = ["extra"],
            ApiGroups = rule.ApiGroups,
            Resources = rule.Resources,
            ResourceNames = rule.ResourceNames,
            NonResourceURLs = rule.NonResourceURLs,
        };

        var compacted = PolicyRuleCoverage.Compact([rule, sibling]);

        Assert.Equal(simple ? 1 : 2, compacted.Count);
        if (simple)
        {
            Assert.Equal(rule.Verbs!.Append("extra"), compacted[0].Verbs!);
        }
    }

    private static readonly Dictionary<string, (PolicyRule Rule, string Expected)> CompactStrings = new()
    {
        ["resource"] = (new() { ApiGroups = ["apps"], Resources = ["deployments"], Verbs = ["get"] },
            "{APIGroups:[\"apps\"], Resources:[\"deployments\"], Verbs:[\"get\"]}"),
        ["core group, several verbs"] = (new() { Verbs = ["get", "list", "watch"], ApiGroups = [""], Resources = ["endpoints"] },
            "{APIGroups:[\"\"], Resources:[\"endpoints\"], Verbs:[\"get\" \"list\" \"watch\"]}"),
        ["non-resource"] = (new() { NonResourceURLs = ["/healthz", "/livez"], Verbs = ["get"] },
            "{NonResourceURLs:[\"/healthz\" \"/livez\"], Verbs:[\"get\"]}"),
        // Field order is APIGroups, Resources, NonResourceURLs, ResourceNames, Verbs.
        ["every field"] = (new() { Verbs = ["*"], ResourceNames = ["a", "b"], NonResourceURLs = ["/x"], Resources = ["pods"], ApiGroups = [""] },
            "{APIGroups:[\"\"], Resources:[\"pods\"], NonResourceURLs:[\"/x\"], ResourceNames:[\"a\" \"b\"], Verbs:[\"*\"]}"),
        // Empty and absent fields are both left out.
        ["empty fields"] = (new() { Verbs = ["get"], ApiGroups = [], Resources = null, ResourceNames = [] }, "{Verbs:[\"get\"]}"),
        ["nothing"] = (new(), "{}"),
        // Go's %q: escapes for quotes, backslashes, control and non-printable runes; printable Unicode as is.
        ["ascii escapes"] = (new() { Verbs = ["a\"b", "c\\d", "\n\t\a\v\r\f\b", "\u0001\u007f"] },
            "{Verbs:[\"a\\\"b\" \"c\\\\d\" \"\\n\\t\\a\\v\\r\\f\\b\" \"\\x01\\x7f\"]}"),
        ["unicode"] = (new() { Verbs = ["é日😀", "\u00a0\u200b", "\U000E0001", "\ud800"] },
            "{Verbs:[\"é日😀\" \"\\u00a0\\u200b\" \"\\U000e0001\" \"\uFFFD\"]}"),
    };

    public static TheoryData<string> CompactStringNames => Names(CompactStrings);

    [Theory]
    [MemberData(nameof(CompactStringNames))]
    public void Compact_string_matches_kube(string name)
    {
        var (rule, expected) = CompactStrings[name];

        Assert.Equal(expected, PolicyRuleCoverage.CompactString(rule));
    }

    private sealed record MessageCase(string User, string[] Groups, PolicyRule[] Owner, PolicyRule[] Servant, string[] Errors, string Expected);

    private static readonly Dictionary<string, MessageCase> MessageCases = new()
    {
        // As printed by a real cluster when a service account binds a role with a verb it lacks.
        ["service account"] = new(
            "system:serviceaccount:rbac:privesc",
            ["system:serviceaccounts", "system:serviceaccounts:rbac", "system:authenticated"],
            [new() { ApiGroups = [""], Resources = ["pods"], Verbs = ["get", "list", "watch", "create", "update", "patch"] }],
            [new() { ApiGroups = [""], Resources = ["pods"], Verbs = ["get", "delete"] }],
            [],
            "user \"system:serviceaccount:rbac:privesc\" (groups=[\"system:serviceaccounts\" \"system:serviceaccounts:rbac\" \"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n"
            + "{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"delete\"]}"),
        ["compacted and sorted"] = new(
            "alice",
            ["system:authenticated"],
            [],
            [
                new() { NonResourceURLs = ["/healthz"], Verbs = ["post", "get"] },
                new() { ApiGroups = ["apps"], Resources = ["deployments"], Verbs = ["get", "list"] },
                new() { ApiGroups = [""], Resources = ["pods"], ResourceNames = ["a"], Verbs = ["get"] },
                new() { ApiGroups = [""], Resources = ["endpoints"], Verbs = ["get", "list", "watch"] },
            ],
            [],
            "user \"alice\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n"
            + "{APIGroups:[\"\"], Resources:[\"endpoints\"], Verbs:[\"get\" \"list\" \"watch\"]}\n"
            + "{APIGroups:[\"\"], Resources:[\"pods\"], ResourceNames:[\"a\"], Verbs:[\"get\"]}\n"
            + "{APIGroups:[\"apps\"], Resources:[\"deployments\"], Verbs:[\"get\" \"list\"]}\n"
            + "{NonResourceURLs:[\"/healthz\"], Verbs:[\"get\"]}\n"
            + "{NonResourceURLs:[\"/healthz\"], Verbs:[\"post\"]}"),
        // Repeated grants: equal lines collapse, while verbs merged by compaction keep their repeats.
        ["duplicates"] = new(
            "bob",
            [],
            [],
            [
                new() { ApiGroups = ["apps"], Resources = ["deployments"], Verbs = ["get"] },
                new() { ApiGroups = ["apps"], Resources = ["deployments"], Verbs = ["get"] },
                new() { NonResourceURLs = ["/metrics"], Verbs = ["get"] },
                new() { NonResourceURLs = ["/metrics"], Verbs = ["get"] },
            ],
            [],
            "user \"bob\" (groups=[]) is attempting to grant RBAC permissions not currently held:\n"
            + "{APIGroups:[\"apps\"], Resources:[\"deployments\"], Verbs:[\"get\" \"get\"]}\n"
            + "{NonResourceURLs:[\"/metrics\"], Verbs:[\"get\"]}"),
        ["one resolution error"] = new(
            "carol",
            ["devs", "system:authenticated"],
            [new() { ApiGroups = [""], Resources = ["configmaps"], Verbs = ["get"] }],
            [new() { ApiGroups = [""], Resources = ["configmaps"], Verbs = ["get", "update"] }],
            ["clusterrole.rbac.authorization.k8s.io \"gone\" not found"],
            "user \"carol\" (groups=[\"devs\" \"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n"
            + "{APIGroups:[\"\"], Resources:[\"configmaps\"], Verbs:[\"update\"]}"
            + "; resolution errors: [clusterrole.rbac.authorization.k8s.io \"gone\" not found]"),
        ["several resolution errors"] = new(
            "carol",
            ["devs"],
            [],
            [new() { ApiGroups = [""], Resources = ["secrets"], Verbs = ["get"] }],
            ["role.rbac.authorization.k8s.io \"a\" not found", "role.rbac.authorization.k8s.io \"b\" not found", "role.rbac.authorization.k8s.io \"a\" not found"],
            "user \"carol\" (groups=[\"devs\"]) is attempting to grant RBAC permissions not currently held:\n"
            + "{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\"]}"
            + "; resolution errors: [[role.rbac.authorization.k8s.io \"a\" not found, role.rbac.authorization.k8s.io \"b\" not found]]"),
        ["repeated resolution error"] = new(
            "carol",
            ["devs"],
            [],
            [new() { ApiGroups = [""], Resources = ["secrets"], Verbs = ["get"] }],
            ["role.rbac.authorization.k8s.io \"a\" not found", "role.rbac.authorization.k8s.io \"a\" not found"],
            "user \"carol\" (groups=[\"devs\"]) is attempting to grant RBAC permissions not currently held:\n"
            + "{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\"]}"
            + "; resolution errors: [role.rbac.authorization.k8s.io \"a\" not found]"),
        ["quoted names"] = new(
            "dave \"the\" admin",
            ["a\\b", "tab\there"],
            [],
            [new() { ApiGroups = ["*"], Resources = ["*"], Verbs = ["*"] }],
            [],
            "user \"dave \\\"the\\\" admin\" (groups=[\"a\\\\b\" \"tab\\there\"]) is attempting to grant RBAC permissions not currently held:\n"
            + "{APIGroups:[\"*\"], Resources:[\"*\"], Verbs:[\"*\"]}"),
    };

    public static TheoryData<string> MessageCaseNames => Names(MessageCases);

    [Theory]
    [MemberData(nameof(MessageCaseNames))]
    public void Escalation_message_matches_kube(string name)
    {
        var tc = MessageCases[name];
        var missing = PolicyRuleCoverage.Uncovered(tc.Owner, tc.Servant);

        Assert.NotEmpty(missing);
        Assert.Equal(tc.Expected, PolicyRuleCoverage.EscalationMessage(tc.User, tc.Groups, missing, tc.Errors));
    }

    [Fact]
    public void Full_authority_is_star_on_everything()
    {
        var shown = PolicyRuleCoverage.FullAuthority.Select(PolicyRuleCoverage.CompactString).ToList();

        Assert.Equal(2, shown.Count);
        Assert.Equal("{APIGroups:[\"*\"], Resources:[\"*\"], Verbs:[\"*\"]}", shown[0]);
        Assert.Equal("{NonResourceURLs:[\"*\"], Verbs:[\"*\"]}", shown[1]);
    }

    [Fact]
    public void Only_cluster_admin_rules_cover_full_authority()
    {
        PolicyRule[] clusterAdmin =
        [
            new() { ApiGroups = ["*"], Resources = ["*"], Verbs = ["*"] },
            new() { NonResourceURLs = ["*"], Verbs = ["*"] },
        ];
        Assert.Empty(PolicyRuleCoverage.Uncovered(clusterAdmin, PolicyRuleCoverage.FullAuthority));

        // Holding every verb on every named resource is not the same as holding "*".
        PolicyRule[] manyVerbs = [new() { ApiGroups = ["*"], Resources = ["*"], Verbs = ["get", "list", "watch", "create", "update", "patch", "delete"] }];
        var missing = PolicyRuleCoverage.Uncovered(manyVerbs, PolicyRuleCoverage.FullAuthority);
        Assert.Equal(
            "user \"admin\" (groups=[\"system:masters\"]) is attempting to grant RBAC permissions not currently held:\n"
            + "{APIGroups:[\"*\"], Resources:[\"*\"], Verbs:[\"*\"]}\n"
            + "{NonResourceURLs:[\"*\"], Verbs:[\"*\"]}",
            PolicyRuleCoverage.EscalationMessage("admin", ["system:masters"], missing, []));
    }

    private static TheoryData<string> Names<T>(Dictionary<string, T> cases)
    {
        var names = new TheoryData<string>();
        foreach (var name in cases.Keys)
        {
            names.Add(name);
        }
        return names;
    }

    /// <summary>Every field, with absent (nil) and empty lists told apart, as kube's deep equality does.</summary>
    private static string Show(PolicyRule rule) =>
        string.Join(" | ", Field(rule.ApiGroups), Field(rule.Resources), Field(rule.ResourceNames), Field(rule.NonResourceURLs), Field(rule.Verbs));

    private static string Field(List<string>? values) =>
        values is null ? "nil" : "[" + string.Join(",", values.Select(v => "'" + v + "'")) + "]";
}
