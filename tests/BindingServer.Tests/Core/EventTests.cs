using System.Text.Json.Nodes;
using BindingServer.TestSupport;
using static BindingServer.Tests.Http;

namespace BindingServer.Tests.Core;

/// <summary>core/v1 events: what schedulers write and <c>kubectl describe</c> reads, with the apiserver's validation.</summary>
public sealed class EventTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private const string Events = "/api/v1/namespaces/default/events";
    private readonly HttpClient _client = factory.Client();

    private static string Scheduled(string name, string pod, string extra = "") => $$"""
        {"apiVersion":"v1","kind":"Event","metadata":{"name":"{{name}}"},
         "involvedObject":{"kind":"Pod","namespace":"default","name":"{{pod}}","apiVersion":"v1"},
         "reason":"Scheduled","message":"Successfully assigned default/{{pod}} to node-1","source":{"component":"default-scheduler"},
         "type":"Normal","firstTimestamp":"2026-01-01T00:00:00Z","lastTimestamp":"2026-01-01T00:00:00Z","count":1{{extra}}}
        """;

    [Fact]
    public async Task An_event_is_stored_with_the_fields_go_always_writes()
    {
        var (code, created) = await _client.PostAsync(Events, Scheduled("web.1", "web"));

        Assert.Equal(201, code);
        Assert.Equal(("", ""), (created["reportingComponent"].Str(), created["reportingInstance"].Str()));
        Assert.True(created.ContainsKey("eventTime") && created["eventTime"] is null);
        var checkable = created.DeepClone().AsObject();
        checkable.Remove("eventTime");
        Assert.Empty(OfficialSchemas.Validate("core", "io.k8s.api.core.v1.Event", checkable.ToJsonString()));
    }

    [Fact]
    public async Task Events_are_found_by_the_field_selector_kubectl_describe_uses()
    {
        await _client.PostAsync(Events, Scheduled("sel-a.1", "sel-a"));
        await _client.PostAsync(Events, Scheduled("sel-b.1", "sel-b"));

        var (code, list) = await _client.GetJsonAsync($"{Events}?fieldSelector=involvedObject.name%3Dsel-a,involvedObject.namespace%3Ddefault");

        Assert.Equal(200, code);
        Assert.Equal(["sel-a.1"], list["items"]!.AsArray().Select(e => e!["metadata"]!["name"].Str()));
        var (badCode, bad) = await _client.GetJsonAsync($"{Events}?fieldSelector=involvedObject.color%3Dred");
        Assert.Equal((400, "field label not supported: involvedObject.color"), (badCode, bad["message"].Str()));
    }

    [Theory]
    [InlineData(",\"eventTime\":\"2026-01-01T00:00:00.000000Z\"", "reportingComponent: Required value")]
    [InlineData(",\"eventTime\":\"2026-01-01T00:00:00.000000Z\",\"reportingComponent\":\"default-scheduler\",\"reportingInstance\":\"s-1\"", "action: Required value")]
    public async Task A_new_style_event_needs_its_reporting_fields(string extra, string detail)
    {
        var (code, status) = await _client.PostAsync(Events, Scheduled("new-" + Guid.NewGuid().ToString("N")[..6], "web", extra));

        Assert.Equal((422, "Invalid"), (code, status["reason"].Str()));
        Assert.Contains(detail, status["message"].Str());
    }

    [Fact]
    public async Task An_old_style_event_must_be_in_its_objects_namespace()
    {
        var body = Scheduled("elsewhere.1", "web").Replace("\"namespace\":\"default\"", "\"namespace\":\"kube-system\"", StringComparison.Ordinal);

        var (code, status) = await _client.PostAsync(Events, body);

        Assert.Equal(422, code);
        Assert.Equal("Event \"elsewhere.1\" is invalid: involvedObject.namespace: Invalid value: \"kube-system\": does not match event.namespace", status["message"].Str());
    }

    [Fact]
    public async Task The_event_table_has_the_printer_columns_and_counts_a_series()
    {
        await _client.PostAsync(Events, Scheduled("table.1", "table", ",\"series\":{\"count\":4,\"lastObservedTime\":\"2026-01-01T00:00:00.000000Z\"}"));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{Events}/table.1");
        request.Headers.TryAddWithoutValidation("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io");
        using var response = await _client.SendAsync(request);
        var table = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(["Last Seen", "Type", "Reason", "Object", "Subobject", "Source", "Message", "First Seen", "Count", "Name"],
            table["columnDefinitions"]!.AsArray().Select(c => c!["name"].Str()));
        var cells = table["rows"]![0]!["cells"]!.AsArray();
        Assert.Equal(("Normal", "Scheduled", "pod/table", "default-scheduler", 4, "table.1"),
            (cells[1].Str(), cells[2].Str(), cells[3].Str(), cells[5].Str(), cells[8]!.GetValue<int>(), cells[9].Str()));
    }
}
