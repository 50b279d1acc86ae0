using System.Xml.Linq;
using BindingServer.TestSupport;

namespace BindingServer.EndToEnd;

/// <summary>The BindingServer.Testing package as a user outside this repository gets it: packed, restored, used by xunit.</summary>
[Collection("Release builds")]
public sealed class TestingPackageTests(TestingPackageTests.Consumer consumer) : IClassFixture<TestingPackageTests.Consumer>
{
    [Fact]
    public async Task A_project_outside_the_repository_starts_the_server_from_the_package() =>
        await consumer.PassesAsync("ServerTests", passed: 1);

    [Fact]
    public async Task Tenants_of_one_server_are_clusters_of_their_own_on_both_transports_and_through_the_fixture() =>
        await consumer.PassesAsync("Tenant", passed: 5);

    /// <summary>The package packed once, and a test project outside the repository restored and built against it.</summary>
    public sealed class Consumer : IAsyncLifetime
    {
        private readonly string _folder = Path.Combine(Path.GetTempPath(), "bindingserver-testing-package-" + Guid.NewGuid().ToString("N"));

        // A version of its own, so the NuGet cache cannot hand back an older build of the package.
        private readonly string _version = "0.0.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", System.Globalization.CultureInfo.InvariantCulture);

        private string Project => Path.Combine(_folder, "consumer");

