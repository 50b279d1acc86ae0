using System.Text.Json.Nodes;
using static BindingServer.Tests.Http;

namespace BindingServer.Tests.Kubernetes;

public sealed class DeleteTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private readonly HttpClient _client = factory.Client();

    [Fact]
    public async Task Delete_answers_a_success_status_without_a_code()
    {
        var (_, created) = await _client.PostAsync(Crbs, Binding("gone"));
        var (code, body) = await _client.DeleteJsonAsync($"{Crbs}/gone", """{"propagationPolicy":"Background"}""");

        Assert.Equal(200, code);
        Assert.Equal(
            $$$"""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","details":{"name":"gone","group":"rbac.authorization.k8s.io","kind":"clusterrolebindings","uid":"{{{created["metadata"]!["uid"].Str()}}}"}}""",
            body.Compact());
        Assert.Equal(404, (await _client.GetJsonAsync($"{Crbs}/gone")).Code);
    }

    [Fact]
    public async Task Deleting_a_missing_object_is_NotFound()
    {
        var (code, body) = await _client.DeleteJsonAsync($"{Crbs}/never");

        Assert.Equal(404, code);
        Assert.Equal("clusterrolebindings.rbac.authorization.k8s.io \"never\" not found", body["message"].Str());
    }

    [Fact]
    public async Task Preconditions_that_do_not_hold_are_conflicts_with_the_storage_text()
    {
        var (_, created) = await _client.PostAsync(Crbs, Binding("precondition"));
        var (code, body) = await _client.DeleteJsonAsync($"{Crbs}/precondition", """{"preconditions":{"uid":"other"}}""");

        Assert.Equal(409, code);
        Assert.Equal(
            $"Operation cannot be fulfilled on clusterrolebindings.rbac.authorization.k8s.io \"precondition\": StorageError: invalid object, Code: 4, Key: /registry/rbac.authorization.k8s.io/clusterrolebindings/precondition, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: other, UID in object meta: {created["metadata"]!["uid"].Str()}",
            body["message"].Str());
        var (okCode, _) = await _client.DeleteJsonAsync($"{Crbs}/precondition",
            $$$"""{"preconditions":{"uid":"{{{created["metadata"]!["uid"].Str()}}}","resourceVersion":"{{{created["metadata"]!["resourceVersion"].Str()}}}"}}""");
        Assert.Equal(200, okCode);
    }

    [Fact]
    public async Task Dry_run_delete_in_the_body_keeps_the_object()
    {
        await _client.PostAsync(Crbs, Binding("dry-delete"));
        var (code, _) = await _client.DeleteJsonAsync($"{Crbs}/dry-delete", """{"propagationPolicy":"Background","dryRun":["All"]}""");

        Assert.Equal(200, code);
        Assert.Equal(200, (await _client.GetJsonAsync($"{Crbs}/dry-delete")).Code);
    }

    [Fact]
    public async Task Invalid_delete_options_are_rejected()
    {
        await _client.PostAsync(Crbs, Binding("bad-options"));
        var (code, body) = await _client.DeleteJsonAsync($"{Crbs}/bad-options", """{"propagationPolicy":"Sideways"}""");

        Assert.Equal(422, code);
        Assert.Equal("DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"Sideways\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"",
            body["message"].Str());
    }

    [Fact]
    public async Task Finalizers_hold_a_deletion_until_the_last_one_is_removed()
    {
        await _client.PostAsync(Crbs, """{"metadata":{"name":"finalized","finalizers":["example.com/hold"]},"roleRef":{"kind":"ClusterRole","name":"view"}}""");

        var (code, marked) = await _client.DeleteJsonAsync($"{Crbs}/finalized");
        Assert.Equal(200, code);
        Assert.Equal("ClusterRoleBinding", marked["kind"].Str());
        Assert.NotEmpty(marked["metadata"]!["deletionTimestamp"].Str());
        Assert.Equal(0, marked["metadata"]!["deletionGracePeriodSeconds"]!.GetValue<int>());

        var (addCode, add) = await _client.PatchAsync($"{Crbs}/finalized", """{"metadata":{"finalizers":["example.com/hold","example.com/more"]}}""", "application/merge-patch+json");
        Assert.Equal(422, addCode);
        Assert.Contains("no new finalizers can be added if the object is being deleted", add["message"].Str());

        var (removeCode, _) = await _client.PatchAsync($"{Crbs}/finalized", """{"metadata":{"finalizers":null}}""", "application/merge-patch+json");
        Assert.Equal(200, removeCode);
        Assert.Equal(404, (await _client.GetJsonAsync($"{Crbs}/finalized")).Code);
    }

    [Fact]
    public async Task Creating_over_an_object_being_deleted_says_so()
    {
        await _client.PostAsync(Crbs, """{"metadata":{"name":"terminating","finalizers":["example.com/hold"]},"roleRef":{"kind":"ClusterRole","name":"view"}}""");
        await _client.DeleteJsonAsync($"{Crbs}/terminating");
        var (code, body) = await _client.PostAsync(Crbs, Binding("terminating"));

        Assert.Equal(409, code);
        Assert.Equal("object is being deleted: clusterrolebindings.rbac.authorization.k8s.io \"terminating\" already exists", body["message"].Str());
        await _client.PatchAsync($"{Crbs}/terminating", """{"metadata":{"finalizers":null}}""", "application/merge-patch+json");
    }

    [Fact]
    public async Task Foreground_deletion_completes_without_a_controller_manager()
    {
        var (_, owner) = await _client.PostAsync(Crbs, Binding("fg-owner"));
        var ownerRef = $$$"""[{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","name":"fg-owner","uid":"{{{owner["metadata"]!["uid"].Str()}}}"}]""";
        await _client.PostAsync(Crbs, $$$"""{"metadata":{"name":"fg-dependent","ownerReferences":{{{ownerRef}}}},"roleRef":{"kind":"ClusterRole","name":"view"}}""");

        var (code, marked) = await _client.DeleteJsonAsync($"{Crbs}/fg-owner", """{"propagationPolicy":"Foreground"}""");

        Assert.Equal(200, code);
        Assert.Contains("foregroundDeletion", marked["metadata"]!["finalizers"]!.AsArray().Select(f => f.Str()));
        await factory.UntilStatusAsync(_client, $"{Crbs}/fg-dependent", 404);
        await factory.UntilStatusAsync(_client, $"{Crbs}/fg-owner", 404);
    }

    [Fact]
    public async Task Orphan_deletion_releases_dependents()
    {
        var (_, owner) = await _client.PostAsync(Crbs, Binding("orphan-owner"));
        var uid = owner["metadata"]!["uid"].Str();
        await _client.PostAsync(Crbs,
            $$$"""{"metadata":{"name":"orphan-dependent","ownerReferences":[{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","name":"orphan-owner","uid":"{{{uid}}}"}]},"roleRef":{"kind":"ClusterRole","name":"view"}}""");

        await _client.DeleteJsonAsync($"{Crbs}/orphan-owner", """{"propagationPolicy":"Orphan"}""");

        await factory.UntilStatusAsync(_client, $"{Crbs}/orphan-owner", 404);
        var (_, dependent) = await _client.GetJsonAsync($"{Crbs}/orphan-dependent");
        Assert.False(dependent["metadata"]!.AsObject().ContainsKey("ownerReferences"));
    }

    [Fact]
    public async Task Background_deletion_removes_dependents_whose_owners_are_gone()
    {
        var (_, owner) = await _client.PostAsync(Crbs, Binding("bg-owner"));
        await _client.PostAsync(Crbs,
            $$$"""{"metadata":{"name":"bg-dependent","ownerReferences":[{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","name":"bg-owner","uid":"{{{owner["metadata"]!["uid"].Str()}}}"}]},"roleRef":{"kind":"ClusterRole","name":"view"}}""");

        await _client.DeleteJsonAsync($"{Crbs}/bg-owner", """{"propagationPolicy":"Background"}""");

        await factory.UntilStatusAsync(_client, $"{Crbs}/bg-dependent", 404);
    }

    /// <summary>
    /// As kube-controller-manager's isDangling: an owner counts by its coordinates and uid, so a dependent stays while
    /// another owner stands, including one of a kind this server cannot look up, and goes once no owner is left.
    /// </summary>
    [Fact]
    public async Task A_dependent_goes_only_when_every_owner_it_names_is_gone()
    {
        var (_, first) = await _client.PostAsync(Crbs, Binding("multi-owner-1"));
        var (_, second) = await _client.PostAsync(Crbs, Binding("multi-owner-2"));
        static string Ref(string name, JsonNode owner) =>
            $$$"""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","name":"{{{name}}}","uid":"{{{owner["metadata"]!["uid"].Str()}}}"}""";
        const string Unserved = """{"apiVersion":"apps/v1","kind":"Deployment","name":"web","uid":"8b0d4c62-5b8f-4a3e-9a55-000000000001"}""";
        await _client.PostAsync(Crbs, $$$"""{"metadata":{"name":"multi-dependent","ownerReferences":[{{{Ref("multi-owner-1", first)}}},{{{Ref("multi-owner-2", second)}}}]},"roleRef":{"kind":"ClusterRole","name":"view"}}""");
        await _client.PostAsync(Crbs, $$$"""{"metadata":{"name":"unserved-dependent","ownerReferences":[{{{Ref("multi-owner-1", first)}}},{{{Unserved}}}]},"roleRef":{"kind":"ClusterRole","name":"view"}}""");

        await _client.PostAsync(Crbs, Binding("multi-marker"));
        await _client.DeleteJsonAsync($"{Crbs}/multi-owner-1");
        // The collector takes changes in order and finishes a foreground deletion itself: once the marker, deleted
        // after the owner, is gone, the collector has decided on the owner's dependents.
        await _client.DeleteJsonAsync($"{Crbs}/multi-marker", """{"propagationPolicy":"Foreground"}""");
        await factory.UntilStatusAsync(_client, $"{Crbs}/multi-marker", 404);

        Assert.Equal(200, (await _client.GetJsonAsync($"{Crbs}/multi-dependent")).Code);
        Assert.Equal(200, (await _client.GetJsonAsync($"{Crbs}/unserved-dependent")).Code);

        // The second owner replaced by a namesake with another uid is gone too, as the uid no longer matches.
        await _client.DeleteJsonAsync($"{Crbs}/multi-owner-2");
        await factory.UntilStatusAsync(_client, $"{Crbs}/multi-dependent", 404);
        Assert.Equal(200, (await _client.GetJsonAsync($"{Crbs}/unserved-dependent")).Code);
    }

    [Fact]
    public async Task Deletecollection_deletes_the_selected_objects_and_lists_them()
    {
        await _client.PostAsync(Crbs, Binding("dc-1", labels: """{"batch":"dc"}"""));
        await _client.PostAsync(Crbs, Binding("dc-2", labels: """{"batch":"dc"}"""));
        await _client.PostAsync(Crbs, Binding("dc-keep", labels: """{"batch":"other"}"""));

        var (code, body) = await _client.DeleteJsonAsync($"{Crbs}?labelSelector=batch%3Ddc");

        Assert.Equal(200, code);
        Assert.Equal("ClusterRoleBindingList", body["kind"].Str());
        Assert.Equal(["dc-1", "dc-2"], body["items"]!.AsArray().Select(i => i!["metadata"]!["name"].Str()));
        Assert.Equal(404, (await _client.GetJsonAsync($"{Crbs}/dc-1")).Code);
        Assert.Equal(200, (await _client.GetJsonAsync($"{Crbs}/dc-keep")).Code);
    }
}
