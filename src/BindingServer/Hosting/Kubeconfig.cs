using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using BindingServer.Documentation;
using BindingServer.Storage;

namespace BindingServer.Hosting;

/// <summary>
/// A kubeconfig that points kubectl (or any client) at this server. Over plain HTTP it carries no credentials; over
/// HTTPS it names the server's CA and carries a client certificate (the admin's unless another user is asked for).
/// </summary>
public static class Kubeconfig
{
    private static readonly ApiDoc Doc = new("A kubeconfig pointing at this server",
        [
            new("user", "Over HTTPS: the user (CN) of the client certificate to embed; kubernetes-admin when absent."),
            new("group", "Over HTTPS: a group (O) of that certificate, repeatable; system:masters when no user is given."),
        ],
        [new(200, "The kubeconfig (YAML)", null), new(400, "user or group over plain HTTP, or a group without a user", null)]);

    public static string For(string serverUrl) => For(serverUrl, authorityPem: null, client: null);

    /// <summary>A kubeconfig for the server; over HTTPS with the CA and a fresh client certificate for the user and groups.</summary>
    public static string For(string serverUrl, ServerCertificates certificates, string user, IReadOnlyList<string> groups) =>
        certificates.Enabled
            ? For(serverUrl, certificates.AuthorityPem, certificates.IssueClientCertificate(user, groups))
            : For(serverUrl);

    public static string For(string serverUrl, string? authorityPem, (string CertificatePem, string KeyPem)? client) =>
        WithUser(serverUrl, authorityPem, client is { } pair
            ? $"\n    client-certificate-data: {Base64(pair.CertificatePem)}\n    client-key-data: {Base64(pair.KeyPem)}"
            : " {}");

    /// <summary>The kubeconfig <c>/_bindingserver/kubeconfig</c> serves by default: over HTTPS with the admin's client certificate.</summary>
    public static string ForAdmin(string serverUrl, ServerCertificates? certificates) =>
        certificates?.Enabled == true ? For(serverUrl, certificates, ServerCertificates.AdminUser, ServerCertificates.AdminGroups) : For(serverUrl);

    /// <summary>A kubeconfig whose user is a bearer token (kubectl sends it only over HTTPS).</summary>
    public static string ForToken(string serverUrl, string? authorityPem, string token) =>
        WithUser(serverUrl, authorityPem, $"\n    token: {token}");

    /// <summary>A kubeconfig that impersonates a user and groups (kubectl's <c>--as</c> and <c>--as-group</c>, kept in the file).</summary>
    public static string ForImpersonation(string serverUrl, string? authorityPem, (string CertificatePem, string KeyPem)? client, string user,
        IReadOnlyList<string> groups)
    {
        var credentials = client is { } pair
            ? $"\n    client-certificate-data: {Base64(pair.CertificatePem)}\n    client-key-data: {Base64(pair.KeyPem)}"
            : "";
        var asGroups = groups.Count == 0 ? "" : "\n    as-groups:" + string.Concat(groups.Select(g => $"\n    - {System.Text.Json.JsonSerializer.Serialize(g)}"));
        return WithUser(serverUrl, authorityPem, $"{credentials}\n    as: {System.Text.Json.JsonSerializer.Serialize(user)}{asGroups}");
    }

