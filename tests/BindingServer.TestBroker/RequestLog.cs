using System.Text.Json;
using System.Text.Json.Nodes;

namespace BindingServer.TestBroker;

/// <summary>Every /v2 request as it arrived, oldest first, for the tests to read back.</summary>
public sealed class RequestLog
{
    private static readonly object BodyKey = new();
    private readonly Lock _gate = new();
    private readonly List<JsonObject> _requests = [];
    private TaskCompletionSource _added = new(TaskCreationOptions.RunContinuationsAsynchronously);

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
            _added.TrySetResult();
            _added = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
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

    /// <summary>The log once it holds more than <paramref name="count"/> requests, so a test waits for the next one to arrive.</summary>
    public async Task<JsonArray> SnapshotAfterAsync(int count, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task added;
            lock (_gate)
            {
                if (_requests.Count > count)
                {
                    return [.. _requests.Select(request => request.DeepClone())];
                }

                added = _added.Task;
            }

            await added.WaitAsync(cancellationToken);
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
