using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using BindingServer.Storage;
using BindingServer.TestSupport;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using YamlDotNet.RepresentationModel;

namespace BindingServer.Tests.Documentation;

/// <summary>
/// deploy/compose.yaml and deploy/nginx.conf (docs/scaling.md), read as Compose and nginx would: no Docker here, so
/// these catch a misspelt option, a wrong port or a missing health condition before anyone runs the file.
/// </summary>
public sealed partial class ComposeFileTests
{
    private static readonly string Root = OfficialSchemas.RepositoryRoot();
    private static readonly string Deploy = Path.Combine(Root, "deploy");
    private static readonly string[] Replicas = ["bindingserver-a", "bindingserver-b"];

    private static YamlMappingNode Compose()
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(Path.Combine(Deploy, "compose.yaml"));
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    private static YamlMappingNode Service(YamlMappingNode compose, string name)
    {
        var services = (YamlMappingNode)compose["services"];
        Assert.True(services.Children.ContainsKey(name), $"compose.yaml has no service {name}");
        return (YamlMappingNode)services[name];
    }

    private static string Scalar(YamlNode node) => ((YamlScalarNode)node).Value ?? "";

    private static string? Child(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(key, out var child) ? Scalar(child) : null;

    /// <summary>A service's environment, in either of Compose's forms (a map, or a list of NAME=value).</summary>
    private static Dictionary<string, string> Environment(YamlMappingNode service)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!service.Children.TryGetValue("environment", out var node))
        {
            return environment;
        }

        if (node is YamlMappingNode map)
        {
            foreach (var (name, value) in map.Children)
            {
                environment[Scalar(name)] = Scalar(value);
            }
        }
        else
        {
            foreach (var item in (YamlSequenceNode)node)
            {
                var text = Scalar(item);
                var equals = text.IndexOf('=', StringComparison.Ordinal);
                environment[equals < 0 ? text : text[..equals]] = equals < 0 ? "" : text[(equals + 1)..];
            }
        }

