using System.Text.Json;
using System.Text.Json.Nodes;

namespace BindingServer.TestBroker;

/// <summary>Every /v2 request as it arrived, oldest first, for the tests to read back.</summary>
public sealed class RequestLog
{
    private static readonly object BodyKey = new();
    private readonly Lock _gate = new();
    private readonly List<JsonObject> _requests = [];

    /// <summary>Records the request and keeps its parsed body for the handler (the body stream can be read only once).</summary>
    public async Task RecordAsync(HttpContext context)
    {
        var request = context.Request;
        using var reader = new StreamReader(request.Body);
        var body = Parse(await reader.ReadToEndAsync(context.RequestAborted));
        context.Items[BodyKey] = body;

        var headers = new JsonObject();
        foreach (var (name, values) in request.Headers)
        {
            headers[name.ToLowerInvariant()] = values.ToString();
        }

        var entry = new JsonObject
        {
            ["method"] = request.Method,
            ["path"] = request.Path.Value,
            ["query"] = request.QueryString.HasValue ? request.QueryString.Value![1..] : "",
            ["headers"] = headers,
            ["body"] = body?.DeepClone(),
        };
        lock (_gate)
        {
            _requests.Add(entry);
        }
    }

    /// <summary>The body <see cref="RecordAsync"/> parsed: null when empty or not JSON.</summary>
    public static JsonNode? BodyOf(HttpContext context) => context.Items[BodyKey] as JsonNode;

    public JsonArray Snapshot()
    {
        lock (_gate)
        {
            return [.. _requests.Select(request => request.DeepClone())];
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _requests.Clear();
        }
    }

    private static JsonNode? Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
