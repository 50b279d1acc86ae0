using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using BindingServer.Storage;
using BindingServer.Tests.CloudFoundry;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace BindingServer.Tests.Hosting;

/// <summary>
/// Malformed input on every served route, in every dialect: bodies (JSON, YAML, protobuf, wrong types, huge and deep
/// values, invalid UTF-8), query parameters, headers and path values, chosen by a seeded generator so a failure can be
/// replayed. No answer may be a 5xx (except Cloud Controller's own 500s, below) or carry a stack trace, and a refused
/// request must leave the store as it was. The seed and the number of cases per route can be raised by hand with
/// BINDINGSERVER_FUZZ_SEED and BINDINGSERVER_FUZZ_CASES; CI runs the default, bounded set.
/// </summary>
public sealed partial class BadInputFuzzTests(ServerFactory factory, ITestOutputHelper output) : IClassFixture<ServerFactory>
{
    private const string Fuzz = "fuzz";

    [Fact]
    public async Task No_route_answers_malformed_input_with_a_server_error_a_stack_trace_or_a_change()
    {
        var seed = int.Parse(Environment.GetEnvironmentVariable("BINDINGSERVER_FUZZ_SEED") ?? "20261204", CultureInfo.InvariantCulture);
        var casesPerRoute = int.Parse(Environment.GetEnvironmentVariable("BINDINGSERVER_FUZZ_CASES") ?? "24", CultureInfo.InvariantCulture);
        var random = new Random(seed);
        var store = factory.Services.GetRequiredService<ObjectStore>();
        using var kube = factory.Client();
        using var cf = factory.Authorized(Cf.Token("fuzz-admin", ["cloud_controller.admin", "cloud_controller.read", "cloud_controller.write"]));
        await CreateTargetsAsync(kube);
        var guids = await ExistingGuidsAsync(cf);
        using var changes = await store.FollowFromNowAsync(CancellationToken.None);

        var routes = factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (Method: m, Pattern: e.RoutePattern.RawText!)))
            .Where(r => !TakesNoInput.Contains($"{r.Method} {r.Pattern}"))
            .OrderBy(r => r.Pattern, StringComparer.Ordinal).ThenBy(r => r.Method, StringComparer.Ordinal)
            .ToList();
        Assert.True(routes.Count > 150, $"only {routes.Count} routes found");

        var failures = new List<(string Kind, string Detail)>();
        var (sent, accepted) = (0, 0);
        string? previous = null;
        foreach (var (method, pattern) in routes)
        {
            var dialect = DialectOf(pattern);
            for (var i = 0; i < casesPerRoute; i++)
            {
                var mutating = method is "POST" or "PUT" or "PATCH" or "DELETE";
                var body = mutating || random.Next(4) == 0 ? (method == "DELETE" ? DeleteBodies : Bodies)[i % (method == "DELETE" ? DeleteBodies : Bodies).Length] : null;
                var path = FillRoute(pattern, dialect, guids, random, garble: i % 6 == 5);
                var query = Queries(dialect)[random.Next(Queries(dialect).Length)];
                var header = Headers[random.Next(Headers.Length)];
                var label = $"{method} {path}?{Shorten(query)} [{body?.Label ?? "no body"}; {header.Name}: {Shorten(header.Value)}] (seed {seed})";

                using var request = new HttpRequestMessage(new HttpMethod(method), $"{path}?{query}");
                if (body is not null)
                {
                    request.Content = new ByteArrayContent(body.Bytes);
                    request.Content.Headers.TryAddWithoutValidation("Content-Type", dialect == Dialect.Kubernetes && method == "PATCH" ? body.PatchType : body.ContentType);
                }

                request.Headers.TryAddWithoutValidation(header.Name, header.Value);
                var late = new List<string>();
                while (changes.Live.TryRead(out var change))
                {
                    late.Add($"{change.Type} {change.Key}");
                }

                if (late.Count > 0 && previous is not null)
                {
                    failures.Add(($"late {previous}", $"the store changed after the answer ({string.Join(", ", late)}) to {previous}"));
                }

                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                using var response = await (dialect == Dialect.CloudFoundry ? cf : kube).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                sent++;
                var code = (int)response.StatusCode;
                string text;
                try
                {
                    text = IsWatch(request) && code == 200 ? "" : await response.Content.ReadAsStringAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    failures.Add(("no end", $"{code} and no end to the body within 30 s for {label}"));
                    continue;
                }
                if (code >= 500 && !IsCloudControllersOwn500(dialect, query, text) && !IsApiserversOwn500(dialect, header.Name, text))
                {
                    failures.Add(($"{code} {Kind(text)}", $"{code} for {label}: {Shorten(text)}"));
                }

                if (StackTrace().IsMatch(text))
                {
                    failures.Add(($"trace {Kind(text)}", $"stack trace for {label}: {Shorten(text)}"));
                }

                var changed = new List<string>();
                while (changes.Live.TryRead(out var change))
                {
                    changed.Add($"{change.Type} {change.Key}");
                }

                previous = code >= 400 ? $"{code} for {label}" : null;
                if (code >= 400 && changed.Count > 0)
                {
                    failures.Add(($"changed {method} {pattern}", $"{code} yet the store changed ({string.Join(", ", changed)}) for {label}"));
                }

                if (code < 400 && changed.Count > 0 && dialect == Dialect.Kubernetes)
                {
                    failures.Add(($"accepted {method} {pattern}", $"{code} and a change ({string.Join(", ", changed)}) for {label}: every body sent is malformed for a Kubernetes write"));
                }

                accepted += code < 400 && mutating ? 1 : 0;
            }
        }

        output.WriteLine($"{sent} requests on {routes.Count} routes (seed {seed}); {accepted} mutating ones accepted (Cloud Controller's lenient updates)");
        var kinds = failures.GroupBy(f => f.Kind).ToList();
        Assert.True(failures.Count == 0, $"{failures.Count} of {sent} requests, {kinds.Count} kinds of failure, the first of each:\n"
            + string.Join("\n", kinds.Select(k => $"{k.Count()}× {string.Join("\n   ", k.Select(f => f.Detail))}")));
    }

    /// <summary>Routes whose only input is the method: what they do is right whatever else is sent, and resetting would undo the targets.</summary>
    private static readonly HashSet<string> TakesNoInput = ["POST /_bindingserver/reset", "DELETE /_bindingserver/journal", "DELETE /_bindingserver/faults"];

    private enum Dialect { Kubernetes, CloudFoundry, Broker, Admin, Other }

    private static Dialect DialectOf(string pattern) =>
        pattern.StartsWith("/v2/", StringComparison.Ordinal) ? Dialect.CloudFoundry
        : pattern.StartsWith("/_bindingserver/osb", StringComparison.Ordinal) ? Dialect.Broker
        : pattern.StartsWith("/_bindingserver", StringComparison.Ordinal) ? Dialect.Admin
        : pattern.StartsWith("/api", StringComparison.Ordinal) ? Dialect.Kubernetes
        : Dialect.Other;

    /// <summary>
    /// Cloud Controller itself answers 500 UnknownError for a page, page size or inline depth that is not a positive
    /// integer, and 500 OrderByParameterInvalid for any order-by on service bindings
    /// (../shared/reference/cloudfoundry-v2.md, "List parameters"); the server does the same.
    /// </summary>
    private static bool IsCloudControllersOwn500(Dialect dialect, string query, string text) =>
        dialect == Dialect.CloudFoundry
        && ((text.Trim() == """{"error_code":"UnknownError","description":"An unknown error occurred.","code":10001}""" && BadInteger().IsMatch(query))
            || (text.Contains("\"CF-OrderByParameterInvalid\"", StringComparison.Ordinal) && query.StartsWith("order-by=", StringComparison.Ordinal)));

    [GeneratedRegex(@"(^|&)(page|results-per-page|inline-relations-depth)=(0|-\d+|[^&\d-][^&]*)(&|$)")]
    private static partial Regex BadInteger();

    /// <summary>
    /// The apiserver's own 500s:
    /// - impersonating groups, a uid or extras without a user: Go's plain-text 500 from the impersonation filter
    ///   (<c>responsewriters.InternalError</c>), on every path it guards;
    /// - a plain Go error that reaches the response writer is a Status with code 500 and no reason: a DeleteOptions
    ///   body that does not unmarshal (the delete handler passes the decoder's error on as it is), a strategic merge
    ///   patch directive it does not know, a field the apply schema does not declare, a Binding whose target does not
    ///   validate (the binding storage returns the field errors' aggregate, not an Invalid status).
    /// </summary>
    private static bool IsApiserversOwn500(Dialect dialect, string header, string text) =>
        (dialect is Dialect.Kubernetes or Dialect.Other && header.StartsWith("Impersonate-", StringComparison.Ordinal)
            && text.StartsWith("Internal Server Error: \"", StringComparison.Ordinal) && text.TrimEnd().EndsWith("without impersonating a user", StringComparison.Ordinal))
        || (dialect == Dialect.Kubernetes && PlainGoError().IsMatch(text) && !text.Contains("reason", StringComparison.Ordinal));

    [GeneratedRegex(@"""?message""?: *['""]?(json: cannot unmarshal |unknown patch type: |failed to create typed patch object |\[?target\.)")]
    private static partial Regex PlainGoError();

    [GeneratedRegex(@"\bat [\w.`<>]+\(|\.cs:line \d|\b[A-Z]\w*Exception\b")]
    private static partial Regex StackTrace();

    /// <summary>
    /// A watch that was accepted streams until its timeout; its status is what is checked. As the apiserver reads
    /// booleans, any value of <c>watch</c> but "", "0" and "false" asks for one.
    /// </summary>
    private static bool IsWatch(HttpRequestMessage request) =>
        request.RequestUri!.OriginalString.Contains("/watch/", StringComparison.Ordinal) || WatchParameter().IsMatch(request.RequestUri.OriginalString);

    [GeneratedRegex(@"[?&]watch=(?!(0|false|FALSE|False)?(&|$))")]
    private static partial Regex WatchParameter();

    /// <summary>A failure's answer without what varies between requests, so alike failures are reported once.</summary>
    private static string Kind(string text) => Variable().Replace(text.Length <= 80 ? text : text[..80], "#");

    [GeneratedRegex(@"""[^""]*""|[0-9a-f-]{36}|\d+")]
    private static partial Regex Variable();

    private static string Shorten(string text) => text.Length <= 160 ? text : text[..160] + $"…({text.Length} chars)";

    /// <summary>Objects named "fuzz" of every Kubernetes kind, in a namespace "fuzz", so item routes reach their body handling.</summary>
    private static async Task CreateTargetsAsync(HttpClient kube)
    {
        var roleRef = """ "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},"subjects":[{"kind":"User","name":"x"}] """;
        (string Path, string Body)[] targets =
        [
            ("/api/v1/namespaces", """{"metadata":{"name":"fuzz"}}"""),
            ("/api/v1/nodes", """{"metadata":{"name":"fuzz"}}"""),
            ("/api/v1/namespaces/fuzz/pods", """{"metadata":{"name":"fuzz"},"spec":{"containers":[{"name":"c","image":"i"}]}}"""),
            ("/api/v1/namespaces/fuzz/serviceaccounts", """{"metadata":{"name":"fuzz"}}"""),
            ("/apis/rbac.authorization.k8s.io/v1/clusterroles", """{"metadata":{"name":"fuzz"},"rules":[]}"""),
            ("/apis/rbac.authorization.k8s.io/v1/namespaces/fuzz/roles", """{"metadata":{"name":"fuzz"},"rules":[]}"""),
            ("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", $$"""{"metadata":{"name":"fuzz"},{{roleRef}} }"""),
            ("/apis/rbac.authorization.k8s.io/v1/namespaces/fuzz/rolebindings", $$"""{"metadata":{"name":"fuzz"},{{roleRef}} }"""),
        ];
        foreach (var (path, body) in targets)
        {
            using var response = await kube.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.True(response.IsSuccessStatusCode, $"{path}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>A guid that exists for each Cloud Foundry collection that has one, so item routes reach their body handling.</summary>
    private static async Task<Dictionary<string, string>> ExistingGuidsAsync(HttpClient cf)
    {
        var guids = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var collection in new[] { "organizations", "spaces", "apps", "service_brokers", "services", "service_plans", "service_instances", "user_provided_service_instances", "service_bindings", "service_keys", "service_plan_visibilities" })
        {
            var reply = await cf.CallAsync(HttpMethod.Get, $"/v2/{collection}");
            var first = reply.Body?["resources"]?.AsArray().FirstOrDefault();
            if (first is not null)
            {
                guids[collection] = first["metadata"]!["guid"].Str();
            }
        }

        return guids;
    }

    private static readonly string[] GarbledValues = ["%FF%FE", new string('n', 10_000), "..", "UPPER_case", "a%2Fb", "%E2%80%AE"];

    private static string FillRoute(string pattern, Dialect dialect, Dictionary<string, string> guids, Random random, bool garble)
    {
        var collection = pattern.Split('/', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1) ?? "";
        return RouteParameter().Replace(pattern, match => garble
            ? GarbledValues[random.Next(GarbledValues.Length)]
            : match.Groups[1].Value switch
            {
                "namespace" or "name" => Fuzz,
                "guid" when guids.TryGetValue(collection, out var guid) => guid,
                "version" => "v1",
                "group" => "rbac.authorization.k8s.io",
                "groupVersion" => "apis/rbac.authorization.k8s.io/v1",
                "documentName" => "v1",
                "role" => "users",
                _ => dialect == Dialect.Broker ? "fuzz-id" : Guid.NewGuid().ToString(),
            });
    }

    [GeneratedRegex(@"\{\**([a-zA-Z]+)\}")]
    private static partial Regex RouteParameter();

    private sealed record Body(string Label, string ContentType, string PatchType, byte[] Bytes);

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    /// <summary>Every body here is refused by every route that reads one; each names what is wrong with it.</summary>
    private static readonly Body[] Bodies =
    [
        new("empty", "application/json", "application/merge-patch+json", []),
        new("truncated JSON", "application/json", "application/strategic-merge-patch+json", Utf8("{\"metadata\":{\"name\":\"fuzz\",\"labels\":{\"a\":")),
        new("random bytes", "application/json", "application/json-patch+json", Enumerable.Range(0, 256).Select(i => (byte)(i * 7919 % 251)).ToArray()),
        new("wrong types", "application/json", "application/merge-patch+json",
            Utf8("""{"apiVersion":7,"kind":[],"metadata":"fuzz","rules":{"a":1},"roleRef":5,"subjects":"x","spec":false,"name":{"a":1},"space_guid":12,"service_plan_guid":[],"app_guid":{},"broker_url":3,"service_id":[],"plan_id":{}}""")),
        new("a JSON scalar", "application/json", "application/json-patch+json", Utf8("42")),
        new("invalid UTF-8 in names", "application/json", "application/strategic-merge-patch+json",
            Concat(Utf8("{\"metadata\":{\"name\":\""), [0xFF, 0xFE], Utf8("\",\"labels\":{\""), [0xC3], Utf8("\":\"x\"}},\"name\":7,\"space_guid\":\""), [0xFF], Utf8("\"}"))),
        new("deep nesting", "application/json", "application/merge-patch+json",
            Utf8("""{"metadata":{"name":"fuzz","annotations":""" + new string('[', 100_000) + new string(']', 100_000) + "}}")),
        // RBAC names are path segments with no length limit: the slash makes this one invalid for every kind.
        new("a 1 MiB name", "application/json", "application/merge-patch+json",
            Utf8($$"""{"metadata":{"name":"{{new string('n', 1 << 20)}}/n"},"name":{"too":"long"},"space_guid":1}""")),
        new("over 3 MiB", "application/json", "application/merge-patch+json",
            Utf8($$"""{"metadata":{"name":"fuzz","annotations":{"a":"{{new string('a', 3_200_000)}}"} },"name":{} }""")),
        new("numbers out of range", "application/json", "application/merge-patch+json",
            Utf8("""{"metadata":{"name":"fuzz","generation":1e999,"deletionGracePeriodSeconds":-99999999999999999999},"gracePeriodSeconds":1e999,"name":1e999,"memory":1e999}""")),
        new("kind of another group", "application/json", "application/merge-patch+json",
            Utf8("""{"apiVersion":"nope.example.com/v9","kind":"Nope","metadata":{"name":"fuzz"},"name":[]}""")),
        new("malformed YAML", "application/yaml", "application/apply-patch+yaml", Utf8("metadata:\n  name: [fuzz\n\t- : : :\n")),
        new("a YAML alias bomb", "application/yaml", "application/apply-patch+yaml",
            Utf8("a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nmetadata: *g\n")),
        new("protobuf garbage", "application/vnd.kubernetes.protobuf", "application/vnd.kubernetes.protobuf",
            Concat([0x6B, 0x38, 0x73, 0x00, 0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F], Enumerable.Range(0, 64).Select(i => (byte)(i * 31)).ToArray())),
        new("protobuf without its magic", "application/vnd.kubernetes.protobuf", "application/vnd.kubernetes.protobuf", [0x0A, 0x02, 0x76, 0x31, 0x12]),
        new("an unknown content type", "application/x-fuzz", "application/x-fuzz", Utf8("""{"metadata":{"name":"fuzz"}}""")),
    ];

    /// <summary>
    /// The bodies a delete refuses. The others are valid DeleteOptions to the apiserver too: an empty body, and an
    /// object whose fields DeleteOptions does not have (they are ignored), which would delete the targets.
    /// </summary>
    private static readonly Body[] DeleteBodies = Bodies
        .Where(b => b.Label is not ("empty" or "invalid UTF-8 in names" or "a 1 MiB name" or "kind of another group")).ToArray();

    private static string[] Queries(Dialect dialect) => dialect == Dialect.CloudFoundry ? CloudFoundryQueries : KubernetesQueries;

    private static readonly string[] KubernetesQueries =
    [
        "", "limit=abc", "limit=-1", "limit=99999999999999999999", "continue=%25%25garbage", "continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6LTF9",
        "resourceVersion=abc", "resourceVersion=-5", "resourceVersionMatch=Bogus", "resourceVersion=0&resourceVersionMatch=Exact",
        "labelSelector=a%20in%20(", "labelSelector=%FF%FE", "fieldSelector=metadata.name%3D%3D", "fieldSelector=spec.nope%3Dx",
        "timeoutSeconds=-5", "timeoutSeconds=abc", "watch=maybe", "watch=true&resourceVersion=abc", "allowWatchBookmarks=yes", "sendInitialEvents=true",
        "dryRun=Nope", "fieldManager=" + new string('m', 200), "fieldValidation=Bogus", "pretty=maybe", "propagationPolicy=Sideways",
        "gracePeriodSeconds=x", "orphanDependents=x", "force=maybe", "includeObject=Bogus", "limit=1&limit=2&limit=x", "%FF=%FE", new string('q', 100_000) + "=1",
    ];

    private static readonly string[] CloudFoundryQueries =
    [
        "", "q=name:", "q=%FF", "q=bogus>3", "q=name%20IN%20", "page=0", "page=abc", "results-per-page=0", "results-per-page=101", "results-per-page=abc",
        "order-direction=sideways", "order-by=nope", "inline-relations-depth=9", "inline-relations-depth=x", "accepts_incomplete=maybe", "async=maybe",
        "recursive=maybe", "%FF=%FE", new string('q', 100_000) + "=1",
    ];

    private static readonly (string Name, string Value)[] Headers =
    [
        ("Accept", "application/json;as=Table;v=v9;g=meta.k8s.io"), ("Accept", "application/x-garbage"), ("Accept", "*/*;q=abc"),
        ("Accept", "application/vnd.kubernetes.protobuf;stream=watch"), ("Accept", "application/yaml"), ("Accept", "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"),
        ("Impersonate-Group", "only-a-group"), ("Impersonate-User", ""), ("Impersonate-Extra-%ZZ", "x"), ("Impersonate-Uid", "u"),
        ("Authorization", "Bearer garbage.token.here"), ("Authorization", "Basic !!!"), ("Authorization", "bearer"),
        ("X-Fuzz", new string('h', 100_000)), ("If-Match", "\"garbage\""), ("Content-Encoding", "gzip"), ("Accept-Encoding", "br;q=abc"),
    ];
}
