using System.Diagnostics;
using BindingServer.TestSupport;
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

        if (DebianPackage.TryInstall("chromium") && File.Exists("/usr/bin/chromium"))
        {
            return "/usr/bin/chromium";
        }

        throw new InvalidOperationException(
            "The Swagger UI browser test needs Chromium: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH.");
    }
}

/// <summary>Swagger UI in a real headless Chromium: "Try it out" for a create and a get in each API family.</summary>
public sealed class SwaggerUiBrowserTests(ServerProcess server) : IClassFixture<ServerProcess>
{
    private static async Task<IBrowser> LaunchAsync(IPlaywright playwright) => await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = Chromium.Path,
        Headless = true,
        Args =
        [
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync",
        ],
    });

    /// <summary>Expands an operation, presses "Try it out", fills path parameters, executes, and returns the status shown.</summary>
    private static async Task<string> TryItOutAsync(IPage page, string method, string path, IDictionary<string, string>? parameters = null, string? shot = null)
    {
        var tag = page.Locator(".opblock-tag-section").Filter(new LocatorFilterOptions { Has = page.Locator($".opblock-tag[data-tag='{TagOf(path)}']") });
        if (await tag.GetAttributeAsync("class") is { } classes && !classes.Contains("is-open", StringComparison.Ordinal))
        {
            await tag.Locator(".opblock-tag").ClickAsync();
        }

        var operation = page.Locator($".opblock.opblock-{method}").Filter(new LocatorFilterOptions
        {
            Has = page.Locator($".opblock-summary-path[data-path='{path}']"),
        });
        await operation.Locator(".opblock-summary").ClickAsync();
        await operation.Locator(".try-out__btn").ClickAsync();
        foreach (var (name, value) in parameters ?? new Dictionary<string, string>())
        {
            await operation.Locator($"tr[data-param-name='{name}'] input").FillAsync(value);
        }

        await operation.Locator(".execute").ClickAsync();
        var status = operation.Locator(".live-responses-table .response .response-col_status").First;
        await status.WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        await status.ScrollIntoViewIfNeededAsync();
        if (shot is not null)
        {
            var file = Path.Combine(OfficialSchemas.RepositoryRoot(), "TestResults", shot);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = file });
        }

        var text = (await status.InnerTextAsync()).Trim();
        await operation.Locator(".opblock-summary").ClickAsync();
        return text;
    }

    private static string TagOf(string path) => path switch
    {
        _ when path.StartsWith("/v2/", StringComparison.Ordinal) => "Cloud Foundry v2",
        _ when path.StartsWith("/apis/authorization.openshift.io/v1/", StringComparison.Ordinal) => "authorization.openshift.io/v1",
        _ => "rbac.authorization.k8s.io/v1",
    };

    [Fact]
    public async Task Try_it_out_creates_and_reads_in_every_family()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await browser.NewPageAsync();
        await page.GotoAsync(new Uri(server.BaseAddress, "swagger/index.html").ToString());

        Assert.Equal("201", await TryItOutAsync(page, "post", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", shot: "swagger-try-it-out.png"));
        Assert.Equal("200", await TryItOutAsync(page, "get", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/{name}",
            new Dictionary<string, string> { ["name"] = "read-secrets-global" }));

        Assert.Equal("201", await TryItOutAsync(page, "post", "/apis/authorization.openshift.io/v1/namespaces/{namespace}/rolebindings",
            new Dictionary<string, string> { ["namespace"] = "default" }));
        Assert.Equal("200", await TryItOutAsync(page, "get", "/apis/authorization.openshift.io/v1/namespaces/{namespace}/rolebindings/{name}",
            new Dictionary<string, string> { ["namespace"] = "default", ["name"] = "viewers" }));

        // Cloud Foundry routes need a bearer token; creating an org takes an admin's (its signature is not checked here).
        await page.Locator(".btn.authorize").First.ClickAsync();
        await page.Locator(".auth-container input").First.FillAsync(
            "eyJhbGciOiJub25lIn0.eyJ1c2VyX2lkIjoidWkiLCJzY29wZSI6WyJjbG91ZF9jb250cm9sbGVyLmFkbWluIl19.c2ln");
        await page.Locator(".auth-btn-wrapper .authorize").First.ClickAsync();
        await page.Locator(".btn-done").First.ClickAsync();
        Assert.Equal("201", await TryItOutAsync(page, "post", "/v2/organizations"));
        Assert.Equal("200", await TryItOutAsync(page, "get", "/v2/service_bindings"));

        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        var created = await client.GetAsync("apis/rbac.authorization.k8s.io/v1/clusterrolebindings/read-secrets-global");
        Assert.True(created.IsSuccessStatusCode, "the binding made in the browser is not on the server");
    }
}