        public async Task InitializeAsync()
        {
            var packages = Path.Combine(_folder, "packages");
            Directory.CreateDirectory(Project);
            var library = Path.Combine(OfficialSchemas.RepositoryRoot(), "src", "BindingServer.Testing");

            await RunAsync(_folder, "pack", library, "-c", "Release", "--no-restore", "-o", packages, $"-p:PackageVersion={_version}");
            await File.WriteAllTextAsync(Path.Combine(Project, "Consumer.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <IsTestProject>true</IsTestProject>
                    <RestoreAdditionalProjectSources>{packages}</RestoreAdditionalProjectSources>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="BindingServer.Testing" Version="{_version}" />
                    <PackageReference Include="Microsoft.NET.Test.Sdk" Version="{PinnedVersion("Microsoft.NET.Test.Sdk")}" />
                    <PackageReference Include="xunit" Version="{PinnedVersion("xunit")}" />
                    <PackageReference Include="xunit.runner.visualstudio" Version="{PinnedVersion("xunit.runner.visualstudio")}" />
                  </ItemGroup>
                </Project>
                """);
            await File.WriteAllTextAsync(Path.Combine(Project, "ServerTests.cs"), ServerTests);
            await File.WriteAllTextAsync(Path.Combine(Project, "TenantTests.cs"), TenantTests);

            await RunAsync(Project, "restore", "--ignore-failed-sources");
            await RunAsync(Project, "build", "--no-restore");
        }

        /// <summary>Runs the consumer's tests whose names contain <paramref name="filter"/>: all of them pass.</summary>
        public async Task PassesAsync(string filter, int passed)
        {
            var tested = await CommandLine.RunAsync("dotnet", Project, "test", "--no-build", "--filter", $"FullyQualifiedName~{filter}");

            Assert.True(tested.ExitCode == 0, tested.Out);
            Assert.Contains($"Passed!  - Failed:     0, Passed:     {passed}", tested.Out);
        }

        private static async Task RunAsync(string folder, params string[] args)
        {
            var run = await CommandLine.RunAsync("dotnet", folder, args);
            if (run.ExitCode != 0)
            {
                throw new InvalidOperationException($"dotnet {string.Join(' ', args)} failed:\n{run.Out}");
            }
        }

        /// <summary>The repository's pinned version of a package, so the consumer restores what is already cached.</summary>
        private static string PinnedVersion(string package) =>
            XDocument.Load(Path.Combine(OfficialSchemas.RepositoryRoot(), "Directory.Packages.props")).Descendants("PackageVersion")
                .Single(p => (string?)p.Attribute("Include") == package).Attribute("Version")!.Value;

        public Task DisposeAsync()
        {
            if (Directory.Exists(_folder))
            {
                Directory.Delete(_folder, recursive: true);
            }

            var cached = Path.Combine(Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"), "bindingserver.testing", _version);
            if (Directory.Exists(cached))
            {
                Directory.Delete(cached, recursive: true);
            }

            return Task.CompletedTask;
        }

        private const string ServerTests = """
            using BindingServer.Testing;
            using k8s;
            using Xunit;

            public class ServerTests
            {
                [Fact]
                public async Task Serves_fixtures_to_KubernetesClient()
                {
                    await using var server = await TestBindingServer.StartAsync();
                    await server.LoadFixturesAsync("apiVersion: v1\nkind: Namespace\nmetadata: {name: from-package}");
                    using var client = server.CreateKubernetesClient();

                    var namespaces = await client.CoreV1.ListNamespaceAsync();

                    Assert.Contains(namespaces.Items, n => n.Metadata.Name == "from-package");
                }
            }
            """;

        private const string TenantTests = """"
            using System.Diagnostics;
            using System.Net;
            using BindingServer.Testing;
            using k8s;
            using k8s.Autorest;
            using k8s.Models;
            using Xunit;

            public class TenantTests
            {
                private static string Team(string owner) =>
                    $"apiVersion: v1\nkind: Namespace\nmetadata: {{name: team}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: settings, namespace: team}}\ndata: {{owner: {owner}}}";

                private static async Task<string> OwnerAsync(TestBindingServer tenant)
                {
                    using var client = tenant.CreateKubernetesClient();
                    return (await client.CoreV1.ReadNamespacedConfigMapAsync("settings", "team")).Data["owner"];
                }

                private static async Task<string> KubectlAsync(string kubeconfig, params string[] args)
                {
                    var start = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true };
                    start.ArgumentList.Add($"--kubeconfig={kubeconfig}");
                    foreach (var arg in args)
                    {
                        start.ArgumentList.Add(arg);
                    }

                    using var kubectl = Process.Start(start)!;
                    var output = await kubectl.StandardOutput.ReadToEndAsync();
                    var errors = await kubectl.StandardError.ReadToEndAsync();
                    await kubectl.WaitForExitAsync();
                    Assert.True(kubectl.ExitCode == 0, errors);
                    return output;
                }

                [Theory]
                [InlineData(TestServerTransport.Loopback)]
                [InlineData(TestServerTransport.InMemory)]
                public async Task Each_tenant_has_its_own_objects_reset_journal_and_faults(TestServerTransport transport)
                {
                    await using var server = await TestBindingServer.StartAsync(transport);
                    await using var first = await server.CreateTenantAsync("first", Team("first"));
                    var second = await server.CreateTenantAsync(fixtures: Team("second"));

                    Assert.Equal(("first", new Uri(server.BaseAddress, "tenants/first/")), (first.TenantId, first.BaseAddress));
                    Assert.Equal((transport, "first", "second"), (first.Transport, await OwnerAsync(first), await OwnerAsync(second)));
                    using (var root = server.CreateKubernetesClient())
                    {
                        Assert.DoesNotContain((await root.CoreV1.ListNamespaceAsync()).Items, n => n.Metadata.Name == "team");
                    }

                    await first.ClearJournalAsync();
                    await second.AddFaultAsync("""{"method":"GET","path":"/api/v1/namespaces/*/configmaps/*","status":500}""");
                    await second.ResetAsync();
                    Assert.Equal("first", await OwnerAsync(first));
                    Assert.Equal("GET", Assert.Single(await first.JournalAsync())!["method"]!.GetValue<string>());
                    await second.ClearFaultsAsync();
                    var gone = await Assert.ThrowsAsync<HttpOperationException>(() => OwnerAsync(second));
                    Assert.Equal(HttpStatusCode.NotFound, gone.Response.StatusCode);

                    if (transport == TestServerTransport.Loopback)
                    {
                        Assert.Equal("first", await KubectlAsync(first.KubeconfigPath, "get", "configmap", "settings", "-n", "team", "-o", "jsonpath={.data.owner}"));
                        Assert.Equal("namespace/default\n", await KubectlAsync(second.KubeconfigPath, "get", "namespaces", "default", "team", "-o", "name", "--ignore-not-found"));
                    }
                    else
                    {
                        Assert.Throws<InvalidOperationException>(() => first.KubeconfigPath);
                    }

                    await Assert.ThrowsAsync<InvalidOperationException>(() => first.CreateTenantAsync());
                    var refused = await Assert.ThrowsAsync<HttpRequestException>(() => server.CreateTenantAsync("first"));
                    Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);

                    // Disposing a tenant deletes it and leaves the server serving.
                    await second.DisposeAsync();
                    using var http = server.CreateClient();
                    Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"_bindingserver/tenants/{second.TenantId}")).StatusCode);
                    Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("tenants/first/api/v1/namespaces/team")).StatusCode);
                }

                [Fact]
                public async Task The_shared_server_is_one_per_transport_and_outlives_a_dispose()
                {
                    var server = await TestBindingServer.SharedAsync();
                    await server.DisposeAsync();

                    Assert.Same(server, await TestBindingServer.SharedAsync());
                    Assert.NotSame(server, await TestBindingServer.SharedAsync(TestServerTransport.InMemory));
                    using var http = server.CreateClient();
                    Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("readyz")).StatusCode);
                }
            }

            public sealed class LoopbackTenant : TenantFixture, IAsyncLifetime;

            public sealed class InMemoryTenant() : TenantFixture(Team, transport: TestServerTransport.InMemory), IAsyncLifetime
            {
                private const string Team = "apiVersion: v1\nkind: Namespace\nmetadata: {name: team}";
            }

            public class LoopbackTenantFixtureTests(LoopbackTenant fixture) : IClassFixture<LoopbackTenant>
            {
                [Fact]
                public async Task The_fixture_gives_the_class_a_tenant_of_the_shared_server()
                {
                    Assert.Equal(new Uri((await TestBindingServer.SharedAsync()).BaseAddress, $"tenants/{fixture.Tenant.TenantId}/"), fixture.Tenant.BaseAddress);
                    using var client = fixture.Tenant.CreateKubernetesClient();
                    await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "mine" } });
                }
            }

            public class InMemoryTenantFixtureTests(InMemoryTenant fixture) : IClassFixture<InMemoryTenant>
            {
                [Fact]
                public async Task The_fixture_seeds_its_tenant_on_the_in_memory_server()
                {
                    Assert.Equal(TestServerTransport.InMemory, fixture.Tenant.Transport);
                    using var client = fixture.Tenant.CreateKubernetesClient();
                    Assert.Contains((await client.CoreV1.ListNamespaceAsync()).Items, n => n.Metadata.Name == "team");
                }
            }
            """";
    }
}
