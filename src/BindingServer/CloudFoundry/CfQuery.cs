using System.Globalization;
using System.Text.Json.Nodes;

namespace BindingServer.CloudFoundry;

/// <summary>The list parameters of CC v2 (page, results-per-page, order-direction, inline-relations-depth, q) and the list envelope.</summary>
public sealed record CfQuery(int Page, int PerPage, bool Descending, int Depth, IReadOnlyList<CfQuery.Filter> Filters, IReadOnlyList<string> RawQ,
    string? InlineRaw)
{
    public sealed record Filter(string Key, string? Op, string Value);

    private static readonly string[] Operators = [">=", "<=", " IN ", ":", "<", ">"];

    /// <summary>Validates in CC's order: order-by, q keys, results-per-page, inline depth, order direction.</summary>
    public static CfQuery Parse(HttpRequest request, IReadOnlyCollection<string> filterKeys, bool refuseOrderBy = true)
    {
        var query = request.Query;
        if (refuseOrderBy && query.ContainsKey("order-by"))
        {
            throw CfApiException.OrderBy(query["order-by"].ToString());
        }

        var raw = query["q"].Where(v => v is not null).Select(v => v!).ToList();
        var filters = raw.SelectMany(SplitFilters).Select(ParseFilter).ToList();
        foreach (var filter in filters.Where(f => !filterKeys.Contains(f.Key)))
        {
            throw CfApiException.BadQuery(filter.Key);
        }

        var page = Integer(query["page"].ToString(), 1);
        var perPage = Integer(query["results-per-page"].ToString(), 50);
        var depth = Integer(query["inline-relations-depth"].ToString(), 0);
        if (perPage > 100)
        {
            throw CfApiException.BadQuery("results_per_page must be <= 100");
        }

        if (depth > 3)
        {
            throw CfApiException.BadQuery("inline_relations_depth must be <= 3");
        }

        var direction = query.ContainsKey("order-direction") ? query["order-direction"].ToString() : "asc";
        if (direction is not ("asc" or "desc"))
        {
            throw CfApiException.BadQuery($"order_direction must be 'asc' or 'desc' but was '{direction}'");
        }

        if (page <= 0 || perPage <= 0)
        {
            throw CfApiException.Unknown();
        }

        return new CfQuery(page, perPage, direction == "desc", depth, filters, raw,
            query.ContainsKey("inline-relations-depth") ? query["inline-relations-depth"].ToString() : null);
    }

    /// <summary>Non-integers make CC's parameter parser raise: a 500.</summary>
    private static int Integer(string text, int fallback) =>
        text.Length == 0 ? fallback : int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : throw CfApiException.Unknown();

    private static IEnumerable<string> SplitFilters(string value)
    {
        var current = new System.Text.StringBuilder();
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == ';' && i + 1 < value.Length && value[i + 1] == ';')
            {
                current.Append(';');
                i++;
            }
            else if (value[i] == ';')
            {
                yield return current.ToString();
                current.Clear();
            }
            else
            {
                current.Append(value[i]);
            }
        }

        yield return current.ToString();
    }

    private static Filter ParseFilter(string text)
    {
        var best = -1;
        string? op = null;
        foreach (var candidate in Operators)
        {
            var at = text.IndexOf(candidate, StringComparison.Ordinal);
            if (at >= 0 && (best < 0 || at < best))
            {
                (best, op) = (at, candidate);
            }
        }

        return op is null ? new Filter(text, null, "") : new Filter(text[..best], op, text[(best + op.Length)..]);
    }

    /// <summary>Guid filters compare by equality (IN splits on commas); name filters use their operator literally.</summary>
    public bool Matches(Func<string, string?> valueOf) => Filters.All(filter =>
    {
        var actual = valueOf(filter.Key);
        if (filter.Op is null)
        {
            return actual is null;
        }

        if (filter.Op == " IN ")
        {
            return filter.Value.Split(',').Contains(actual);
        }

        if (filter.Key != "name")
        {
            return actual == filter.Value;
        }

        var compared = string.CompareOrdinal(actual ?? "", filter.Value);
        return filter.Op switch
        {
            ":" => actual == filter.Value,
            ">=" => compared >= 0,
            "<=" => compared <= 0,
            ">" => compared > 0,
            _ => compared < 0,
        };
    });

    /// <summary>The paginated envelope; prev/next URLs carry the query keys sorted, as CC writes them.</summary>
    public JsonObject Envelope<T>(IReadOnlyList<T> all, string path, Func<T, JsonObject> render)
    {
        var ordered = Descending ? all.Reverse().ToList() : all.ToList();
        var total = ordered.Count;
        var pages = (total + PerPage - 1) / PerPage;
        return new JsonObject
        {
            ["total_results"] = total,
            ["total_pages"] = pages,
            ["prev_url"] = Page > 1 ? PageUrl(path, Page - 1) : null,
            ["next_url"] = Page < pages ? PageUrl(path, Page + 1) : null,
            ["resources"] = new JsonArray(ordered.Skip((Page - 1) * PerPage).Take(PerPage).Select(r => (JsonNode)render(r)).ToArray()),
        };
    }

    private string PageUrl(string path, int page)
    {
        var parts = new List<(string Key, string Value)>();
        if (InlineRaw is not null)
        {
            parts.Add(("inline-relations-depth", InlineRaw));
        }

        parts.Add(("order-direction", Descending ? "desc" : "asc"));
        parts.Add(("page", page.ToString(CultureInfo.InvariantCulture)));
        parts.AddRange(RawQ.Select(q => ("q", q)));
        parts.Add(("results-per-page", PerPage.ToString(CultureInfo.InvariantCulture)));
        return path + "?" + string.Join("&", parts.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value).Replace("%3A", ":", StringComparison.Ordinal)}"));
    }
}
