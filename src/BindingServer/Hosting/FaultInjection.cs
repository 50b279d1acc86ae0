using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using BindingServer.CloudFoundry;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Errors;

namespace BindingServer.Hosting;

/// <summary>
/// Faults a test asks for through <c>/_bindingserver/faults</c>: for requests matching a method and a path pattern
/// (<c>*</c> matches within a segment, <c>**</c> across segments), the next <c>count</c> of them (every one when
/// absent) wait <c>latencyMs</c> and/or fail with <c>status</c>, written as the platform writes that failure. For
/// Kubernetes watches, 410 ends the stream with the apiserver's "too old resource version" ERROR event and
/// <c>closeAfterEvents</c> closes it after that many events, as a restarted apiserver or a proxy would. <c>watch</c>
/// limits a rule to watch requests (true) or to the rest (false); closeAfterEvents implies true.
/// Nothing is injected until a rule is added.
/// </summary>
public sealed class FaultInjection
{
    /// <summary>The failures each platform really produces, so a client's handling of them can be tested.</summary>
    public static readonly int[] Statuses = [409, 410, 429, 500, 503];

    /// <summary>The <see cref="HttpContext.Items"/> key under which a watch finds how many events it may still send.</summary>
    public const string WatchEventLimit = "BindingServer.WatchEventLimit";

    private readonly Lock _gate = new();
    private readonly List<Rule> _rules = [];
    private int _nextId;
    private int _ruleCount;

    public sealed class Rule
    {
        public int Id { get; init; }
        public string Method { get; init; } = "*";
        public required string Path { get; init; }
        public int? Status { get; init; }
        public int RetryAfterSeconds { get; init; } = 1;
        public int LatencyMs { get; init; }
        public int? CloseAfterEvents { get; init; }
        public bool? Watch { get; init; }
        public int? Remaining { get; set; }
        public required Regex Pattern { get; init; }

        public JsonObject ToJson() => new()
        {
            ["id"] = Id, ["method"] = Method, ["path"] = Path, ["status"] = Status, ["retryAfterSeconds"] = RetryAfterSeconds,
            ["latencyMs"] = LatencyMs, ["closeAfterEvents"] = CloseAfterEvents, ["watch"] = Watch,
            ["remaining"] = Remaining,
        };
    }

