using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Model;

namespace BindingServer.Kubernetes.Patching;

/// <summary>RFC 7386 JSON merge patch: objects merge, null deletes, everything else (lists too) replaces.</summary>
public static class MergePatch
{
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        var result = target as JsonObject ?? new JsonObject();
        foreach (var (name, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(name);
            }
            else
            {
                var merged = Apply(result[name]?.DeepClone(), value);
                result[name] = merged;
            }
        }

        return result;
    }
}

/// <summary>
/// RFC 6902 JSON patch with the error texts of the Go library the apiserver uses, which reach users inside
/// the 422 it answers.
/// </summary>
public static class JsonPatch
{
    public sealed class PatchException(string message) : Exception(message);

    public static JsonObject Apply(JsonObject document, byte[] patchBody)
    {
        JsonArray operations;
        try
        {
            operations = JsonNode.Parse(patchBody) as JsonArray
                ?? throw StatusErrors.BadRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
        }
        catch (JsonException error)
        {
            throw StatusErrors.BadRequest($"invalid character in patch: {error.Message}");
        }

        JsonNode root = document.DeepClone();
        try
        {
            foreach (var operation in operations)
            {
                root = ApplyOne(root, operation as JsonObject ?? throw new PatchException("Unexpected kind: unknown"));
            }
        }
        catch (PatchException error)
        {
            throw new KubeApiException(new Status
            {
                Outcome = "Failure",
                Code = 422,
                Reason = "Invalid",
                Message = "the server rejected our request due to an error in our request",
                Details = new StatusDetails { Causes = [new StatusCause { Reason = "UnexpectedServerResponse", Message = error.Message }] },
            });
        }

        return root as JsonObject ?? throw new PatchException("patch produced a document that is not an object");
    }

    private static JsonNode ApplyOne(JsonNode root, JsonObject operation)
    {
        // As the JSON patch library: an op that is not a string is "unknown", a path or from that is not one is missing.
        var op = KubeJson.Text(operation["op"]) ?? "unknown";
        var path = KubeJson.Text(operation["path"]) ?? throw new PatchException($"operation missing path: {op}");
        switch (op)
        {
            case "add":
                return Add(root, path, Value(operation, op));
            case "remove":
                Remove(root, path);
                return root;
            case "replace":
                if (path.Length == 0)
                {
                    return Value(operation, op) ?? throw new PatchException("replace operation does not apply: doc is missing key: " + path);
                }

                var (replaceParent, replaceKey) = Resolve(root, path, "replace");
                if (Child(replaceParent, replaceKey) is null && !Has(replaceParent, replaceKey))
                {
                    throw new PatchException($"replace operation does not apply: doc is missing key: {path}: missing value");
                }

                Set(replaceParent, replaceKey, Value(operation, op), replace: true);
                return root;
            case "move":
                var from = KubeJson.Text(operation["from"]) ?? throw new PatchException("move operation missing from");
                var moved = Get(root, from) ?? throw new PatchException($"move operation does not apply: doc is missing from path: {from}: missing value");
                Remove(root, from);
                return Add(root, path, moved.DeepClone());
            case "copy":
                var source = KubeJson.Text(operation["from"]) ?? throw new PatchException("copy operation missing from");
                var copied = Get(root, source) ?? throw new PatchException($"copy operation does not apply: doc is missing from path: {source}: missing value");
                return Add(root, path, copied.DeepClone());
            case "test":
                var actual = path.Length == 0 ? root : Get(root, path);
                if (!JsonNode.DeepEquals(actual, Value(operation, op)))
                {
                    throw new PatchException($"testing value {path} failed: test failed");
                }

                return root;
            default:
                throw new PatchException($"Unexpected kind: {op}");
        }
    }

    private static JsonNode? Value(JsonObject operation, string op) =>
        operation.TryGetPropertyValue("value", out var value)
            ? value?.DeepClone()
            : throw new PatchException($"{op} operation, missing value field");

