using System.Text;
using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Patching;
using BindingServer.Kubernetes.Resources.Core;

namespace BindingServer.Tests.Golden;

/// <summary>
/// The three patch types against their reference cases: RFC 7386 appendix A (all of it) for merge patch, RFC 6902
/// appendix A and evanphx/json-patch (the library the apiserver applies JSON patches with) for JSON patch, and
/// apimachinery's strategicpatch tables for strategic merge patch, on the pod schema's merge keys.
/// </summary>
[Trait("Category", "Fast")]
public sealed class PatchTableTests
{
    private static void AssertJson(string expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"expected {expected}, got {actual?.ToJsonString() ?? "null"}");

    [Theory]
    // RFC 7386 appendix A, every example in order
    [InlineData("""{"a":"b"}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"b":"c"}""", """{"a":"b","b":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"a":null}""", """{}""")]
    [InlineData("""{"a":"b","b":"c"}""", """{"a":null}""", """{"b":"c"}""")]
    [InlineData("""{"a":["b"]}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"c"}""", """{"a":["b"]}""", """{"a":["b"]}""")]
    [InlineData("""{"a":{"b":"c"}}""", """{"a":{"b":"d","c":null}}""", """{"a":{"b":"d"}}""")]
    [InlineData("""{"a":[{"b":"c"}]}""", """{"a":[1]}""", """{"a":[1]}""")]
    [InlineData("""["a","b"]""", """["c","d"]""", """["c","d"]""")]
    [InlineData("""{"a":"b"}""", """["c"]""", """["c"]""")]
    [InlineData("""{"a":"foo"}""", "null", "null")]
    [InlineData("""{"a":"foo"}""", "\"bar\"", "\"bar\"")]
    [InlineData("""{"e":null}""", """{"a":1}""", """{"e":null,"a":1}""")]
    [InlineData("""[1,2]""", """{"a":"b","c":null}""", """{"a":"b"}""")]
    [InlineData("""{}""", """{"a":{"bb":{"ccc":null}}}""", """{"a":{"bb":{}}}""")]
    // evanphx/json-patch merge_test.go TestMergePatchReplaceKey, TestMergePatchIgnoresOtherValues, TestMergePatchNilDoc
    [InlineData("""{"title":"hello"}""", """{"title":"goodbye"}""", """{"title":"goodbye"}""")]
    [InlineData("""{"title":"hello","age":18}""", """{"title":"goodbye"}""", """{"title":"goodbye","age":18}""")]
    [InlineData("""{"title":null}""", """{"title":{"foo":"bar"}}""", """{"title":{"foo":"bar"}}""")]
    public void Merge_patch(string target, string patch, string result) =>
        AssertJson(result, MergePatch.Apply(JsonNode.Parse(target), JsonNode.Parse(patch)));

