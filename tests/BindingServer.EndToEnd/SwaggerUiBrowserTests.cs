using System.Diagnostics;
using BindingServer.Testing;
using Microsoft.Playwright;

namespace BindingServer.EndToEnd;

/// <summary>Finds Debian's Chromium, installing it with apt-get when the tests run as root and it is missing.</summary>
public static class Chromium
{
    private static readonly Lazy<string> Executable = new(Locate);

    public static string Path => Executable.Value;

    private static string Locate()
    {
        var configured = Environment.GetEnvironmentVariable("CHROMIUM_PATH");
        foreach (var candidate in new[] { configured, "/usr/bin/chromium", "/usr/bin/chromium-browser" })
        {
            if (!string.IsNullOrEmpty(candidate) && File.Exists(candidate))
            {
                return candidate;
            }
        }

        if (Environment.UserName == "root" && File.Exists("/usr/bin/apt-get"))
        {
            Run("apt-get", "update -qq");
            Run("apt-get", "install -y -qq chromium");
            if (File.Exists("/usr/bin/chromium"))
            {
                return "/usr/bin/chromium";
            }
        }

        throw new InvalidOperationException(
            "The Swagger UI browser test needs Chromium: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH.");
    }

    private static void Run(string file, string arguments)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(start)!;
        process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
    }
}

/// <summary>Swagger UI in a real headless Chromium: open it, try a ClusterRoleBinding create, see the 201.</summary>
public sealed class SwaggerUiBrowserTests(ServerProcess server) : IClassFixture<ServerProcess>
{
    [Fact]
    public async Task Try_it_out_creates_a_cluster_role_binding()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium.Path,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
            ],
        });
        var page = await browser.NewPageAsync();
        await page.GotoAsync(new Uri(server.BaseAddress, "swagger/index.html").ToString());

        var operation = page.Locator(".opblock.opblock-post").Filter(new LocatorFilterOptions
        {
            Has = page.Locator(".opblock-summary-path[data-path='/apis/rbac.authorization.k8s.io/v1/clusterrolebindings']"),
        });
        await operation.Locator(".opblock-summary").ClickAsync();
        await operation.Locator(".try-out__btn").ClickAsync();
        await operation.Locator(".execute").ClickAsync();

        var status = operation.Locator(".live-responses-table .response .response-col_status").First;
        await status.WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        await status.ScrollIntoViewIfNeededAsync();
        var shot = Path.Combine(OfficialSchemas.RepositoryRoot(), "TestResults", "swagger-try-it-out.png");
        Directory.CreateDirectory(Path.GetDirectoryName(shot)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = false });

        Assert.Equal("201", (await status.InnerTextAsync()).Trim());
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        var created = await client.GetAsync("apis/rbac.authorization.k8s.io/v1/clusterrolebindings/read-secrets-global");
        Assert.True(created.IsSuccessStatusCode, "the binding made in the browser is not on the server");
    }
}
