using System.Text.Json.Nodes;

namespace BindingServer.Documentation;

/// <summary>A query parameter an operation takes.</summary>
public sealed record ApiParam(string Name, string Description, string Type = "string");

/// <summary>One documented answer: status, description and the schema of its body (null for none).</summary>
public sealed record ApiResponse(int Code, string Description, string? Schema);

/// <summary>
/// What the Swagger document says about one route, attached to the endpoint where it is mapped so the document is
/// generated from the same declarations that serve requests.
/// </summary>
public sealed record ApiDoc(string Summary, IReadOnlyList<ApiParam> Query, IReadOnlyList<ApiResponse> Responses)
{
    public string? RequestSchema { get; init; }
    public IReadOnlyList<string> RequestMediaTypes { get; init; } = ["application/json"];
    public JsonNode? RequestExample { get; init; }
    public JsonNode? ResponseExample { get; init; }
    public bool Bearer { get; init; }

    /// <summary>A route that takes no parameters and answers 200 (discovery, health, documents).</summary>
    public static ApiDoc Simple(string summary, string? schema = null) => new(summary, [], [new ApiResponse(200, "OK", schema)]);
}