    [Theory]
    // RFC 6902 A.1 adding an object member
    [InlineData("""{"foo":"bar"}""", """[{"op":"add","path":"/baz","value":"qux"}]""", """{"baz":"qux","foo":"bar"}""")]
    // RFC 6902 A.2 adding an array element
    [InlineData("""{"foo":["bar","baz"]}""", """[{"op":"add","path":"/foo/1","value":"qux"}]""", """{"foo":["bar","qux","baz"]}""")]
    // RFC 6902 A.3 removing an object member
    [InlineData("""{"baz":"qux","foo":"bar"}""", """[{"op":"remove","path":"/baz"}]""", """{"foo":"bar"}""")]
    // RFC 6902 A.4 removing an array element
    [InlineData("""{"foo":["bar","qux","baz"]}""", """[{"op":"remove","path":"/foo/1"}]""", """{"foo":["bar","baz"]}""")]
    // RFC 6902 A.5 replacing a value
    [InlineData("""{"baz":"qux","foo":"bar"}""", """[{"op":"replace","path":"/baz","value":"boo"}]""", """{"baz":"boo","foo":"bar"}""")]
    // RFC 6902 A.6 moving a value
    [InlineData("""{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}""", """[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]""",
        """{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}""")]
    // RFC 6902 A.7 moving an array element
    [InlineData("""{"foo":["all","grass","cows","eat"]}""", """[{"op":"move","from":"/foo/1","path":"/foo/3"}]""", """{"foo":["all","cows","eat","grass"]}""")]
    // RFC 6902 A.8 testing a value: success
    [InlineData("""{"baz":"qux","foo":["a",2,"c"]}""", """[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}]""",
        """{"baz":"qux","foo":["a",2,"c"]}""")]
    // RFC 6902 A.10 adding a nested member object
    [InlineData("""{"foo":"bar"}""", """[{"op":"add","path":"/child","value":{"grandchild":{}}}]""", """{"foo":"bar","child":{"grandchild":{}}}""")]
    // RFC 6902 A.11 ignoring unrecognized elements
    [InlineData("""{"foo":"bar"}""", """[{"op":"add","path":"/baz","value":"qux","xyz":123}]""", """{"foo":"bar","baz":"qux"}""")]
    // RFC 6902 A.14 ~ escape ordering
    [InlineData("""{"/":9,"~1":10}""", """[{"op":"test","path":"/~01","value":10}]""", """{"/":9,"~1":10}""")]
    // RFC 6902 A.16 adding an array value
    [InlineData("""{"foo":["bar"]}""", """[{"op":"add","path":"/foo/-","value":["abc","def"]}]""", """{"foo":["bar",["abc","def"]]}""")]
    // evanphx/json-patch patch_test.go Cases
    [InlineData("""{"foo":["all","grass","cows","eat"]}""", """[{"op":"move","from":"/foo/1","path":"/foo/2"}]""", """{"foo":["all","cows","grass","eat"]}""")]
    [InlineData("""{"foo":"bar","qux":{"baz":1,"bar":null}}""", """[{"op":"remove","path":"/qux/bar"}]""", """{"foo":"bar","qux":{"baz":1}}""")]
    [InlineData("""{"foo":"bar"}""", """[{"op":"add","path":"/baz","value":null}]""", """{"baz":null,"foo":"bar"}""")]
    [InlineData("""{"foo":["bar"]}""", """[{"op":"replace","path":"/foo/0","value":"baz"}]""", """{"foo":["baz"]}""")]
    [InlineData("""{"foo":["bar","qux","baz"]}""", """[{"op":"replace","path":"/foo/1","value":"bum"}]""", """{"foo":["bar","bum","baz"]}""")]
    [InlineData("""{"foo":["bar"]}""", """[{"op":"copy","path":"/foo/0","from":"/foo"}]""", """{"foo":[["bar"],"bar"]}""")]
    [InlineData("""{"bar":[{"baz":null}]}""", """[{"op":"replace","path":"/bar/0/baz","value":1}]""", """{"bar":[{"baz":1}]}""")]
    [InlineData("""{"bar":[{"baz":1}]}""", """[{"op":"replace","path":"/bar/0/baz","value":null}]""", """{"bar":[{"baz":null}]}""")]
    [InlineData("""{"bar":[null]}""", """[{"op":"replace","path":"/bar/0","value":1}]""", """{"bar":[1]}""")]
    [InlineData("""{"bar":[1]}""", """[{"op":"replace","path":"/bar/0","value":null}]""", """{"bar":[null]}""")]
    // evanphx/json-patch patch_test.go TestCases (test operations that pass)
    [InlineData("""{"baz":"qux"}""", """[{"op":"test","path":"/foo","value":null}]""", """{"baz":"qux"}""")]
    [InlineData("""{"foo":null}""", """[{"op":"test","path":"/foo","value":null}]""", """{"foo":null}""")]
    [InlineData("""{"baz/foo":"qux"}""", """[{"op":"test","path":"/baz~1foo","value":"qux"}]""", """{"baz/foo":"qux"}""")]
    public void Json_patch(string document, string patch, string result) =>
        AssertJson(result, JsonPatch.Apply(JsonNode.Parse(document)!.AsObject(), Encoding.UTF8.GetBytes(patch)));

