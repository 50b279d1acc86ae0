using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using BindingServer.TestSupport;
using static BindingServer.Tests.Http;

namespace BindingServer.Tests.Core;

/// <summary>core/v1 ConfigMap, the kind docs/architecture.md adds as its example: keys, size, immutability, the table.</summary>
public sealed class ConfigMapTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private const string ConfigMaps = "/api/v1/namespaces/default/configmaps";
    private readonly HttpClient _client = factory.Client();

    [Fact]
    public async Task A_config_map_round_trips_text_and_binary_data_in_the_official_schema()
    {
        var (code, created) = await _client.PostAsync(ConfigMaps,
            """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"settings"},"data":{"mode":"fast","app.properties":"a=1\n"},"binaryData":{"blob":"AAEC"}}""");

        Assert.Equal(201, code);
        Assert.Empty(OfficialSchemas.Validate("core", "io.k8s.api.core.v1.ConfigMap", created.ToJsonString()));
        Assert.Equal("""{"app.properties":"a=1\n","mode":"fast"}""", created["data"]!.ToJsonString());
        Assert.Equal("AAEC", created["binaryData"]!["blob"].Str());
        Assert.False(created["metadata"]!.AsObject().ContainsKey("generation"));
        var (_, read) = await _client.GetJsonAsync($"{ConfigMaps}/settings");
        Assert.Equal(created.ToJsonString(), read.ToJsonString());
    }

    public static TheoryData<string, string, string> BadBodies => new()
    {
        // apimachinery's IsConfigMapKey, message for message.
        {
            """{"data":{"bad key":"v"}}""",
            "data[bad key]",
            "Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
        },
        { """{"data":{"..":"v"}}""", "data[..]", "Invalid value: \"..\": must not be '..'" },
        { """{"binaryData":{"..x":"AA=="}}""", "binaryData[..x]", "Invalid value: \"..x\": must not start with '..'" },
        { """{"data":{"k":"v"},"binaryData":{"k":"AA=="}}""", "data[k]", "Invalid value: \"k\": duplicate of key present in binaryData" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_keys_are_refused_with_the_apiservers_causes(string fields, string field, string message)
    {
        var body = JsonNode.Parse(fields)!.AsObject();
        body["metadata"] = new JsonObject { ["name"] = "bad" };
        var (code, status) = await _client.PostAsync(ConfigMaps, body.ToJsonString());

        Assert.Equal(422, code);
        Assert.Equal($"ConfigMap \"bad\" is invalid: {field}: {message}", status["message"].Str());
        Assert.Equal(field, status["details"]!["causes"]![0]!["field"].Str());
    }

    /// <summary>binaryData is a Go []byte: base64 as encoding/json reads it, with base64's own error and offset.</summary>
    [Theory]
    [InlineData("""{"k":"not base64!"}""", "illegal base64 data at input byte 3")]
    [InlineData("""{"k":"AAE"}""", "illegal base64 data at input byte 0")]
    [InlineData("""{"k":"AA==x"}""", "illegal base64 data at input byte 4")]
    [InlineData("""{"k":7}""", "json: cannot unmarshal number into Go struct field ConfigMap.binaryData of type []uint8")]
    public async Task Binary_data_that_is_not_base64_is_a_decode_error(string binaryData, string error)
    {
        var (code, status) = await _client.PostAsync(ConfigMaps, $$"""{"metadata":{"name":"b64"},"binaryData":{{binaryData}} }""");

        Assert.Equal(400, code);
        Assert.Equal($"ConfigMap in version \"v1\" cannot be handled as a ConfigMap: {error}", status["message"].Str());
    }

    [Fact]
    public async Task A_null_binary_value_is_stored_empty_and_line_breaks_in_base64_are_skipped()
    {
        var (code, created) = await _client.PostAsync(ConfigMaps, """{"metadata":{"name":"nulls"},"binaryData":{"empty":null,"wrapped":"AA\nEC"}}""");

        Assert.Equal(201, code);
        Assert.Equal("""{"empty":"","wrapped":"AAEC"}""", created["binaryData"]!.ToJsonString());
    }

    [Fact]
    public async Task More_than_a_mebibyte_of_values_is_too_long()
    {
        var (code, status) = await _client.PostAsync(ConfigMaps,
            $$"""{"metadata":{"name":"huge"},"data":{"a":"{{new string('x', 600_000)}}","b":"{{new string('y', 600_000)}}"} }""");

        Assert.Equal(422, code);
        Assert.Equal("FieldValueTooLong", status["details"]!["causes"]![0]!["reason"].Str());
        Assert.EndsWith("Too long: may not be more than 1048576 bytes", status["message"].Str());
    }

    [Fact]
    public async Task An_immutable_config_map_keeps_its_data_and_its_flag()
    {
        await _client.PostAsync(ConfigMaps, """{"metadata":{"name":"frozen"},"immutable":true,"data":{"k":"v"}}""");

        var (dataCode, data) = await _client.PatchAsync($"{ConfigMaps}/frozen", """{"data":{"k":"w"}}""", "application/merge-patch+json");
        var (flagCode, flag) = await _client.PatchAsync($"{ConfigMaps}/frozen", """{"immutable":false}""", "application/merge-patch+json");
        var (labelCode, _) = await _client.PatchAsync($"{ConfigMaps}/frozen", """{"metadata":{"labels":{"still":"editable"}}}""", "application/merge-patch+json");
        var (deleteCode, _) = await _client.DeleteJsonAsync($"{ConfigMaps}/frozen");

        Assert.Equal(422, dataCode);
        Assert.Equal("ConfigMap \"frozen\" is invalid: data: Forbidden: field is immutable when `immutable` is set", data["message"].Str());
        Assert.Equal(422, flagCode);
        Assert.Equal("ConfigMap \"frozen\" is invalid: immutable: Forbidden: field is immutable when `immutable` is set", flag["message"].Str());
        Assert.Equal(200, labelCode);
        Assert.Equal(200, deleteCode);
    }

    [Fact]
    public async Task The_table_counts_data_and_binary_data_as_kubectl_prints_it()
    {
        await _client.PostAsync(ConfigMaps, """{"metadata":{"name":"counted"},"data":{"a":"1","b":"2"},"binaryData":{"c":"AA=="}}""");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{ConfigMaps}/counted");
        request.Headers.Accept.Add(MediaTypeWithQualityHeaderValue.Parse("application/json;as=Table;v=v1;g=meta.k8s.io"));
        using var response = await _client.SendAsync(request);
        var table = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal("""["Name","Data","Age"]""", new JsonArray(table["columnDefinitions"]!.AsArray().Select(c => (JsonNode?)c!["name"].Str()).ToArray()).ToJsonString());
        Assert.Equal("counted", table["rows"]![0]!["cells"]![0].Str());
        Assert.Equal(3, table["rows"]![0]!["cells"]![1]!.GetValue<long>());
    }

    [Fact]
    public async Task Discovery_lists_configmaps_with_the_cm_short_name()
    {
        var (_, list) = await _client.GetJsonAsync("/api/v1");
        var resource = list["resources"]!.AsArray().Single(r => r!["name"].Str() == "configmaps")!;

        Assert.Equal("""["cm"]""", resource["shortNames"]!.ToJsonString());
        Assert.True(resource["namespaced"]!.GetValue<bool>());
        Assert.Equal("ConfigMap", resource["kind"].Str());
    }
}
