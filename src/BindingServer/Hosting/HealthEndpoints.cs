using System.Text;
using BindingServer.Documentation;
using BindingServer.Storage;

namespace BindingServer.Hosting;

/// <summary>
/// <c>/healthz</c>, <c>/livez</c> and <c>/readyz</c> as the apiserver answers them: plain-text <c>ok</c>, or one
/// <c>[+]check ok</c> line per check with <c>?verbose</c>.
/// </summary>
public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        foreach (var name in new[] { "healthz", "livez", "readyz" })
        {
            app.MapGet($"/{name}", (HttpContext context, ObjectStore store) => WriteAsync(context, name, store))
                .WithTags("Health").WithMetadata(ApiDoc.Simple($"Health as the apiserver's /{name} answers it: plain-text ok"));
        }

        return app;
    }

    private static async Task WriteAsync(HttpContext context, string name, ObjectStore store)
    {
        var checks = new (string Name, bool Ok)[] { ("ping", true), ("store", store.Current.Revision > 0) };
        var excluded = context.Request.Query["exclude"].ToHashSet(StringComparer.Ordinal);
        var healthy = checks.All(c => c.Ok || excluded.Contains(c.Name));
        var text = new StringBuilder();
        if (context.Request.Query.ContainsKey("verbose") || !healthy)
        {
            foreach (var (check, ok) in checks)
            {
                text.Append(excluded.Contains(check) ? $"[+]{check} excluded: ok\n" : ok ? $"[+]{check} ok\n" : $"[-]{check} failed: reason withheld\n");
            }

            text.Append(healthy ? $"{name} check passed\n" : $"{name} check failed\n");
        }
        else
        {
            text.Append("ok");
        }

        context.Response.StatusCode = healthy ? 200 : 500;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers["X-Content-Type-Options"] = "nosniff";
        await context.Response.WriteAsync(text.ToString());
    }

    /// <summary>For container HEALTHCHECKs: asks a running server's <c>/readyz</c> and turns the answer into an exit code.</summary>
    public static async Task<int> ProbeAsync(string serverUrl)
    {
        // The probe asks this machine's own server whether it is ready, sends nothing secret and reads only the status
        // code, so over HTTPS it accepts the server's certificate (an in-memory store's CA exists nowhere else).
#pragma warning disable CA5359
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
#pragma warning restore CA5359
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using var response = await client.GetAsync(new Uri($"{serverUrl}/readyz"));
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (HttpRequestException)
        {
            return 1;
        }
        catch (TaskCanceledException)
        {
            return 1;
        }
    }
}
