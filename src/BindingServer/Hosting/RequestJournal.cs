using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace BindingServer.Hosting;

/// <summary>
/// What clients sent, for tests to assert on: method, path, query, status, the SHA-256 of the body and the time,
/// newest last. The admin API and Swagger UI's own requests are left out; the oldest entries go past the cap.
/// </summary>
public sealed class RequestJournal
{
    public const int Capacity = 10_000;

    /// <summary>One request as recorded: kept as plain fields and turned into JSON only when the journal is read.</summary>
    private readonly record struct Entry(DateTimeOffset Time, string Method, string? Path, string Query, int Status, string? BodyDigest);

    private readonly ConcurrentQueue<Entry> _entries = new();
    private int _count;

    public static bool Records(PathString path) =>
        !path.StartsWithSegments("/_bindingserver", StringComparison.Ordinal) && !path.StartsWithSegments("/swagger", StringComparison.Ordinal);

    public void Add(HttpContext context, string? bodyDigest, DateTimeOffset started)
    {
        _entries.Enqueue(new Entry(started, context.Request.Method, context.Request.Path.Value, context.Request.QueryString.Value ?? "",
            context.Response.StatusCode, bodyDigest));
        if (Interlocked.Increment(ref _count) > Capacity && _entries.TryDequeue(out _))
        {
            Interlocked.Decrement(ref _count);
        }
    }

    public JsonArray Entries() => new(_entries.Select(e => (JsonNode)new JsonObject
    {
        ["time"] = e.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
        ["method"] = e.Method,
        ["path"] = e.Path,
        ["query"] = e.Query,
        ["status"] = e.Status,
        ["bodySha256"] = e.BodyDigest,
    }).ToArray());

    public void Clear()
    {
        while (_entries.TryDequeue(out _))
        {
            Interlocked.Decrement(ref _count);
        }
    }

    /// <summary>Journals every request; the body is read once for its digest and rewound for the endpoint.</summary>
    public sealed class Middleware(RequestDelegate next, TimeProvider clock)
    {
        /// <param name="journal">The journal of the tenant the request is for.</param>
        public async Task InvokeAsync(HttpContext context, RequestJournal journal)
        {
            if (!Records(context.Request.Path))
            {
                await next(context);
                return;
            }

            var started = clock.GetUtcNow();
            string? digest = null;
            if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
            {
                context.Request.EnableBuffering();
                digest = Convert.ToHexStringLower(await SHA256.HashDataAsync(context.Request.Body, context.RequestAborted));
                context.Request.Body.Position = 0;
            }

            try
            {
                await next(context);
            }
            finally
            {
                journal.Add(context, digest, started);
            }
        }
    }
}
