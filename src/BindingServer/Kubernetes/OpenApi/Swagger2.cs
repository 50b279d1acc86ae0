using System.Text.Json.Nodes;

namespace BindingServer.Kubernetes.OpenApi;

/// <summary>The conversion of a v3 document to Swagger 2.0, from which <see cref="OpenApiV2Protobuf"/> encodes the protobuf form.</summary>
internal static class Swagger2
{
    /// <summary>The Swagger 2.0 form of a v3 document, as the real server serves at <c>/openapi/v2</c>.</summary>
    internal static JsonObject FromV3(JsonObject v3)
    {
        var text = v3.ToJsonString().Replace(OpenApiSchemas.SchemaRef, "#/definitions/", StringComparison.Ordinal);
        var document = JsonNode.Parse(text)!.AsObject();
        var definitions = document["components"]!["schemas"]!.AsObject();
        foreach (var (_, schema) in definitions)
        {
            FlattenAllOf(schema);
        }

        var paths = document["paths"]!.AsObject();
        foreach (var (_, item) in paths)
        {
            foreach (var (method, node) in item!.AsObject())
            {
                if (method == "parameters")
                {
                    ConvertParameters(node!.AsArray());
                    continue;
                }

                var operation = node!.AsObject();
                if (operation["parameters"] is JsonArray parameters)
                {
                    ConvertParameters(parameters);
                }

                if (operation["requestBody"] is JsonObject body)
                {
                    var content = body["content"]!.AsObject();
                    operation["consumes"] = new JsonArray(content.Select(c => (JsonNode)c.Key).ToArray());
                    var list = operation["parameters"] as JsonArray ?? [];
                    list.Insert(0, new JsonObject { ["name"] = "body", ["in"] = "body", ["required"] = true, ["schema"] = content.First().Value!["schema"]!.DeepClone() });
                    operation["parameters"] = list;
                    operation.Remove("requestBody");
                }

                operation["produces"] = new JsonArray("application/json");
                operation["schemes"] = new JsonArray("https");
                foreach (var (_, response) in operation["responses"]!.AsObject())
                {
                    if (response is JsonObject r && r["content"] is JsonObject content)
                    {
                        r["schema"] = content["application/json"]!["schema"]!.DeepClone();
                        r.Remove("content");
                    }
                }
            }
        }

        return new JsonObject
        {
            ["swagger"] = "2.0",
            ["info"] = document["info"]!.DeepClone(),
            ["paths"] = paths.DeepClone(),
            ["definitions"] = definitions.DeepClone(),
        };
    }

    private static void ConvertParameters(JsonArray parameters)
    {
        foreach (var parameter in parameters.OfType<JsonObject>())
        {
            if (parameter["schema"] is JsonObject schema && parameter["in"]?.GetValue<string>() != "body")
            {
                parameter["type"] = schema["type"]!.DeepClone();
                parameter["uniqueItems"] = true;
                parameter.Remove("schema");
            }
        }
    }

    private static void FlattenAllOf(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj["allOf"] is JsonArray { Count: 1 } allOf && allOf[0]?["$ref"] is { } reference)
                {
                    obj.Remove("allOf");
                    obj.Remove("default");
                    obj["$ref"] = reference.DeepClone();
                }

                foreach (var (_, child) in obj.ToList())
                {
                    FlattenAllOf(child);
                }

                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    FlattenAllOf(child);
                }

                break;
        }
    }
}