    private static string WithUser(string serverUrl, string? authorityPem, string credentials)
    {
        var authority = authorityPem is null ? "" : $"\n    certificate-authority-data: {Base64(authorityPem)}";
        return $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: bindingserver
              cluster:
                server: {serverUrl}{authority}
            contexts:
            - name: bindingserver
              context:
                cluster: bindingserver
                user: bindingserver
            current-context: bindingserver
            preferences: {"{}"}
            users:
            - name: bindingserver
              user:{credentials}

            """;
    }

    public static string UrlFor(ServerOptions options)
    {
        var host = options.Address is "0.0.0.0" or "::" ? "127.0.0.1" : options.Address;
        if (IPAddress.TryParse(host, out var address) && address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            host = $"[{host}]";
        }

        return $"{(options.Https ? "https" : "http")}://{host}:{options.Port}";
    }

    /// <summary>
    /// The <c>kubeconfig</c> command: prints the kubeconfig for the configured address. Over HTTPS it embeds the CA from
    /// the data folder (creating it if this is the first use, so the server started later serves the same one) and a
    /// client certificate for <c>--user</c> and <c>--group</c> (repeatable), the admin's by default.
    /// </summary>
    public static int Command(IConfiguration configuration, IEnumerable<string> args, TextWriter output, TextWriter errors)
    {
        var server = configuration.GetSection(ServerOptions.Section).Get<ServerOptions>() ?? new ServerOptions();
        var store = configuration.GetSection(StoreOptions.Section).Get<StoreOptions>() ?? new StoreOptions();
        var (user, groups) = TakeUserOptions(args);
        var problem = Refusal(server.Https, user, groups);
        if (problem is null && server.Https && store.InMemory)
        {
            problem = "with --Store:InMemory=true the server's CA lives only in its process: fetch /_bindingserver/kubeconfig from the running server instead";
        }

        if (problem is not null)
        {
            errors.WriteLine($"bindingserver kubeconfig: {problem}");
            return 2;
        }

        var certificates = new ServerCertificates(server, store);
        output.Write(For(ListenSettings.From(configuration).ClientUrl(), certificates, user ?? ServerCertificates.AdminUser, user is null ? ServerCertificates.AdminGroups : groups));
        return 0;
    }

    /// <summary><c>--user x</c> / <c>--user=x</c> and repeatable <c>--group x</c> / <c>--group=x</c>; other arguments are left alone.</summary>
    public static (string? User, List<string> Groups) TakeUserOptions(IEnumerable<string> args)
    {
        string? user = null;
        var groups = new List<string>();
        using var reading = args.GetEnumerator();
        while (reading.MoveNext())
        {
            var arg = reading.Current;
            if (arg.StartsWith("--user=", StringComparison.Ordinal))
            {
                user = arg["--user=".Length..];
            }
            else if (arg == "--user" && reading.MoveNext())
            {
                user = reading.Current;
            }
            else if (arg.StartsWith("--group=", StringComparison.Ordinal))
            {
                groups.Add(arg["--group=".Length..]);
            }
            else if (arg == "--group" && reading.MoveNext())
            {
                groups.Add(reading.Current);
            }
        }

        return (user, groups);
    }

    /// <summary>Why a user or groups cannot be honoured, or null when they can (or none were asked for).</summary>
    private static string? Refusal(bool https, string? user, List<string> groups)
    {
        if (user is null && groups.Count == 0)
        {
            return null;
        }

        if (!https)
        {
            return "a user or group needs HTTPS (--Server:Https=true), where a kubeconfig carries a client certificate; "
                + "over plain HTTP use kubectl's --as and --as-group instead";
        }

        if (string.IsNullOrEmpty(user))
        {
            return "a group needs a non-empty user to belong to";
        }

        return groups.Any(string.IsNullOrEmpty) ? "a group must not be empty" : null;
    }

    /// <summary><c>GET /_bindingserver/kubeconfig</c>: the kubeconfig for the address this request reached, handy with port 0.</summary>
    public static IEndpointRouteBuilder MapKubeconfig(this IEndpointRouteBuilder app)
    {
        app.MapGet("/_bindingserver/kubeconfig", (HttpContext context) =>
            {
                // Looked up rather than injected: a host without the certificates registered still gets the plain kubeconfig.
                var certificates = context.RequestServices.GetService<ServerCertificates>();
                var https = certificates?.Enabled == true;
                var query = context.Request.Query;
                var user = query.ContainsKey("user") ? query["user"].ToString() : null;
                var groups = query["group"].Select(g => g ?? "").ToList();
                if (Refusal(https, user, groups) is { } problem)
                {
                    return Results.Json(new JsonObject { ["message"] = problem }, statusCode: 400);
                }

                // With the path base: a tenant's kubeconfig names the tenant's root.
                var url = $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}";
                var text = https
                    ? For(url, certificates!, user ?? ServerCertificates.AdminUser, user is null ? ServerCertificates.AdminGroups : groups)
                    : For(url);
                return Results.Text(text, "application/yaml");
            })
            .WithTags("BindingServer")
            .WithMetadata(Doc);
        return app;
    }

    private static string Base64(string pem) => Convert.ToBase64String(Encoding.ASCII.GetBytes(pem));
}
