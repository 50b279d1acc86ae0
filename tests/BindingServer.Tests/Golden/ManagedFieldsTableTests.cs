using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.Patching;
using BindingServer.Kubernetes.Resources.Core;

namespace BindingServer.Tests.Golden;

/// <summary>
/// Field sets and ownership as structured-merge-diff computes them: the fieldsV1 the apiserver records for an object
/// (as in managedFields of objects kubectl creates) and which manager keeps which field after an update.
/// </summary>
[Trait("Category", "Fast")]
public sealed class ManagedFieldsTableTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2025-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    // structured-merge-diff fieldpath serialization: leaves are {}, "." marks a set item or map that is itself owned;
    // name and other identity fields of metadata are not tracked
    [InlineData("""{"metadata":{"name":"p","labels":{"run":"p"}}}""", """{"f:metadata":{"f:labels":{".":{},"f:run":{}}}}""")]
    [InlineData("""{"metadata":{"name":"p","finalizers":["a/b"]}}""", """{"f:metadata":{"f:finalizers":{".":{},"v:\"a/b\"":{}}}}""")]
    // keyed list items are k:{key} with their own "."; struct fields inside are f:
    [InlineData("""{"spec":{"containers":[{"name":"c","image":"i"}]}}""",
        """{"f:spec":{"f:containers":{"k:{\"name\":\"c\"}":{".":{},"f:image":{},"f:name":{}}}}}""")]
    // atomic lists (args) are one leaf
    [InlineData("""{"spec":{"containers":[{"name":"c","args":["1","2"]}]}}""",
        """{"f:spec":{"f:containers":{"k:{\"name\":\"c\"}":{".":{},"f:args":{},"f:name":{}}}}}""")]
    // a keyed list with a numeric key
    [InlineData("""{"spec":{"containers":[{"name":"c","ports":[{"containerPort":80,"protocol":"TCP"}]}]}}""",
        """{"f:spec":{"f:containers":{"k:{\"name\":\"c\"}":{".":{},"f:name":{},"f:ports":{"k:{\"containerPort\":80}":{".":{},"f:containerPort":{},"f:protocol":{}}}}}}}""")]
    // status is not owned through the main resource
    [InlineData("""{"spec":{"restartPolicy":"Never"},"status":{"phase":"Pending"}}""", """{"f:spec":{"f:restartPolicy":{}}}""")]
    public void Field_sets_serialize_as_fieldsV1(string obj, string fieldsV1)
    {
        var fields = FieldPaths.FieldsOf(JsonNode.Parse(obj)!.AsObject(), typeof(Pod));
        var trie = FieldPaths.ToTrie(fields);

        Assert.Equal(fieldsV1, trie.ToJsonString(KubeJson.Options));
        Assert.Equal(fields.Order(StringComparer.Ordinal), FieldPaths.FromTrie(trie).Order(StringComparer.Ordinal));
    }

    [Theory]
    // structured-merge-diff conflict paths, as printed in a 409
    [InlineData("f:metadata\nf:labels\nf:app", ".metadata.labels.app")]
    [InlineData("f:spec\nf:containers\nk:{\"name\":\"c\"}\nf:image", ".spec.containers[name=\"c\"].image")]
    [InlineData("f:metadata\nf:finalizers\nv:\"x\"", ".metadata.finalizers[=\"x\"]")]
    public void Paths_print_as_structured_merge_diff_prints_them(string path, string display) =>
        Assert.Equal(display, FieldPaths.Display(path));

    [Theory]
    // an update takes the fields it changes from their owner; unchanged fields stay with it
    [InlineData("""{"metadata":{"labels":{"a":"1","b":"1"}}}""", """{"metadata":{"labels":{"a":"2","b":"1"}}}""",
        """{"f:metadata":{"f:labels":{".":{},"f:b":{}}}}""", """{"f:metadata":{"f:labels":{"f:a":{}}}}""")]
    // a field the update removes leaves its owner too
    [InlineData("""{"metadata":{"labels":{"a":"1","b":"1"}}}""", """{"metadata":{"labels":{"b":"1"}}}""",
        """{"f:metadata":{"f:labels":{".":{},"f:b":{}}}}""", null)]
    // an update that changes nothing takes nothing
    [InlineData("""{"metadata":{"labels":{"a":"1"}}}""", """{"metadata":{"labels":{"a":"1"}}}""",
        """{"f:metadata":{"f:labels":{".":{},"f:a":{}}}}""", null)]
    // a new field goes to the updater alone
    [InlineData("""{"metadata":{"labels":{"a":"1"}}}""", """{"metadata":{"labels":{"a":"1"},"annotations":{"n":"x"}}}""",
        """{"f:metadata":{"f:labels":{".":{},"f:a":{}}}}""", """{"f:metadata":{"f:annotations":{".":{},"f:n":{}}}}""")]
    public void Updates_move_ownership_of_what_they_change(string before, string after, string creatorFields, string? updaterFields)
    {
        var created = JsonNode.Parse(before)!.AsObject();
        var entries = ManagedFields.RecordUpdate(null, null, created, typeof(Pod), "creator", "v1", Now);
        var updated = ManagedFields.RecordUpdate(entries, created, JsonNode.Parse(after)!.AsObject(), typeof(Pod), "updater", "v1", Now);

        Assert.Equal(creatorFields, Owned(updated, "creator"));
        Assert.Equal(updaterFields, Owned(updated, "updater"));
    }

    private static string? Owned(List<ManagedFieldsEntry>? entries, string manager) =>
        entries?.SingleOrDefault(e => e.Manager == manager)?.FieldsV1?.ToJsonString(KubeJson.Options);
}
