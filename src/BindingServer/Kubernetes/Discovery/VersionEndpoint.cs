using System.Text.Json.Nodes;
using BindingServer.Documentation;
using BindingServer.Kubernetes.Api;

namespace BindingServer.Kubernetes.Discovery;

/// <summary><c>/version</c>: the Kubernetes release the server emulates (kubectl's dispatcher picks its client from it).</summary>
public static class VersionEndpoint
{
    public const string GitVersion = "v1.32.4";

    public static JsonObject Body() => new()
    {
        ["major"] = "1",
        ["minor"] = "32",
        ["gitVersion"] = GitVersion,
        ["gitCommit"] = "59526cd4867447956156ae3a602fcbac5a6b8e1f",
        ["gitTreeState"] = "clean",
        ["buildDate"] = "2025-04-22T16:03:40Z",
        ["goVersion"] = "go1.23.6",
        ["compiler"] = "gc",
        ["platform"] = "linux/amd64",
    };

    public static IEndpointRouteBuilder MapVersion(this IEndpointRouteBuilder app)
    {
        app.MapGet("/version", (Delegate)((HttpContext c) => KubeHttp.WriteNodeAsync(c, 200, Body())))
            .WithTags("Discovery").WithMetadata(ApiDoc.Simple("The emulated Kubernetes version"));
        return app;
    }
}
