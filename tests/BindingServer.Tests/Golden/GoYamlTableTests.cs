using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Json;

namespace BindingServer.Tests.Golden;

/// <summary>
/// The YAML writer against go-yaml v2's encoder cases (yaml.v2 encode_test.go, which sigs.k8s.io/yaml wraps for kubectl
/// and the apiserver): which strings need quotes and which style, block literals, and the key order.
/// </summary>
[Trait("Category", "Fast")]
public sealed class GoYamlTableTests
{
    [Theory]
    // yaml.v2 encode_test.go marshalTests: plain strings and scalars
    [InlineData("""{"v":"hi"}""", "v: hi\n")]
    [InlineData("""{"v":true}""", "v: true\n")]
    [InlineData("""{"v":-10}""", "v: -10\n")]
    [InlineData("""{"v":0.1}""", "v: 0.1\n")]
    [InlineData("""{"v":null}""", "v: null\n")]
    [InlineData("""{"v":[]}""", "v: []\n")]
    [InlineData("""{"v":{}}""", "v: {}\n")]
    [InlineData("""{"v":"it's"}""", "v: it's\n")]
    // yaml.v2 encode_test.go: strings that would resolve to another type are double-quoted
    [InlineData("""{"v":""}""", "v: \"\"\n")]
    [InlineData("""{"v":"true"}""", "v: \"true\"\n")]
    [InlineData("""{"v":"yes"}""", "v: \"yes\"\n")]
    [InlineData("""{"v":"on"}""", "v: \"on\"\n")]
    [InlineData("""{"v":"Off"}""", "v: \"Off\"\n")]
    [InlineData("""{"v":"y"}""", "v: \"y\"\n")]
    [InlineData("""{"v":"null"}""", "v: \"null\"\n")]
    [InlineData("""{"v":"~"}""", "v: \"~\"\n")]
    [InlineData("""{"v":"1"}""", "v: \"1\"\n")]
    [InlineData("""{"v":"1.0"}""", "v: \"1.0\"\n")]
    [InlineData("""{"v":"-10"}""", "v: \"-10\"\n")]
    [InlineData("""{"v":"0x10"}""", "v: \"0x10\"\n")]
    [InlineData("""{"v":"1e3"}""", "v: \"1e3\"\n")]
    [InlineData("""{"v":".inf"}""", "v: \".inf\"\n")]
    [InlineData("""{"v":".NaN"}""", "v: \".NaN\"\n")]
    // yaml.v2 encode_test.go: base 60 floats are quoted though YAML 1.1 resolution is off for them
    [InlineData("""{"v":"1:1"}""", "v: \"1:1\"\n")]
    [InlineData("""{"v":"190:20:30.15"}""", "v: \"190:20:30.15\"\n")]
    // yaml.v2 encode_test.go: timestamps as strings are quoted
    [InlineData("""{"v":"2015-02-24T18:19:39Z"}""", "v: \"2015-02-24T18:19:39Z\"\n")]
    [InlineData("""{"v":"2015-02-24"}""", "v: \"2015-02-24\"\n")]
    // libyaml emitter analysis: what plain style cannot hold is single-quoted
    [InlineData("""{"v":" leading"}""", "v: ' leading'\n")]
    [InlineData("""{"v":"trailing "}""", "v: 'trailing '\n")]
    [InlineData("""{"v":"a: b"}""", "v: 'a: b'\n")]
    [InlineData("""{"v":"a #b"}""", "v: 'a #b'\n")]
    [InlineData("""{"v":"#x"}""", "v: '#x'\n")]
    [InlineData("""{"v":"-"}""", "v: '-'\n")]
    [InlineData("""{"v":"- a"}""", "v: '- a'\n")]
    [InlineData("""{"v":"*a"}""", "v: '*a'\n")]
    [InlineData("""{"v":"@a"}""", "v: '@a'\n")]
    [InlineData("""{"v":"'a'"}""", "v: '''a'''\n")]
    [InlineData("""{"v":"a:"}""", "v: 'a:'\n")]
    [InlineData("""{"v":"---"}""", "v: '---'\n")]
    [InlineData("""{"v":"a-b"}""", "v: a-b\n")]
    [InlineData("""{"v":"a:b"}""", "v: a:b\n")]
    // yaml.v2 encode_test.go: multi-line strings are literal blocks, chomped as they end
    [InlineData("""{"v":"a\nb\n"}""", "v: |\n  a\n  b\n")]
    [InlineData("""{"v":"a\nb"}""", "v: |-\n  a\n  b\n")]
    [InlineData("""{"v":" a\nb"}""", "v: |2-\n   a\n  b\n")]
    // yaml.v2 encode_test.go: nested maps and sequences (sequences at their key's indentation)
    [InlineData("""{"a":{"b":"c"}}""", "a:\n  b: c\n")]
    [InlineData("""{"a":["b","c"]}""", "a:\n- b\n- c\n")]
    [InlineData("""{"a":[{"b":"c","d":"e"}]}""", "a:\n- b: c\n  d: e\n")]
    [InlineData("""{"a":[["b"],["c"]]}""", "a:\n- - b\n- - c\n")]
    [InlineData("""{"a":{"b":["c"]}}""", "a:\n  b:\n  - c\n")]
    // yaml.v2 encode_test.go: keys that would resolve to another type are quoted like values
    [InlineData("""{"yes":1,"1":2}""", "\"1\": 2\n\"yes\": 1\n")]
    public void Values_are_written_as_go_yaml_writes_them(string json, string yaml) =>
        Assert.Equal(yaml, GoYaml.Write(JsonNode.Parse(json)));

    /// <summary>yaml.v2 encode_test.go TestSortedOutput: its string keys, in the order go-yaml writes them.</summary>
    [Fact]
    public void Keys_come_out_in_go_yamls_order()
    {
        string[] order =
        [
            "", ".1", ".2", ".a", "1", "2", "a!10", "a/0001", "a/002", "a/3", "a/10", "a/11", "a/0012", "a/100", "a~10",
            "ab/1", "b/1", "b/01", "b/2", "b/02", "b/3", "b/03", "b1", "b01", "b3", "c2.10", "c10.2", "d1", "d7", "d7abc",
            "d12", "d12a", "e2b", "e4b", "e21a",
        ];
        var map = new JsonObject();
        foreach (var key in order.Reverse())
        {
            map[key] = JsonNode.Parse("1");
        }

        var written = GoYaml.Write(map).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line[..line.LastIndexOf(": 1", StringComparison.Ordinal)].Trim('"'));

        Assert.Equal(order, written);
    }
}
