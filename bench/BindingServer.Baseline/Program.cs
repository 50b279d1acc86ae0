using System.Buffers;
using Microsoft.Data.Sqlite;

// The limits the benchmark divides BindingServer's figures by (see bench/README.md): Kestrel with a minimal API and
// no logging, and SQLite with the server's own settings.
//   dotnet BindingServer.Baseline.dll [--urls http://127.0.0.1:0] [--rows 5000]
//   GET  /constant         a constant ClusterRoleBinding, as the server returns one (its stored bytes)
//   GET  /rows?limit=100   the first `limit` rows of a SQLite WAL database, written as a JSON array
//   POST /rows             one row (the request body) committed in its own transaction, 201 with the row
// Prints "Baseline ready: <url>" once it listens. With --rows 0 there is no database at all: that is the
// "bare dotnet app.dll" the server's start-up is compared with.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
{
    builder.WebHost.UseUrls("http://127.0.0.1:0");
}

var rowCount = builder.Configuration.GetValue("rows", 5000);
var app = builder.Build();

// Built once: the point is the cost of HTTP and Kestrel alone.
var constant = Body.Of("bench-42");
app.MapGet("/constant", () => Results.Bytes(constant, "application/json"));

if (rowCount > 0)
{
    var rows = new RowStore(rowCount);
    app.Lifetime.ApplicationStopped.Register(rows.Dispose);
    app.MapGet("/rows", (HttpContext context, int? limit) => rows.WritePageAsync(context.Response, limit ?? 100));
    app.MapPost("/rows", (HttpContext context) => rows.InsertAsync(context));
}

await app.StartAsync();
Console.WriteLine($"Baseline ready: {app.Urls.First()}");
await app.WaitForShutdownAsync();

/// <summary>A ClusterRoleBinding exactly as BindingServer serves one (580 bytes), under a given name.</summary>
internal static class Body
{
    public static byte[] Of(string name) => System.Text.Encoding.UTF8.GetBytes(Template.Replace("{name}", name, StringComparison.Ordinal));

    private const string Template =
        """{"kind":"ClusterRoleBinding","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"{name}","uid":"8bf02533-3f52-4181-8f97-17dd028e1541","resourceVersion":"164","creationTimestamp":"2026-12-04T01:55:47Z","managedFields":[{"manager":"wrk","operation":"Update","apiVersion":"rbac.authorization.k8s.io/v1","time":"2026-12-04T01:55:47Z","fieldsType":"FieldsV1","fieldsV1":{"f:roleRef":{},"f:subjects":{}}}]},"subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"u1"}],"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"}}""";
}

/// <summary>
/// Rows of (key, JSON body) in a temporary SQLite WAL database. Writes go through one connection under one lock with
/// a prepared statement, as the server's store does; reads use pooled connections, so they run side by side.
/// </summary>
internal sealed class RowStore : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "bindingserver-baseline-" + Guid.NewGuid().ToString("N"));
    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly SqliteCommand _insert;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private long _counter;

    public RowStore(int prefill)
    {
        Directory.CreateDirectory(_folder);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(_folder, "rows.db") }.ToString();
        _writer = new SqliteConnection(_connectionString);
        _writer.Open();
        using (var setup = _writer.CreateCommand())
        {
            setup.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; CREATE TABLE rows (key TEXT PRIMARY KEY, body BLOB NOT NULL)";
            setup.ExecuteNonQuery();
        }

        _insert = _writer.CreateCommand();
        _insert.CommandText = "INSERT INTO rows (key, body) VALUES ($key, $body)";
        _insert.Parameters.Add("$key", SqliteType.Text);
        _insert.Parameters.Add("$body", SqliteType.Blob);
        _insert.Prepare();

        // Filled before the ready line, in one transaction: the rows a list reads.
        using var transaction = _writer.BeginTransaction();
        _insert.Transaction = transaction;
        for (var i = 0; i < prefill; i++)
        {
            var key = $"row-{i:D6}";
            _insert.Parameters["$key"].Value = key;
            _insert.Parameters["$body"].Value = Body.Of(key);
            _insert.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    /// <summary>The first <paramref name="limit"/> rows in key order, each row's stored bytes copied into a JSON array.</summary>
    public async Task WritePageAsync(HttpResponse response, int limit)
    {
        using (var connection = new SqliteConnection(_connectionString))
        {
            connection.Open();
            using var select = connection.CreateCommand();
            select.CommandText = "SELECT body FROM rows ORDER BY key LIMIT $limit";
            select.Parameters.AddWithValue("$limit", limit);
            using var reader = select.ExecuteReader();
            response.ContentType = "application/json";
            var output = response.BodyWriter;
            output.Write("["u8);
            for (var first = true; reader.Read(); first = false)
            {
                if (!first)
                {
                    output.Write(","u8);
                }

                output.Write(reader.GetFieldValue<byte[]>(0));
            }

            output.Write("]"u8);
        }

        await response.BodyWriter.FlushAsync();
    }

    /// <summary>Commits the request body as one row in its own transaction and answers 201 with it.</summary>
    public async Task InsertAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();
        var key = $"post-{Interlocked.Increment(ref _counter):D9}";
        await _lock.WaitAsync(context.RequestAborted);
        try
        {
            using var transaction = _writer.BeginTransaction();
            _insert.Transaction = transaction;
            _insert.Parameters["$key"].Value = key;
            _insert.Parameters["$body"].Value = body;
            _insert.ExecuteNonQuery();
            transaction.Commit();
        }
        finally
        {
            _lock.Release();
        }

        context.Response.StatusCode = 201;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    public void Dispose()
    {
        _insert.Dispose();
        _writer.Dispose();
        _lock.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