    [Theory]
    // RFC 6902 A.9 testing a value: error; evanphx/json-patch TestAllTest gives the text
    [InlineData("""{"baz":"qux"}""", """[{"op":"test","path":"/baz","value":"bar"}]""", "testing value /baz failed: test failed")]
    // RFC 6902 A.15 comparing strings and numbers
    [InlineData("""{"/":9,"~1":10}""", """[{"op":"test","path":"/~01","value":"10"}]""", "testing value /~01 failed: test failed")]
    // evanphx/json-patch patch_test.go TestCases (failing tests)
    [InlineData("""{"baz":"qux","foo":["a",2,"c"]}""", """[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":"c"}]""",
        "testing value /foo/1 failed: test failed")]
    [InlineData("""{"baz":"qux"}""", """[{"op":"test","path":"/foo","value":42}]""", "testing value /foo failed: test failed")]
    [InlineData("""{"foo":{}}""", """[{"op":"test","path":"/foo","value":null}]""", "testing value /foo failed: test failed")]
    [InlineData("""{"foo":[]}""", """[{"op":"test","path":"/foo","value":null}]""", "testing value /foo failed: test failed")]
    // RFC 6902 A.12 adding to a nonexistent target; evanphx/json-patch BadCases
    [InlineData("""{"foo":"bar"}""", """[{"op":"add","path":"/baz/bat","value":"qux"}]""", "add operation does not apply: doc is missing path: \"/baz/bat\": missing value")]
    [InlineData("""{"a":{"b":{"d":1}}}""", """[{"op":"remove","path":"/a/b/c"}]""", null)]
    [InlineData("""{"a":{"b":{"d":1}}}""", """[{"op":"move","from":"/a/b/c","path":"/a/b/e"}]""", null)]
    [InlineData("""{"a":{"b":[1]}}""", """[{"op":"remove","path":"/a/b/1"}]""", null)]
    [InlineData("""{"a":{"b":[1]}}""", """[{"op":"move","from":"/a/b/1","path":"/a/b/2"}]""", null)]
    [InlineData("""{"foo":"bar"}""", """[{"op":"add","pathz":"/baz","value":"qux"}]""", null)]
    [InlineData("""{"foo":["bar","baz"]}""", """[{"op":"replace","path":"/foo/2","value":"bum"}]""", null)]
    [InlineData("""{"name":{"foo":"bat","qux":"bum"}}""", """[{"op":"replace","path":"/foo/bar","value":"baz"}]""", null)]
    [InlineData("""{"foo":["bar"]}""", """[{"op":"add","path":"/foo/2","value":"bum"}]""", null)]
    [InlineData("""{"foo":[]}""", """[{"op":"remove","path":"/foo/-"}]""", null)]
    [InlineData("""{}""", """[{"op":null,"path":""}]""", null)]
    [InlineData("""{}""", """[{"op":"add","path":null}]""", null)]
    [InlineData("""{}""", """[{"op":"copy","from":null}]""", null)]
    [InlineData("""{"foo":["bar"]}""", """[{"op":"copy","path":"/foo/2","from":"/foo/0"}]""", null)]
    public void Json_patch_failures_are_422s(string document, string patch, string? cause)
    {
        var error = Assert.Throws<KubeApiException>(() => JsonPatch.Apply(JsonNode.Parse(document)!.AsObject(), Encoding.UTF8.GetBytes(patch)));

        Assert.Equal(422, error.HttpCode);
        if (cause is not null)
        {
            Assert.Equal(cause, Assert.Single(error.Status.Details!.Causes!).Message);
        }
    }

