using System.Net.Http.Headers;
using Google.Protobuf;
using static BindingServer.Tests.Http;

namespace BindingServer.Tests.Discovery;

/// <summary>Protobuf request bodies, built here with Google.Protobuf's writer the way client-go encodes them.</summary>
public sealed class ProtobufTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private readonly HttpClient _client = factory.Client();

    private static byte[] Message(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        write(output);
        output.Flush();
        return buffer.ToArray();
    }

    private static void Nested(CodedOutputStream output, int field, byte[] message)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(message));
    }

    private static void Text(CodedOutputStream output, int field, string value)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteString(value);
    }

    private static byte[] Envelope(string apiVersion, string kind, byte[] raw)
    {
        var unknown = Message(o =>
        {
            Nested(o, 1, Message(t => { Text(t, 1, apiVersion); Text(t, 2, kind); }));
            Nested(o, 2, raw);
            Text(o, 3, "");
            Text(o, 4, "");
        });
        return [0x6b, 0x38, 0x73, 0x00, .. unknown];
    }

    [Fact]
    public async Task A_protobuf_cluster_role_binding_is_created_like_kubectl_create_does()
    {
        var binding = Message(o =>
        {
            Nested(o, 1, Message(m =>
            {
                Text(m, 1, "proto-crb");
                Text(m, 2, "");
                Nested(m, 11, Message(e => { Text(e, 1, "team"); Text(e, 2, "a"); }));
            }));
            Nested(o, 2, Message(s => { Text(s, 1, "User"); Text(s, 2, "rbac.authorization.k8s.io"); Text(s, 3, "alice"); }));
            Nested(o, 2, Message(s => { Text(s, 1, "ServiceAccount"); Text(s, 3, "sa1"); Text(s, 4, "default"); }));
            Nested(o, 3, Message(r => { Text(r, 1, "rbac.authorization.k8s.io"); Text(r, 2, "ClusterRole"); Text(r, 3, "view"); }));
        });
        var content = new ByteArrayContent(Envelope("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", binding));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.kubernetes.protobuf");

        var (code, body) = await _client.SendAsync(HttpMethod.Post, $"{Crbs}?fieldManager=kubectl-create&fieldValidation=Strict", content);

        Assert.Equal(201, code);
        Assert.Equal("proto-crb", body["metadata"]!["name"].Str());
        Assert.Equal("a", body["metadata"]!["labels"]!["team"].Str());
        Assert.False(body["metadata"]!.AsObject().ContainsKey("generateName"));
        Assert.Equal("""[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"alice"},{"kind":"ServiceAccount","name":"sa1","namespace":"default"}]""",
            body["subjects"]!.ToJsonString());
        Assert.Equal("view", body["roleRef"]!["name"].Str());
    }

    /// <summary>What kubectl create configmap sends: generation 0 on the wire is Go's omitted field, immutable false is a value.</summary>
    [Fact]
    public async Task A_protobuf_config_map_keeps_binary_data_and_drops_the_zero_generation()
    {
        var configMap = Message(o =>
        {
            Nested(o, 1, Message(m =>
            {
                Text(m, 1, "proto-cm");
                m.WriteTag(7, WireFormat.WireType.Varint);
                m.WriteInt64(0);
            }));
            Nested(o, 2, Message(e => { Text(e, 1, "mode"); Text(e, 2, "fast"); }));
            Nested(o, 3, Message(e =>
            {
                Text(e, 1, "blob");
                e.WriteTag(2, WireFormat.WireType.LengthDelimited);
                e.WriteBytes(ByteString.CopyFrom(0, 1, 2));
            }));
            o.WriteTag(4, WireFormat.WireType.Varint);
            o.WriteBool(false);
        });
        var content = new ByteArrayContent(Envelope("v1", "ConfigMap", configMap));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.kubernetes.protobuf");

        var (code, body) = await _client.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/configmaps", content);

        Assert.Equal(201, code);
        Assert.False(body["metadata"]!.AsObject().ContainsKey("generation"));
        Assert.Equal("fast", body["data"]!["mode"].Str());
        Assert.Equal("AAEC", body["binaryData"]!["blob"].Str());
        Assert.False(body["immutable"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_body_without_the_magic_prefix_is_a_bad_request()
    {
        var content = new ByteArrayContent([1, 2, 3, 4, 5]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.kubernetes.protobuf");

        var (code, body) = await _client.SendAsync(HttpMethod.Post, Crbs, content);

        Assert.Equal(400, code);
        Assert.Equal("BadRequest", body["reason"].Str());
    }
}