    /// <summary>Adds a rule from its JSON description; the error text says what is wrong with a bad one.</summary>
    public Rule Add(JsonObject spec)
    {
        var path = spec["path"]?.GetValue<string>() ?? throw new ArgumentException("path is required, e.g. \"/api/v1/namespaces/*/pods/**\"");
        var status = spec["status"]?.GetValue<int>();
        if (status is { } code && !Statuses.Contains(code))
        {
            throw new ArgumentException($"status {code} is not injectable; use one of {string.Join(", ", Statuses)}");
        }

        if (status == 410 && path.StartsWith("/v2", StringComparison.Ordinal))
        {
            throw new ArgumentException("status 410 is a Kubernetes watch failure; Cloud Controller v2 does not answer with it");
        }

        var latency = spec["latencyMs"]?.GetValue<int>() ?? 0;
        var closeAfter = spec["closeAfterEvents"]?.GetValue<int>();
        if (closeAfter is < 0)
        {
            throw new ArgumentException("closeAfterEvents must not be negative");
        }

        if (status is null && latency <= 0 && closeAfter is null)
        {
            throw new ArgumentException("a fault needs a status, a positive latencyMs, closeAfterEvents, or a mix");
        }

        var watch = spec["watch"]?.GetValue<bool>();
        if (closeAfter is not null)
        {
            watch = watch ?? true;
            if (watch == false)
            {
                throw new ArgumentException("closeAfterEvents applies to watches only; drop \"watch\": false");
            }
        }

        var count = spec["count"]?.GetValue<int>();
        if (count is <= 0)
        {
            throw new ArgumentException("count must be positive when given");
        }

        var pattern = "^" + Regex.Escape(path).Replace(@"\*\*", ".*", StringComparison.Ordinal).Replace(@"\*", "[^/]*", StringComparison.Ordinal) + "$";
        lock (_gate)
        {
            var rule = new Rule
            {
                Id = ++_nextId,
                Method = spec["method"]?.GetValue<string>()?.ToUpperInvariant() ?? "*",
                Path = path,
                Status = status,
                RetryAfterSeconds = spec["retryAfterSeconds"]?.GetValue<int>() ?? 1,
                LatencyMs = latency,
                CloseAfterEvents = closeAfter,
                Watch = watch,
                Remaining = count,
                Pattern = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)),
            };
            _rules.Add(rule);
            Volatile.Write(ref _ruleCount, _rules.Count);
            return rule;
        }
    }

    public JsonArray List()
    {
        lock (_gate)
        {
            return new JsonArray(_rules.Select(r => (JsonNode)r.ToJson()).ToArray());
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _rules.Clear();
            Volatile.Write(ref _ruleCount, 0);
        }
    }

    /// <summary>The first live rule the request matches, counted as used; spent rules are dropped.</summary>
    public Rule? Take(HttpRequest request)
    {
        // Most runs never add a rule: skip the lock on every request then.
        if (Volatile.Read(ref _ruleCount) == 0)
        {
            return null;
        }

        lock (_gate)
        {
            var watching = ListOptions.IsWatch(request);
            var rule = _rules.FirstOrDefault(r => (r.Method == "*" || r.Method == request.Method) && (r.Watch is null || r.Watch == watching)
                && r.Pattern.IsMatch(request.Path.Value ?? ""));
            if (rule?.Remaining is { } left)
            {
                rule.Remaining = left - 1;
                if (left == 1)
                {
                    _rules.Remove(rule);
                    Volatile.Write(ref _ruleCount, _rules.Count);
                }
            }

            return rule;
        }
    }

    /// <summary>Applies the matching rule, if any, before the request reaches its endpoint.</summary>
    public sealed class Middleware(RequestDelegate next)
    {
        /// <param name="faults">The rules of the tenant the request is for.</param>
        public async Task InvokeAsync(HttpContext context, FaultInjection faults)
        {
            if (!RequestJournal.Records(context.Request.Path) || faults.Take(context.Request) is not { } rule)
            {
                await next(context);
                return;
            }

            if (rule.LatencyMs > 0)
            {
                await Task.Delay(rule.LatencyMs, context.RequestAborted);
            }

            if (rule.Status is not { } status)
            {
                if (rule.CloseAfterEvents is { } events)
                {
                    context.Items[WatchEventLimit] = events;
                }

                await next(context);
                return;
            }

            if (status == 410 && ListOptions.IsWatch(context.Request))
            {
                await WriteWatchGoneAsync(context);
                return;
            }

            if (status == 429)
            {
                context.Response.Headers.RetryAfter = rule.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            if (context.Request.Path.StartsWithSegments("/v2", StringComparison.Ordinal))
            {
                await CfHttp.WriteErrorAsync(context, CloudFoundryFailure(status));
            }
            else
            {
                await KubeHttp.WriteStatusAsync(context, KubernetesFailure(context.Request, status, rule.RetryAfterSeconds).Status);
            }
        }
    }

    /// <summary>
    /// A watch whose resourceVersion the apiserver no longer has: the stream opens with 200 and carries one ERROR event
    /// holding a 410 Expired Status, after which informers list again.
    /// </summary>
    private static Task WriteWatchGoneAsync(HttpContext context)
    {
        var store = context.RequestServices.GetRequiredService<Storage.ObjectStore>();
        var requested = context.Request.Query["resourceVersion"].ToString();
        context.Response.StatusCode = 200;
        context.Response.ContentType = KubeHttp.Json;
        return ListHandlers.WriteTooOldAsync(context.Response, requested.Length > 0 ? requested : "0", store.Current.Revision, context.RequestAborted);
    }

    /// <summary>Cloud Controller's answers: its v2 rate limiter for 429, the unknown error otherwise.</summary>
    private static CfApiException CloudFoundryFailure(int status) => status == 429
        ? new CfApiException(429, "RateLimitV2APIExceeded", 10018, "Rate Limit of V2 API Exceeded. Please consider using the V3 API")
        : new CfApiException(status, "UnknownError", 10001, "An unknown error occurred.");

    /// <summary>The apiserver's Status for each failure, naming the resource and object the path addresses.</summary>
    private static KubeApiException KubernetesFailure(HttpRequest request, int status, int retryAfterSeconds)
    {
        switch (status)
        {
            case 409:
                var (resource, name) = Addressed(request.Path.Value ?? "");
                return StatusErrors.Conflict(resource, name, StatusErrors.ModifiedMessage);
            case 410:
                return StatusErrors.Expired(request.Query.ContainsKey("continue")
                    ? ListHandlers.ContinueTooOld
                    : "The resourceVersion for the provided list is too old.");
            case 429:
                return StatusErrors.TooManyRequests("Too many requests, please try again later.", retryAfterSeconds);
            case 503:
                return StatusErrors.ServiceUnavailable("the server is currently unable to handle the request");
            default:
                return StatusErrors.Internal("injected fault");
        }
    }

    /// <summary>The group, resource and name of <c>/api/v1/…</c> and <c>/apis/{group}/{version}/…</c> paths.</summary>
    private static (GroupResource Resource, string Name) Addressed(string path)
    {
        var segments = path.Trim('/').Split('/');
        var (group, rest) = segments switch
        {
            ["api", _, .. var tail] => ("", tail),
            ["apis", var g, _, .. var tail] => (g, tail),
            _ => ("", segments),
        };
        if (rest is ["namespaces", _, _, ..])
        {
            rest = rest[2..];
        }

        return (new GroupResource(group, rest.Length > 0 ? rest[0] : ""), rest.Length > 1 ? rest[1] : "");
    }
}