    private const string TwoContainers = """
        {"metadata":{"name":"p","labels":{"a":"1","b":"2"},"finalizers":["x","y"]},
         "spec":{"containers":[{"name":"a","image":"ia"},{"name":"b","image":"ib","args":["1","2"]}],
                 "volumes":[{"name":"v","hostPath":{"path":"/x"}}]}}
        """;

    [Theory]
    // strategicpatch patch_test.go "merge lists of maps by merge key": the item with the key is patched in place
    [InlineData("""{"spec":{"containers":[{"name":"b","image":"new"}]}}""",
        """{"spec":{"containers":[{"name":"a","image":"ia"},{"name":"b","image":"new","args":["1","2"]}]}}""")]
    // strategicpatch: an item with a new key is added after the others
    [InlineData("""{"spec":{"containers":[{"name":"c","image":"ic"}]}}""",
        """{"spec":{"containers":[{"name":"a","image":"ia"},{"name":"b","image":"ib","args":["1","2"]},{"name":"c","image":"ic"}]}}""")]
    // strategicpatch "$patch: delete" on a list item deletes the item with that key
    [InlineData("""{"spec":{"containers":[{"name":"a","$patch":"delete"}]}}""",
        """{"spec":{"containers":[{"name":"b","image":"ib","args":["1","2"]}]}}""")]
    // strategicpatch "$patch: replace" in a list replaces the whole list
    [InlineData("""{"spec":{"containers":[{"name":"c","image":"ic"},{"$patch":"replace"}]}}""",
        """{"spec":{"containers":[{"name":"c","image":"ic"}]}}""")]
    // strategicpatch: lists without a merge strategy (args) are replaced whole
    [InlineData("""{"spec":{"containers":[{"name":"b","args":["3"]}]}}""",
        """{"spec":{"containers":[{"name":"a","image":"ia"},{"name":"b","image":"ib","args":["3"]}]}}""")]
    // strategicpatch: null deletes a map key, other keys merge
    [InlineData("""{"metadata":{"labels":{"a":null,"c":"3"}}}""", """{"metadata":{"labels":{"a":null,"c":"3"}}}""")]
    // strategicpatch "$patch: replace" in a map replaces the whole map
    [InlineData("""{"metadata":{"labels":{"$patch":"replace","c":"3"}}}""", """{"metadata":{"labels":{"a":null,"b":null,"c":"3"}}}""")]
    // strategicpatch "$patch: delete" in a map leaves it empty (handleDirectiveInMergeMap)
    [InlineData("""{"metadata":{"labels":{"$patch":"delete"}}}""", """{"metadata":{"labels":{"a":null,"b":null}}}""")]
    // strategicpatch primitive list with merge strategy (finalizers): union, the new values after the old
    [InlineData("""{"metadata":{"finalizers":["y","z"]}}""", """{"metadata":{"finalizers":["x","y","z"]}}""")]
    // strategicpatch "$deleteFromPrimitiveList"
    [InlineData("""{"metadata":{"$deleteFromPrimitiveList/finalizers":["x"]}}""", """{"metadata":{"finalizers":["y"]}}""")]
    // strategicpatch "$retainKeys": keys of the item not listed are cleared before the merge
    [InlineData("""{"spec":{"volumes":[{"name":"v","$retainKeys":["name","emptyDir"],"emptyDir":{}}]}}""",
        """{"spec":{"volumes":[{"name":"v","emptyDir":{}}]}}""")]
    public void Strategic_merge_patch(string patch, string changesAsMergePatch)
    {
        var target = JsonNode.Parse(TwoContainers)!.AsObject();
        var expected = MergePatch.Apply(JsonNode.Parse(TwoContainers), JsonNode.Parse(changesAsMergePatch))!.AsObject();

        StrategicMergePatch.Apply(target, JsonNode.Parse(patch)!.AsObject(), typeof(Pod));

        AssertJson(expected.ToJsonString(), target);
    }
}