    private static JsonNode Add(JsonNode root, string path, JsonNode? value)
    {
        if (path.Length == 0)
        {
            return value ?? throw new PatchException("add operation does not apply: null document");
        }

        var (parent, key) = Resolve(root, path, "add");
        Set(parent, key, value, replace: false);
        return root;
    }

    private static void Remove(JsonNode root, string path)
    {
        var (parent, key) = Resolve(root, path, "remove");
        switch (parent)
        {
            case JsonObject obj when obj.ContainsKey(key):
                obj.Remove(key);
                return;
            case JsonArray array when int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < array.Count:
                array.RemoveAt(index);
                return;
            default:
                throw new PatchException($"remove operation does not apply: doc is missing path: \"{path}\": missing value");
        }
    }

    private static (JsonNode Parent, string Key) Resolve(JsonNode root, string path, string op)
    {
        if (!path.StartsWith('/'))
        {
            throw new PatchException($"{op} operation does not apply: doc is missing path: \"{path}\": missing value");
        }

        var segments = path[1..].Split('/').Select(s => s.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
        var node = root;
        foreach (var segment in segments[..^1])
        {
            node = Child(node, segment) ?? throw new PatchException($"{op} operation does not apply: doc is missing path: \"{path}\": missing value");
        }

        return (node, segments[^1]);
    }

    private static JsonNode? Child(JsonNode node, string segment) => node switch
    {
        JsonObject obj => obj[segment],
        JsonArray array when int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < array.Count => array[i],
        _ => null,
    };

    /// <summary>Whether the key is there, null values included (a null array item can be replaced too).</summary>
    private static bool Has(JsonNode parent, string key) => parent switch
    {
        JsonObject obj => obj.ContainsKey(key),
        JsonArray array => int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < array.Count,
        _ => false,
    };

    private static JsonNode? Get(JsonNode root, string path)
    {
        if (path.Length == 0)
        {
            return root;
        }

        var (parent, key) = Resolve(root, path, "get");
        return Child(parent, key);
    }

    private static void Set(JsonNode parent, string key, JsonNode? value, bool replace)
    {
        switch (parent)
        {
            case JsonObject obj:
                obj[key] = value;
                return;
            case JsonArray array:
                if (key == "-" && !replace)
                {
                    array.Add(value);
                    return;
                }

                if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index > array.Count || (replace && index == array.Count))
                {
                    throw new PatchException($"add operation does not apply: doc is missing path: \"{key}\": missing value");
                }

                if (replace)
                {
                    array[index] = value;
                }
                else
                {
                    array.Insert(index, value);
                }

                return;
            default:
                throw new PatchException($"add operation does not apply: doc is missing path: \"{key}\": missing value");
        }
    }
}