        return environment;
    }

    private static IEnumerable<string> Strings(YamlMappingNode service, string key) =>
        service.Children.TryGetValue(key, out var node) ? ((YamlSequenceNode)node).Select(Scalar) : [];

    /// <summary>The ENV settings of the Dockerfile's final (runtime) stage, which the replicas inherit.</summary>
    private static Dictionary<string, string> ImageEnvironment(out int exposed)
    {
        var dockerfile = File.ReadAllText(Path.Combine(Root, "Dockerfile")).Replace("\\\n", " ", StringComparison.Ordinal);
        var runtime = dockerfile[dockerfile.LastIndexOf("\nFROM ", StringComparison.Ordinal)..];
        var lines = runtime.Split('\n').Select(l => l.Trim()).ToList();
        exposed = int.Parse(lines.Single(l => l.StartsWith("EXPOSE ", StringComparison.Ordinal))["EXPOSE ".Length..].Trim(), CultureInfo.InvariantCulture);
        return lines.Where(l => l.StartsWith("ENV ", StringComparison.Ordinal))
            .SelectMany(l => l["ENV ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(pair => pair.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.Ordinal);
    }

    /// <summary>The port a replica listens on inside its container: its own Server__Port, or the image's.</summary>
    private static int ReplicaPort(YamlMappingNode replica)
    {
        var image = ImageEnvironment(out _);
        return int.Parse(Environment(replica).GetValueOrDefault("Server__Port") ?? image["Server__Port"], CultureInfo.InvariantCulture);
    }

    [Fact]
    public void It_has_postgres_two_replicas_and_a_proxy()
    {
        var compose = Compose();
        var postgres = Service(compose, "postgres");
        Assert.StartsWith("postgres:16", Child(postgres, "image"));
        var healthcheck = (YamlMappingNode)postgres["healthcheck"];
        var test = healthcheck["test"] is YamlSequenceNode parts ? string.Join(' ', parts.Select(Scalar)) : Scalar(healthcheck["test"]);
        Assert.Contains("pg_isready", test, StringComparison.Ordinal);

        // The database lives in a named volume, declared at the top level, so it outlives the container.
        var declared = ((YamlMappingNode)compose["volumes"]).Children.Keys.Select(Scalar).ToHashSet();
        var dataVolume = Strings(postgres, "volumes").Single(v => v.EndsWith(":/var/lib/postgresql/data", StringComparison.Ordinal));
        Assert.Contains(dataVolume.Split(':')[0], declared);

        foreach (var name in Replicas.Append("proxy"))
        {
            Service(compose, name);
        }
    }

    [Fact]
    public void Both_replicas_are_built_from_the_dockerfile_and_share_the_postgres_store_and_the_data_folder()
    {
        var compose = Compose();
        var postgres = Environment(Service(compose, "postgres"));
        var image = ImageEnvironment(out _);
        var mounts = new List<string>();
        foreach (var name in Replicas)
        {
            var replica = Service(compose, name);
            var environment = Environment(replica);
            Assert.Equal("PostgreSQL", environment["Store__Provider"]);
            Assert.True(new StoreOptions { Provider = environment["Store__Provider"] }.UsesPostgres);

            // Parsed as Npgsql parses it: the compose service's host name, and the database and user it creates.
            var connection = new NpgsqlConnectionStringBuilder(environment["ConnectionStrings__BindingServer"]);
            Assert.Equal("postgres", connection.Host);
            Assert.Equal(postgres["POSTGRES_DB"], connection.Database);
            Assert.Equal(postgres["POSTGRES_USER"], connection.Username);
            Assert.Equal(postgres["POSTGRES_PASSWORD"], connection.Password);

            var dependsOn = (YamlMappingNode)replica["depends_on"];
            Assert.Equal("service_healthy", Child((YamlMappingNode)dependsOn["postgres"], "condition"));

            var build = replica["build"] is YamlMappingNode b ? b : null;
            var context = build is null ? Scalar(replica["build"]) : Child(build, "context")!;
            var dockerfile = Path.Combine(Deploy, context, build is null ? "Dockerfile" : Child(build, "dockerfile") ?? "Dockerfile");
            Assert.Equal(Path.Combine(Root, "Dockerfile"), Path.GetFullPath(dockerfile));

            var dataPath = environment.GetValueOrDefault("Store__DataPath") ?? image["Store__DataPath"];
            mounts.Add(Strings(replica, "volumes").Single(v => v.EndsWith(":" + dataPath, StringComparison.Ordinal)));
        }

        // One volume for every replica's data folder: the signing key and certificates must be the same on each.
        Assert.Single(mounts.Distinct(StringComparer.Ordinal));
        Assert.Contains(mounts[0].Split(':')[0], ((YamlMappingNode)compose["volumes"]).Children.Keys.Select(Scalar));
    }

    [Fact]
    public void The_proxy_balances_over_both_replicas_on_the_port_the_image_listens_on_and_streams_watches()
    {
        var compose = Compose();
        var proxy = Service(compose, "proxy");
        Assert.StartsWith("nginx:1.27", Child(proxy, "image"));
        var mount = Strings(proxy, "volumes").Single(v => v.Contains(":/etc/nginx/nginx.conf", StringComparison.Ordinal));
        var confPath = Path.GetFullPath(Path.Combine(Deploy, mount.Split(':')[0]));
        Assert.Equal(Path.Combine(Deploy, "nginx.conf"), confPath);
        var conf = CommentPattern().Replace(File.ReadAllText(confPath), "");

        var published = Strings(proxy, "ports").Single().Split(':');
        Assert.Equal("8080", published[^2]);
        Assert.Matches($@"\blisten\s+{published[^1]}\s*;", conf);
        var dependsOn = ((YamlMappingNode)proxy["depends_on"]).Children.Keys.Select(Scalar).ToList();
        Assert.All(Replicas, r => Assert.Contains(r, dependsOn));

        _ = ImageEnvironment(out var exposed);
        var upstream = UpstreamPattern().Match(conf);
        Assert.True(upstream.Success, "nginx.conf has no upstream block");
        var servers = ServerPattern().Matches(upstream.Groups["body"].Value).Select(m => m.Groups["address"].Value).Order(StringComparer.Ordinal);
        Assert.Equal(Replicas.Select(r => $"{r}:{ReplicaPort(Service(compose, r))}"), servers);
        Assert.All(Replicas, r => Assert.Equal(exposed, ReplicaPort(Service(compose, r))));
        // No balancing method named: nginx's default, round robin.
        Assert.DoesNotMatch(@"\b(ip_hash|hash|least_conn|random)\b", upstream.Groups["body"].Value);

        Assert.Matches($@"\bproxy_pass\s+http://{Regex.Escape(upstream.Groups["name"].Value)}\s*;", conf);
        Assert.Matches(@"\bproxy_http_version\s+1\.1\s*;", conf);
        Assert.Matches(@"\bproxy_buffering\s+off\s*;", conf);
        var readTimeout = ReadTimeoutPattern().Match(conf);
        Assert.True(readTimeout.Success, "nginx.conf sets no proxy_read_timeout (the default 60 s cuts quiet watches)");
        var seconds = int.Parse(readTimeout.Groups["value"].Value, CultureInfo.InvariantCulture) * readTimeout.Groups["unit"].Value switch
        {
            "m" => 60,
            "h" => 3600,
            _ => 1,
        };
        Assert.True(seconds >= 600, $"proxy_read_timeout is {seconds} s; watches need minutes");
    }

    [Fact]
    public void Every_option_set_in_the_environment_is_one_the_server_reads()
    {
        var compose = Compose();
        var names = Replicas.SelectMany(r => Environment(Service(compose, r)).Keys).Concat(ImageEnvironment(out _).Keys).Distinct(StringComparer.Ordinal).ToList();
        Assert.Contains("ConnectionStrings__BindingServer", names);

        // The options classes, by the configuration section each declares; the binder matches names ignoring case.
        var sections = typeof(StoreOptions).Assembly.GetTypes()
            .Select(t => (Type: t, Field: t.GetField("Section", BindingFlags.Public | BindingFlags.Static)))
            .Where(s => s.Field is { IsLiteral: true })
            .ToDictionary(s => (string)s.Field!.GetRawConstantValue()!, s => s.Type, StringComparer.OrdinalIgnoreCase);
        foreach (var name in names.Where(n => n != "ConnectionStrings__BindingServer"))
        {
            var parts = name.Split("__");
            Assert.True(parts.Length == 2 && sections.ContainsKey(parts[0]), $"{name} is not in any options section");
            var property = sections[parts[0]].GetProperty(parts[1], BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            Assert.True(property is { CanWrite: true }, $"{name}: {parts[0]} has no option {parts[1]}");
        }

        // The connection string is no options property: the server must be seen to take it from ConnectionStrings.
        const string ConnectionString = "Host=postgres;Database=bindingserver";
        using var factory = new ServerFactory();
        using var configured = factory.WithWebHostBuilder(b => b.UseSetting("ConnectionStrings:BindingServer", ConnectionString));
        Assert.Equal(ConnectionString, configured.Services.GetRequiredService<IOptions<StoreOptions>>().Value.ConnectionString);
    }

    [Fact]
    public void The_scaling_guide_links_the_compose_file()
    {
        var guide = File.ReadAllText(Path.Combine(Root, "docs", "scaling.md"));
        Assert.Contains("](../deploy/compose.yaml)", guide, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"#[^\n]*")]
    private static partial Regex CommentPattern();

    [GeneratedRegex(@"\bupstream\s+(?<name>[\w-]+)\s*\{(?<body>[^}]*)\}")]
    private static partial Regex UpstreamPattern();

    [GeneratedRegex(@"(?m)^\s*server\s+(?<address>[^\s;]+)")]
    private static partial Regex ServerPattern();

    [GeneratedRegex(@"\bproxy_read_timeout\s+(?<value>\d+)(?<unit>[smh]?)\s*;")]
    private static partial Regex ReadTimeoutPattern();
}
