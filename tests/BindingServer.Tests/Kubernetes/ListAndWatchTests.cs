using System.Text.Json.Nodes;
using BindingServer.Storage;
using BindingServer.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using static BindingServer.Tests.Http;

namespace BindingServer.Tests.Kubernetes;

/// <summary>Each test uses its own label so that objects made by other tests of the class never show up.</summary>
public sealed class ListAndWatchTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private readonly HttpClient _client = factory.Client();

    private async Task CreateAllAsync(string test, params string[] names)
    {
        foreach (var name in names)
        {
            var (code, _) = await _client.PostAsync(Crbs, Binding(name, labels: $$"""{"test":"{{test}}","tier":"{{(name.EndsWith('1') ? "one" : "other")}}"}"""));
            Assert.Equal(201, code);
        }
    }

    /// <summary>For theories sharing one set of objects: creates what the first case has not created yet.</summary>
    private async Task EnsureAllAsync(string test, params string[] names)
    {
        foreach (var name in names)
        {
            var (code, _) = await _client.PostAsync(Crbs, Binding(name, labels: $$"""{"test":"{{test}}","tier":"{{(name.EndsWith('1') ? "one" : "other")}}"}"""));
            Assert.Contains(code, new[] { 201, 409 });
        }
    }

    private static List<string> Names(JsonObject list) => list["items"]!.AsArray().Select(i => i!["metadata"]!["name"].Str()).ToList();

    [Fact]
    public async Task List_is_sorted_by_name_with_the_current_revision_and_no_item_type_meta()
    {
        await CreateAllAsync("sorted", "s-c", "s-a", "s-b");
        var (code, list) = await _client.GetJsonAsync($"{Crbs}?labelSelector=test%3Dsorted");

        Assert.Equal(200, code);
        Assert.Equal("ClusterRoleBindingList", list["kind"].Str());
        Assert.Equal("rbac.authorization.k8s.io/v1", list["apiVersion"].Str());
        Assert.Equal(["s-a", "s-b", "s-c"], Names(list));
        Assert.False(list["items"]![0]!.AsObject().ContainsKey("kind"));
        Assert.True(long.Parse(list["metadata"]!["resourceVersion"].Str()) > 0);
        Assert.Empty(OfficialSchemas.Validate("rbac", "io.k8s.api.rbac.v1.ClusterRoleBindingList", list.ToJsonString()));
    }

    [Fact]
    public async Task An_empty_list_has_an_empty_items_array()
    {
        var (_, list) = await _client.GetJsonAsync($"{Crbs}?labelSelector=test%3Dnothing-here");

        Assert.Equal("[]", list["items"]!.ToJsonString());
    }

    [Theory]
    [InlineData("test=sel,tier=one", "sel-1")]
    [InlineData("test==sel,tier!=one", "sel-2,sel-3")]
    [InlineData("test=sel,tier in (one,nope)", "sel-1")]
    [InlineData("test=sel,tier notin (one)", "sel-2,sel-3")]
    [InlineData("test=sel,tier", "sel-1,sel-2,sel-3")]
    [InlineData("test=sel,!tier", "")]
    public async Task Label_selectors_support_every_operator(string selector, string expected)
    {
        await EnsureAllAsync("sel", "sel-1", "sel-2", "sel-3");
        var (code, list) = await _client.GetJsonAsync($"{Crbs}?labelSelector={Uri.EscapeDataString(selector)}");

        Assert.Equal(200, code);
        Assert.Equal(expected, string.Join(",", Names(list)));
    }

    [Fact]
    public async Task A_malformed_label_selector_is_a_bad_request()
    {
        var (code, body) = await _client.GetJsonAsync($"{Crbs}?labelSelector={Uri.EscapeDataString("a in (b")}");

        Assert.Equal(400, code);
        Assert.Equal("BadRequest", body["reason"].Str());
    }

    [Fact]
    public async Task Field_selector_on_the_name_and_the_unsupported_field_message()
    {
        await CreateAllAsync("fields", "f-1", "f-2");
        var (_, list) = await _client.GetJsonAsync($"{Crbs}?fieldSelector=metadata.name%3Df-2");
        Assert.Equal(["f-2"], Names(list));

        var (code, body) = await _client.GetJsonAsync($"{Crbs}?fieldSelector=spec.foo%3Dx");
        Assert.Equal(400, code);
        Assert.Equal("\"spec.foo\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"", body["message"].Str());
    }

    [Fact]
    public async Task Paging_with_limit_and_continue_walks_a_consistent_snapshot()
    {
        await CreateAllAsync("page", "p-1", "p-2", "p-3", "p-4", "p-5");
        var selector = "labelSelector=test%3Dpage";
        var (_, first) = await _client.GetJsonAsync($"{Crbs}?{selector}&limit=2");
        Assert.Equal(["p-1", "p-2"], Names(first));
        var token = first["metadata"]!["continue"].Str();
        Assert.NotEmpty(token);
        Assert.False(first["metadata"]!.AsObject().ContainsKey("remainingItemCount"));

        // A change after the first page must not show in later pages of the same list.
        await _client.PostAsync(Crbs, Binding("p-3a", labels: """{"test":"page"}"""));
        await _client.DeleteJsonAsync($"{Crbs}/p-4");

        var (_, second) = await _client.GetJsonAsync($"{Crbs}?{selector}&limit=2&continue={token}");
        Assert.Equal(["p-3", "p-4"], Names(second));
        Assert.Equal(first["metadata"]!["resourceVersion"].Str(), second["metadata"]!["resourceVersion"].Str());
        var (_, third) = await _client.GetJsonAsync($"{Crbs}?{selector}&limit=2&continue={second["metadata"]!["continue"].Str()}");
        Assert.Equal(["p-5"], Names(third));
        Assert.False(third["metadata"]!.AsObject().ContainsKey("continue"));
    }

    [Fact]
    public async Task RemainingItemCount_is_given_without_selectors()
    {
        var (_, all) = await _client.GetJsonAsync(Crbs);
        var total = all["items"]!.AsArray().Count;
        if (total < 2)
        {
            await CreateAllAsync("remaining", "r-1", "r-2");
            (_, all) = await _client.GetJsonAsync(Crbs);
            total = all["items"]!.AsArray().Count;
        }

        var (_, page) = await _client.GetJsonAsync($"{Crbs}?limit=1");
        Assert.Equal(total - 1, page["metadata"]!["remainingItemCount"]!.GetValue<long>());
    }

    [Fact]
    public async Task ResourceVersion_zero_ignores_the_limit()
    {
        await CreateAllAsync("rv0", "z-1", "z-2");
        var (_, list) = await _client.GetJsonAsync($"{Crbs}?labelSelector=test%3Drv0&limit=1&resourceVersion=0");

        Assert.Equal(2, list["items"]!.AsArray().Count);
        Assert.False(list["metadata"]!.AsObject().ContainsKey("continue"));
    }

    [Fact]
    public async Task Exact_resource_version_lists_the_past()
    {
        await CreateAllAsync("exact", "e-1");
        var (_, before) = await _client.GetJsonAsync($"{Crbs}?labelSelector=test%3Dexact");
        var revision = before["metadata"]!["resourceVersion"].Str();
        await CreateAllAsync("exact", "e-2");

        var (_, past) = await _client.GetJsonAsync($"{Crbs}?labelSelector=test%3Dexact&resourceVersion={revision}&resourceVersionMatch=Exact");
        Assert.Equal(["e-1"], Names(past));
        Assert.Equal(revision, past["metadata"]!["resourceVersion"].Str());
    }

    [Theory]
    [InlineData("resourceVersionMatch=Exact", "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided")]
    [InlineData("resourceVersionMatch=Sometime&resourceVersion=1", "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Unsupported value: \"Sometime\": supported values: \"Exact\", \"NotOlderThan\", \"\"")]
    [InlineData("resourceVersionMatch=Exact&resourceVersion=0", "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"")]
    [InlineData("sendInitialEvents=true", "ListOptions.meta.k8s.io \"\" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list")]
    public async Task Invalid_list_options(string query, string message)
    {
        var (code, body) = await _client.GetJsonAsync($"{Crbs}?{query}");

        Assert.Equal(422, code);
        Assert.Equal(message, body["message"].Str());
    }

    [Fact]
    public async Task A_resource_version_from_the_future_times_out()
    {
        var (code, body) = await _client.GetJsonAsync($"{Crbs}?resourceVersion=999999999");

        Assert.Equal(504, code);
        Assert.Equal("Timeout", body["reason"].Str());
        Assert.StartsWith("Timeout: Too large resource version: 999999999, current: ", body["message"].Str());
    }

    [Fact]
    public async Task Table_output_has_the_binding_columns_and_partial_metadata_rows()
    {
        await _client.PostAsync(Crbs, Binding("table-1", labels: """{"test":"table"}""",
            subjects: """[{"kind":"User","name":"alice"},{"kind":"User","name":"bob"},{"kind":"Group","name":"devs"},{"kind":"ServiceAccount","name":"sa1","namespace":"default"}]"""));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{Crbs}?labelSelector=test%3Dtable&limit=500");
        request.Headers.TryAddWithoutValidation("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json");
        using var response = await _client.SendAsync(request);
        var table = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("Table", table["kind"].Str());
        Assert.Equal("meta.k8s.io/v1", table["apiVersion"].Str());
        Assert.Equal(["Name", "Role", "Age", "Users", "Groups", "ServiceAccounts"], table["columnDefinitions"]!.AsArray().Select(c => c!["name"].Str()));
        Assert.Equal([0, 0, 0, 1, 1, 1], table["columnDefinitions"]!.AsArray().Select(c => c!["priority"]!.GetValue<int>()));
        var row = table["rows"]![0]!;
        var cells = row["cells"]!.AsArray().Select(c => c.Str()).ToList();
        Assert.Equal("table-1", cells[0]);
        Assert.Equal("ClusterRole/view", cells[1]);
        Assert.Matches("^[0-9]+s$", cells[2]);
        Assert.Equal(["alice, bob", "devs", "default/sa1"], cells[3..]);
        Assert.Equal("PartialObjectMetadata", row["object"]!["kind"].Str());
        Assert.Equal("table", row["object"]!["metadata"]!["labels"]!["test"].Str());
    }

    [Fact]
    public async Task PartialObjectMetadataList_carries_only_metadata()
    {
        await CreateAllAsync("partial", "pm-1");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{Crbs}?labelSelector=test%3Dpartial");
        request.Headers.TryAddWithoutValidation("Accept", "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io");
        using var response = await _client.SendAsync(request);
        var list = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal("PartialObjectMetadataList", list["kind"].Str());
        var item = list["items"]![0]!.AsObject();
        Assert.Equal(["kind", "apiVersion", "metadata"], item.Select(p => p.Key));
    }

    [Fact]
    public async Task Watch_from_a_revision_streams_changes_in_order()
    {
        var (_, start) = await _client.GetJsonAsync($"{Crbs}?labelSelector=test%3Dwatch");
        var revision = start["metadata"]!["resourceVersion"].Str();
        using var watch = await OpenWatchAsync($"{Crbs}?watch=true&resourceVersion={revision}&labelSelector=test%3Dwatch&timeoutSeconds=30");

        var (postCode, posted) = await _client.PostAsync(Crbs, Binding("w-1", labels: """{"test":"watch"}"""));
        Assert.True(postCode == 201, posted.Compact() + " rv " + revision);
        await _client.PatchAsync($"{Crbs}/w-1", """{"subjects":[{"kind":"User","name":"bob"}]}""", "application/merge-patch+json");
        await _client.DeleteJsonAsync($"{Crbs}/w-1");

        var events = new List<JsonNode>();
        for (var i = 0; i < 3; i++)
        {
            var line = await watch.ReadLineAsync();
            Assert.True(line is not null, $"stream ended after {events.Count} events: {string.Join(" ", events.Select(e => e["type"]))}");
            events.Add(JsonNode.Parse(line)!);
        }

        Assert.Equal(["ADDED", "MODIFIED", "DELETED"], events.Select(e => e["type"].Str()));
        Assert.All(events, e => Assert.Equal("ClusterRoleBinding", e["object"]!["kind"].Str()));
        var versions = events.Select(e => long.Parse(e["object"]!["metadata"]!["resourceVersion"].Str())).ToList();
        Assert.Equal(versions.Order(), versions);
        Assert.Equal(versions.Distinct().Count(), versions.Count);
        Assert.Empty(OfficialSchemas.Validate("rbac", "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent", events[0].ToJsonString()));
    }

    [Fact]
    public async Task Watch_without_a_revision_starts_with_synthetic_ADDED_events()
    {
        await CreateAllAsync("initial", "i-1", "i-2");
        using var watch = await OpenWatchAsync($"{Crbs}?watch=1&labelSelector=test%3Dinitial&timeoutSeconds=30");

        var first = JsonNode.Parse((await watch.ReadLineAsync())!)!;
        var second = JsonNode.Parse((await watch.ReadLineAsync())!)!;
        Assert.Equal(("ADDED", "i-1"), (first["type"].Str(), first["object"]!["metadata"]!["name"].Str()));
        Assert.Equal(("ADDED", "i-2"), (second["type"].Str(), second["object"]!["metadata"]!["name"].Str()));
    }

    [Fact]
    public async Task Watch_on_a_name_via_field_selector_only_sees_that_object()
    {
        await CreateAllAsync("named", "n-1", "n-2");
        using var watch = await OpenWatchAsync($"{Crbs}?watch=true&resourceVersion=0&fieldSelector=metadata.name%3Dn-2&timeoutSeconds=30");

        var initial = JsonNode.Parse((await watch.ReadLineAsync())!)!;
        Assert.Equal("n-2", initial["object"]!["metadata"]!["name"].Str());
        await _client.DeleteJsonAsync($"{Crbs}/n-1");
        await _client.DeleteJsonAsync($"{Crbs}/n-2");
        var deleted = JsonNode.Parse((await watch.ReadLineAsync())!)!;
        Assert.Equal(("DELETED", "n-2"), (deleted["type"].Str(), deleted["object"]!["metadata"]!["name"].Str()));
    }

    [Fact]
    public async Task Watch_ends_cleanly_after_timeoutSeconds()
    {
        using var watch = await OpenWatchAsync($"{Crbs}?watch=true&labelSelector=test%3Dquiet&timeoutSeconds=1");

        Assert.Null(await watch.ReadLineAsync());
    }

    [Fact]
    public async Task Watch_with_a_table_accept_sends_one_row_tables_headers_first()
    {
        await CreateAllAsync("tablewatch", "tw-1", "tw-2");
        using var watch = await OpenWatchAsync($"{Crbs}?watch=true&resourceVersion=0&labelSelector=test%3Dtablewatch&timeoutSeconds=30",
            "application/json;as=Table;v=v1;g=meta.k8s.io");

        var first = JsonNode.Parse((await watch.ReadLineAsync())!)!;
        var second = JsonNode.Parse((await watch.ReadLineAsync())!)!;
        Assert.Equal("Table", first["object"]!["kind"].Str());
        Assert.Single(first["object"]!["rows"]!.AsArray());
        Assert.NotNull(first["object"]!["columnDefinitions"]);
        Assert.Null(second["object"]!["columnDefinitions"]);
    }

    [Fact]
    public async Task Watch_from_a_compacted_revision_gets_one_Expired_error_event()
    {
        await CreateAllAsync("compacted", "c-1", "c-2", "c-3");
        var store = factory.Services.GetRequiredService<ObjectStore>();
        await store.CompactAsync(store.Current.Revision - 1, CancellationToken.None);

        using var watch = await OpenWatchAsync($"{Crbs}?watch=true&resourceVersion=1&timeoutSeconds=30");
        var error = JsonNode.Parse((await watch.ReadLineAsync())!)!;

        Assert.Equal("ERROR", error["type"].Str());
        Assert.Equal("Expired", error["object"]!["reason"].Str());
        Assert.Equal(410, error["object"]!["code"]!.GetValue<int>());
        Assert.StartsWith("too old resource version: 1 (", error["object"]!["message"].Str());
        Assert.Null(await watch.ReadLineAsync());
    }

    [Fact]
    public async Task Continue_tokens_expire_with_compaction()
    {
        await CreateAllAsync("expiring", "x-1", "x-2");
        var (_, first) = await _client.GetJsonAsync($"{Crbs}?labelSelector=test%3Dexpiring&limit=1");
        await CreateAllAsync("expiring-later", "y-1");
        var store = factory.Services.GetRequiredService<ObjectStore>();
        await store.CompactAsync(store.Current.Revision, CancellationToken.None);

        var (code, body) = await _client.GetJsonAsync($"{Crbs}?labelSelector=test%3Dexpiring&limit=1&continue={first["metadata"]!["continue"].Str()}");

        Assert.Equal(410, code);
        Assert.Equal("Expired", body["reason"].Str());
        Assert.StartsWith("The provided continue parameter is too old to display a consistent list result.", body["message"].Str());
    }

    [Fact]
    public async Task A_garbled_continue_token_is_a_bad_request()
    {
        var (code, body) = await _client.GetJsonAsync($"{Crbs}?limit=1&continue=not-a-token");

        Assert.Equal(400, code);
        Assert.StartsWith("invalid continue token", body["message"].Str());
    }

    [Fact]
    public async Task SendInitialEvents_ends_the_initial_state_with_an_annotated_bookmark()
    {
        await CreateAllAsync("initial-events", "ie-1");
        using var watch = await OpenWatchAsync(
            $"{Crbs}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&labelSelector=test%3Dinitial-events&timeoutSeconds=30");

        var added = JsonNode.Parse((await watch.ReadLineAsync())!)!;
        var bookmark = JsonNode.Parse((await watch.ReadLineAsync())!)!;
        Assert.Equal("ADDED", added["type"].Str());
        Assert.Equal("BOOKMARK", bookmark["type"].Str());
        Assert.Equal("true", bookmark["object"]!["metadata"]!["annotations"]!["k8s.io/initial-events-end"].Str());
        Assert.NotEmpty(bookmark["object"]!["metadata"]!["resourceVersion"].Str());
    }

    [Fact]
    public async Task SendInitialEvents_requires_NotOlderThan()
    {
        var (code, body) = await _client.GetJsonAsync($"{Crbs}?watch=true&sendInitialEvents=true");

        Assert.Equal(422, code);
        Assert.Equal("ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
            body["message"].Str());
    }

    private async Task<StreamReader> OpenWatchAsync(string url, string? accept = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(200, (int)response.StatusCode);
        return new StreamReader(await response.Content.ReadAsStreamAsync());
    }
}
