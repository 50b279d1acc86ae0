using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace BindingServer.CloudFoundry;

/// <summary>Configuration section <c>CloudFoundry</c>.</summary>
public sealed class CloudFoundryOptions
{
    public const string Section = "CloudFoundry";

    /// <summary>When set, tokens must carry a valid HS256 signature made with this key; otherwise signatures are not checked.</summary>
    public string? TokenSigningKey { get; set; }

    /// <summary>How long the built-in broker's asynchronous operations stay "in progress" before they finish.</summary>
    public double AsyncOperationSeconds { get; set; } = 1;

    /// <summary>CC's <c>broker_client_timeout_seconds</c> (60 there): how long a broker has to answer one request.</summary>
    public double BrokerClientTimeoutSeconds { get; set; } = 10;

    /// <summary>CC's <c>broker_client_default_async_poll_interval_seconds</c> (60 there), short so tests finish fast.</summary>
    public double BrokerPollIntervalSeconds { get; set; } = 0.2;

    /// <summary>CC's <c>broker_client_max_async_poll_duration_minutes</c>: 7 days, unless a plan's <c>maximum_polling_duration</c> is shorter.</summary>
    public double BrokerMaxPollMinutes { get; set; } = 10080;

    /// <summary>The basic-auth user the built-in broker (under <c>/_bindingserver/osb</c>) accepts.</summary>
    public string BuiltInBrokerUsername { get; set; } = "bindingserver";

    /// <summary>The basic-auth password the built-in broker accepts.</summary>
    public string BuiltInBrokerPassword { get; set; } = "bindingserver";

    /// <summary>CC's <c>volume_services_enabled</c>, off by default as there: binding a volume service is then refused.</summary>
    public bool VolumeServicesEnabled { get; set; }
}

/// <summary>The caller, as Cloud Controller reads it from the bearer token.</summary>
public sealed record CfUser(string Id, IReadOnlyList<string> Scopes)
{
    public bool CanRead => Scopes.Any(s => s is "cloud_controller.read" or "cloud_controller.admin" or "cloud_controller.admin_read_only" or "cloud_controller.global_auditor");
    public bool CanWrite => Scopes.Any(s => s is "cloud_controller.write" or "cloud_controller.admin");
    public bool IsAdmin => Scopes.Contains("cloud_controller.admin");
    public bool ReadsEverything => Scopes.Any(s => s is "cloud_controller.admin" or "cloud_controller.admin_read_only" or "cloud_controller.global_auditor");
}

/// <summary>The v2 dialect's wire conventions: request ids, bearer tokens, the error body, envelopes and paging.</summary>
public static partial class CfHttp
{
    public const string ContentType = "application/json;charset=utf-8";

    [GeneratedRegex("[^A-Za-z0-9_-]")]
    private static partial Regex RequestIdJunk();

    /// <summary>X-VCAP-Request-ID: the caller's id (cleaned, cut to 255) joined to a new one with "::", or just a new one.</summary>
    public static void SetRequestId(HttpContext context)
    {
        var incoming = context.Request.Headers["X-VCAP-Request-ID"].ToString();
        if (incoming.Length == 0)
        {
            incoming = context.Request.Headers["X-Request-ID"].ToString();
        }

        var fresh = Guid.NewGuid().ToString();
        var cleaned = RequestIdJunk().Replace(incoming, "");
        context.Response.Headers["X-VCAP-Request-ID"] = cleaned.Length == 0 ? fresh : $"{cleaned[..Math.Min(255, cleaned.Length)]}::{fresh}";
        context.Response.Headers["X-Content-Type-Options"] = "nosniff";
    }