/// <summary>
/// Strategic merge patch: a merge patch that merges keyed lists by their merge key, unions set lists, and
/// understands the <c>$patch</c>, <c>$retainKeys</c> and <c>$deleteFromPrimitiveList</c> directives.
/// </summary>
public static class StrategicMergePatch
{
    /// <summary>A JSON value as Go's <c>%v</c> prints it once decoded into interface{}: maps with sorted keys, bare strings.</summary>
    private static string GoFormat(JsonNode? node) => node switch
    {
        null => "<nil>",
        JsonObject map => "map[" + string.Join(" ", map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}:{GoFormat(p.Value)}")) + "]",
        JsonArray list => "[" + string.Join(" ", list.Select(GoFormat)) + "]",
        _ => KubeJson.Text(node) ?? node.ToJsonString(),
    };

    public static void Apply(JsonObject target, JsonObject patch, Type type)
    {
        // Only replace and delete are directives of a map; anything else is a plain error (500) on the apiserver.
        if (patch.TryGetPropertyValue("$patch", out var directive) && KubeJson.Text(directive) is not ("replace" or "delete"))
        {
            throw Errors.StatusErrors.PlainError($"unknown patch type: {GoFormat(directive)} in map: {GoFormat(patch)}");
        }

        if (KubeJson.Text(patch["$patch"]) == "replace")
        {
            target.Clear();
            foreach (var (name, value) in patch.Where(p => p.Key != "$patch"))
            {
                target[name] = value?.DeepClone();
            }

            return;
        }

        if (patch["$retainKeys"] is JsonArray retain)
        {
            var keep = retain.Select(KubeJson.Text).ToHashSet();
            foreach (var name in target.Select(p => p.Key).Where(k => !keep.Contains(k)).ToList())
            {
                target.Remove(name);
            }
        }

        foreach (var (name, value) in patch)
        {
            if (name.StartsWith("$deleteFromPrimitiveList/", StringComparison.Ordinal))
            {
                var field = name["$deleteFromPrimitiveList/".Length..];
                if (target[field] is JsonArray list && value is JsonArray remove)
                {
                    foreach (var item in list.Where(i => remove.Any(r => JsonNode.DeepEquals(r, i))).ToList())
                    {
                        list.Remove(item);
                    }
                }

                continue;
            }

            if (name.StartsWith('$'))
            {
                continue;
            }

            if (value is null)
            {
                target.Remove(name);
                continue;
            }

            var schema = name == "metadata" && type != typeof(ObjectMeta)
                ? new FieldSchema(FieldShape.Struct, typeof(ObjectMeta), null, null)
                : Schema.Field(type, name);
            target[name] = PatchField(target[name], value, schema);
        }
    }

    private static JsonNode? PatchField(JsonNode? current, JsonNode value, FieldSchema schema)
    {
        switch (schema.Shape)
        {
            case FieldShape.Struct when value is JsonObject patchObject:
                if (KubeJson.Text(patchObject["$patch"]) == "delete")
                {
                    return null;
                }

                var obj = current as JsonObject ?? new JsonObject();
                var detached = (JsonObject)obj.DeepClone();
                Apply(detached, patchObject, schema.Type);
                return detached;
            case FieldShape.Map when value is JsonObject map:
                // As strategicpatch's mergeMap: $patch: replace swaps the whole map, $patch: delete empties it.
                return KubeJson.Text(map["$patch"]) switch
                {
                    "delete" => new JsonObject(),
                    "replace" => new JsonObject(map.Where(p => p.Key != "$patch").Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone()))),
                    _ => MergePatch.Apply(current?.DeepClone(), map),
                };
            case FieldShape.KeyedList when value is JsonArray items:
                return PatchKeyedList(current as JsonArray, items, schema);
            case FieldShape.SetList when value is JsonArray set:
                var union = (current as JsonArray)?.DeepClone().AsArray() ?? [];
                foreach (var item in set.Where(i => !union.Any(e => JsonNode.DeepEquals(e, i))))
                {
                    union.Add(item?.DeepClone());
                }

                return union;
            default:
                return value.DeepClone();
        }
    }

    private static JsonArray PatchKeyedList(JsonArray? current, JsonArray items, FieldSchema schema)
    {
        if (items.OfType<JsonObject>().Any(i => KubeJson.Text(i["$patch"]) == "replace"))
        {
            return new JsonArray(items.OfType<JsonObject>().Where(i => i["$patch"] is null).Select(i => (JsonNode?)i.DeepClone()).ToArray());
        }

        var result = current?.DeepClone().AsArray() ?? [];
        var key = schema.MergeKey!;
        foreach (var item in items.OfType<JsonObject>())
        {
            var match = Schema.FindByKey(result, key, item[key]);
            if (KubeJson.Text(item["$patch"]) == "delete")
            {
                if (match is not null)
                {
                    result.Remove(match);
                }

                continue;
            }

            if (match is null)
            {
                result.Add(item.DeepClone());
            }
            else
            {
                Apply(match, item, schema.ElementType!);
            }
        }

        return result;
    }
}
