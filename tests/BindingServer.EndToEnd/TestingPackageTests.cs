using System.Xml.Linq;
using BindingServer.TestSupport;

namespace BindingServer.EndToEnd;

/// <summary>The BindingServer.Testing package as a user outside this repository gets it: packed, restored, used by xunit.</summary>
[Collection("Release builds")]
public sealed class TestingPackageTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "bindingserver-testing-package-" + Guid.NewGuid().ToString("N"));

    // A version of its own, so the NuGet cache cannot hand back an older build of the package.
    private readonly string _version = "0.0.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", System.Globalization.CultureInfo.InvariantCulture);

    public void Dispose()
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
    }

    /// <summary>The repository's pinned version of a package, so the consumer restores what is already cached.</summary>
    private static string PinnedVersion(string package) =>
        XDocument.Load(Path.Combine(OfficialSchemas.RepositoryRoot(), "Directory.Packages.props")).Descendants("PackageVersion")
            .Single(p => (string?)p.Attribute("Include") == package).Attribute("Version")!.Value;

    [Fact]
    public async Task A_project_outside_the_repository_starts_the_server_from_the_package()
    {
        var packages = Path.Combine(_folder, "packages");
        var consumer = Path.Combine(_folder, "consumer");
        Directory.CreateDirectory(consumer);
        var library = Path.Combine(OfficialSchemas.RepositoryRoot(), "src", "BindingServer.Testing");

        var packed = await CommandLine.RunAsync("dotnet", _folder, "pack", library, "-c", "Release", "--no-restore", "-o", packages, $"-p:PackageVersion={_version}");
        Assert.True(packed.ExitCode == 0, packed.Out);

        await File.WriteAllTextAsync(Path.Combine(consumer, "Consumer.csproj"), $"""
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
        await File.WriteAllTextAsync(Path.Combine(consumer, "ServerTests.cs"), """
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
            """);

        var restored = await CommandLine.RunAsync("dotnet", consumer, "restore", "--ignore-failed-sources");
        Assert.True(restored.ExitCode == 0, restored.Out);
        var tested = await CommandLine.RunAsync("dotnet", consumer, "test", "--no-restore");

        Assert.True(tested.ExitCode == 0, tested.Out);
        Assert.Contains("Passed!  - Failed:     0, Passed:     1", tested.Out);
    }
}