    /// <summary>Reads the bearer token: absent or not "bearer" is NotAuthenticated; anything that is not a valid JWT is InvalidAuthToken.</summary>
    public static CfUser Authenticate(HttpRequest request, CloudFoundryOptions options, TimeProvider clock)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("bearer", StringComparison.OrdinalIgnoreCase))
        {
            throw CfApiException.NotAuthenticated();
        }

        var token = header[6..].Trim();
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            throw CfApiException.InvalidAuthToken();
        }

        JsonObject claims;
        try
        {
            claims = JsonNode.Parse(Base64Url(parts[1])) as JsonObject ?? throw CfApiException.InvalidAuthToken();
        }
        catch (Exception error) when (error is FormatException or JsonException)
        {
            throw CfApiException.InvalidAuthToken();
        }

        // Without a configured key any well-formed token is taken at its word (the seed's own token expired in 2016);
        // with one, the signature and the expiry are both checked.
        if (!string.IsNullOrEmpty(options.TokenSigningKey))
        {
            var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(options.TokenSigningKey), Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"));
            byte[] actual;
            try
            {
                actual = Base64Url(parts[2]);
            }
            catch (FormatException)
            {
                throw CfApiException.InvalidAuthToken();
            }

            if (!CryptographicOperations.FixedTimeEquals(expected, actual))
            {
                throw CfApiException.InvalidAuthToken();
            }
        }

        if (!string.IsNullOrEmpty(options.TokenSigningKey) && claims["exp"] is JsonValue exp && exp.TryGetValue<long>(out var expires) &&
            expires < clock.GetUtcNow().ToUnixTimeSeconds())
        {
            throw CfApiException.InvalidAuthToken();
        }

        var id = claims["user_id"]?.GetValue<string>() ?? claims["client_id"]?.GetValue<string>() ?? throw CfApiException.InvalidAuthToken();
        var scopes = (claims["scope"] as JsonArray ?? []).Select(s => s?.GetValue<string>() ?? "").ToList();
        return new CfUser(id, scopes);
    }

    private static byte[] Base64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded + new string('=', (4 - padded.Length % 4) % 4));
    }

    public static async Task WriteAsync(HttpContext context, int status, JsonNode? body, string? location = null)
    {
        context.Response.StatusCode = status;
        if (location is not null)
        {
            context.Response.Headers.Location = location;
        }

        if (body is null)
        {
            return;
        }

        context.Response.ContentType = ContentType;
        await context.Response.WriteAsync(body.ToJsonString(Wire));
    }

    /// <summary>Ruby's JSON writes quotes, angle brackets and non-ASCII text as they are; so does the v2 dialect.</summary>
    private static readonly JsonSerializerOptions Wire = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The error body; CC's error handler appends a newline (route-not-found bodies excepted).</summary>
    public static async Task WriteErrorAsync(HttpContext context, CfApiException error)
    {
        context.Response.StatusCode = error.Status;
        context.Response.ContentType = ContentType;
        var text = error.Body().ToJsonString(Wire);
        await context.Response.WriteAsync(error.ErrorCode == "CF-NotFound" && error.Code == 10000 ? text : text + "\n");
    }

    public static void AddWarning(HttpResponse response, string warning)
    {
        var encoded = Uri.EscapeDataString(warning).Replace("%20", "+", StringComparison.Ordinal);
        var existing = response.Headers["X-Cf-Warnings"].ToString();
        response.Headers["X-Cf-Warnings"] = existing.Length == 0 ? encoded : $"{existing},{encoded}";
    }

    public static JsonObject Resource(CfRecord record, string url, JsonObject entity) => new()
    {
        ["metadata"] = new JsonObject
        {
            ["guid"] = record.Guid,
            ["url"] = url,
            ["created_at"] = record.CreatedAt!.DeepClone(),
            ["updated_at"] = record.UpdatedAt!.DeepClone(),
        },
        ["entity"] = entity,
    };

    /// <summary>Reads a JSON object body the way CC's JSON message classes do.</summary>
    public static async Task<JsonObject> ReadBodyAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        var text = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
        JsonNode? node;
        try
        {
            node = text.Trim().Length == 0 ? null : JsonNode.Parse(text);
        }
        catch (JsonException error)
        {
            throw CfApiException.MessageParse(error.Message);
        }

        return node switch
        {
            null => throw CfApiException.MessageParse("Decoded JSON cannot be nil"),
            JsonObject obj => obj,
            _ => throw CfApiException.MessageParse("Decoded JSON must be an object"),
        };
    }

    /// <summary>Membrane-style field checks: missing required fields, then wrong types, in the order given.</summary>
    public static void CheckFields(JsonObject body, params (string Name, string Type, bool Required)[] fields)
    {
        var problems = new List<string>();
        foreach (var (name, type, required) in fields)
        {
            var value = body[name];
            if (value is null)
            {
                if (required)
                {
                    problems.Add($"Field: {name}, Error: Missing field {name}");
                }

                continue;
            }

            var actual = RubyClass(value);
            var ok = type switch
            {
                "String" => actual == "String",
                "Hash" => actual == "Hash",
                "Array" => actual == "Array",
                "Bool" => actual is "TrueClass" or "FalseClass",
                "Integer" => actual == "Integer",
                _ => true,
            };
            if (!ok)
            {
                problems.Add($"Field: {name}, Error: Expected instance of {(type == "Bool" ? "TrueClass" : type)}, given an instance of {actual}");
            }
        }

        if (problems.Count > 0)
        {
            throw CfApiException.MessageParse(string.Join(", ", problems));
        }
    }

    private static string RubyClass(JsonNode value) => value switch
    {
        JsonObject => "Hash",
        JsonArray => "Array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "String",
            JsonValueKind.True => "TrueClass",
            JsonValueKind.False => "FalseClass",
            JsonValueKind.Number => v.TryGetValue<long>(out _) ? "Integer" : "Float",
            _ => "NilClass",
        },
        _ => "NilClass",
    };
}
