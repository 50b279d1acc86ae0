using System.Globalization;
using System.Text;
using BindingServer.Kubernetes.Resources;

namespace BindingServer.Kubernetes.Authorization;

/// <summary>
/// The pure logic of RBAC escalation prevention, as kube-apiserver v1.32 does it: whether the
/// rules a user holds cover the rules they try to grant (component-helpers
/// auth/rbac/validation/policy_comparator.go), how the missing ones are compacted
/// (pkg/registry/rbac/validation/policy_compact.go) and printed (CompactString in
/// pkg/apis/rbac/v1/evaluation_helpers.go), and the refusal text of ConfirmNoEscalation
/// (pkg/registry/rbac/validation/rule.go).
/// </summary>
public static class PolicyRuleCoverage
{
    private const string All = "*";

    /// <summary>
    /// <c>*</c> on <c>*.*</c> plus <c>*</c> on every non-resource URL: what a user must hold to set
    /// a ClusterRole's aggregationRule, since aggregation can gather anything.
    /// </summary>
    // Fresh rules on each read, so a caller that mutates them cannot corrupt the next check.
    public static IReadOnlyList<PolicyRule> FullAuthority =>
    [
        new PolicyRule { Verbs = [All], ApiGroups = [All], Resources = [All] },
        new PolicyRule { Verbs = [All], NonResourceURLs = [All] },
    ];

    /// <summary>The broken-down servant rules no owner rule covers (empty = covered).</summary>
    public static IReadOnlyList<PolicyRule> Uncovered(IEnumerable<PolicyRule> ownerRules, IEnumerable<PolicyRule> servantRules)
    {
        ArgumentNullException.ThrowIfNull(ownerRules);
        ArgumentNullException.ThrowIfNull(servantRules);

        var owners = ownerRules.ToList();
        var uncovered = new List<PolicyRule>();
        // Once a servant rule is split to one verb/group/resource/name, a single owner rule either
        // covers a piece or not, so "some owner covers it" is exact.
        foreach (var servant in servantRules)
        {
            foreach (var piece in Breakdown(servant))
            {
                if (!owners.Exists(owner => RuleCovers(owner, piece)))
                {
                    uncovered.Add(piece);
                }
            }
        }
        return uncovered;
    }

    /// <summary>
    /// Merges rules that name one group, one resource and at most one resource name and differ
    /// only by verb; every other rule is kept as it is. Non-merged rules come first, in input order,
    /// then the merged ones in order of first appearance (kube's order there is a map's, i.e. random;
    /// the refusal text sorts, so nothing observable depends on it).
    /// </summary>
    public static IReadOnlyList<PolicyRule> Compact(IReadOnlyList<PolicyRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);

        var compacted = new List<PolicyRule>(rules.Count);
        var merged = new Dictionary<(string Group, string Resource, bool Named, string Name), PolicyRule>();
        var mergedInOrder = new List<PolicyRule>();
        foreach (var rule in rules)
        {
            if (SimpleKey(rule) is not { } key)
            {
                compacted.Add(Clone(rule));
            }
            else if (merged.TryGetValue(key, out var existing))
            {
                // Verbs are appended as they come, duplicates included, as kube does.
                existing.Verbs ??= [];
                existing.Verbs.AddRange(rule.Verbs ?? []);
            }
            else
            {
                var copy = Clone(rule);
                merged.Add(key, copy);
                mergedInOrder.Add(copy);
            }
        }
        compacted.AddRange(mergedInOrder);
        return compacted;
    }

    /// <summary>
    /// The escalation-message form of a rule, e.g. <c>{APIGroups:["apps"], Resources:["deployments"], Verbs:["get"]}</c>:
    /// empty fields left out, fields in the order APIGroups, Resources, NonResourceURLs, ResourceNames, Verbs,
    /// each list printed as Go's <c>%q</c> prints a string slice.
    /// </summary>
    public static string CompactString(PolicyRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);

        var parts = new List<string>(5);
        AddPart(parts, "APIGroups", rule.ApiGroups);
        AddPart(parts, "Resources", rule.Resources);
        AddPart(parts, "NonResourceURLs", rule.NonResourceURLs);
        AddPart(parts, "ResourceNames", rule.ResourceNames);
        AddPart(parts, "Verbs", rule.Verbs);
        return "{" + string.Join(", ", parts) + "}";
    }

    /// <summary>
    /// The whole text of the ConfirmNoEscalation error (before the caller wraps it in a Forbidden status).
    /// <paramref name="missing"/> is what <see cref="Uncovered"/> returned; it is compacted here.
    /// <paramref name="resolutionErrors"/> are the messages of the errors met while resolving the user's
    /// own rules (a missing role, say); kube still decides on the rules it did find and appends them.
    /// </summary>
    public static string EscalationMessage(string userName, IReadOnlyList<string> groups, IReadOnlyList<PolicyRule> missing, IReadOnlyList<string> resolutionErrors)
    {
        ArgumentNullException.ThrowIfNull(userName);
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(missing);
        ArgumentNullException.ThrowIfNull(resolutionErrors);

        // kube collects the descriptions in a string set: duplicates collapse and the list comes out
        // sorted bytewise (Go strings are UTF-8, hence the UTF-8 comparison).
        var descriptions = Compact(missing).Select(CompactString).Distinct(StringComparer.Ordinal).ToList();
        descriptions.Sort(CompareUtf8);

        var text = new StringBuilder();
        text.Append("user ").Append(GoQuote(userName))
            .Append(" (groups=").Append(GoQuoteList(groups))
            .Append(") is attempting to grant RBAC permissions not currently held:\n")
            .AppendJoin('\n', descriptions);
        if (resolutionErrors.Count > 0)
        {
            // kube appends a one-element []error holding the resolver's aggregate error, printed with %v:
            // the slice brackets wrap the aggregate's own text.
            text.Append("; resolution errors: [").Append(AggregateMessage(resolutionErrors)).Append(']');
        }
        return text.ToString();
    }

    /// <summary>One rule per (group, resource, verb[, name]) and per (non-resource URL, verb).</summary>
    public static IEnumerable<PolicyRule> Breakdown(PolicyRule rule)
    {
        var verbs = rule.Verbs ?? [];
        var names = rule.ResourceNames ?? [];
        foreach (var group in rule.ApiGroups ?? [])
        {
            foreach (var resource in rule.Resources ?? [])
            {
                foreach (var verb in verbs)
                {
                    if (names.Count == 0)
                    {
                        yield return new PolicyRule { ApiGroups = [group], Resources = [resource], Verbs = [verb] };
                        continue;
                    }
                    foreach (var name in names)
                    {
                        yield return new PolicyRule { ApiGroups = [group], Resources = [resource], Verbs = [verb], ResourceNames = [name] };
                    }
                }
            }
        }

        // Non-resource URLs pair only with verbs; groups, resources and names do not apply to them.
        foreach (var url in rule.NonResourceURLs ?? [])
        {
            foreach (var verb in verbs)
            {
                yield return new PolicyRule { NonResourceURLs = [url], Verbs = [verb] };
            }
        }
    }

    /// <summary>Whether one owner rule covers one broken-down rule.</summary>
    private static bool RuleCovers(PolicyRule owner, PolicyRule piece)
    {
        var verbs = Has(owner.Verbs, All) || HasAll(owner.Verbs, piece.Verbs);
        var groups = Has(owner.ApiGroups, All) || HasAll(owner.ApiGroups, piece.ApiGroups);
        var resources = ResourcesCoverAll(owner.Resources, piece.Resources);
        var urls = NonResourceUrlsCoverAll(owner.NonResourceURLs, piece.NonResourceURLs);

        // An owner rule limited to names never covers a grant on every name.
        var ownerNames = owner.ResourceNames ?? [];
        var names = (piece.ResourceNames?.Count ?? 0) == 0
            ? ownerNames.Count == 0
            : ownerNames.Count == 0 || HasAll(ownerNames, piece.ResourceNames);

        return verbs && groups && resources && names && urls;
    }

    private static bool Has(List<string>? set, string value) => set is not null && set.Contains(value, StringComparer.Ordinal);

    private static bool HasAll(List<string>? set, List<string>? wanted) => (wanted ?? []).TrueForAll(value => Has(set, value));

    private static bool ResourcesCoverAll(List<string>? owned, List<string>? wanted)
    {
        if (Has(owned, All) || HasAll(owned, wanted))
        {
            return true;
        }
        foreach (var resource in wanted ?? [])
        {
            if (Has(owned, resource))
            {
                continue;
            }
            // "*/scale" grants the scale subresource of every resource; a plain resource has no such form.
            var slash = resource.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0 || !Has(owned, All + resource[slash..]))
            {
                return false;
            }
        }
        return true;
    }

    private static bool NonResourceUrlsCoverAll(List<string>? owned, List<string>? wanted) =>
        (wanted ?? []).TrueForAll(url => (owned ?? []).Exists(ownerUrl => NonResourceUrlCovers(ownerUrl, url)));

    private static bool NonResourceUrlCovers(string owned, string wanted)
    {
        if (string.Equals(owned, wanted, StringComparison.Ordinal))
        {
            return true;
        }
        // A trailing "*" (however many) makes the rest a plain prefix: "/apis/*" covers "/apis/v1" but not "/apis".
        return owned.EndsWith('*') && wanted.StartsWith(owned.TrimEnd('*'), StringComparison.Ordinal);
    }

    /// <summary>
    /// The merge key of a rule compaction may fold into another, or null for one it keeps apart:
    /// exactly one group and one resource, at most one resource name, no non-resource URLs.
    /// </summary>
    private static (string Group, string Resource, bool Named, string Name)? SimpleKey(PolicyRule rule)
    {
        if ((rule.ResourceNames?.Count ?? 0) > 1 || rule.NonResourceURLs is not null)
        {
            // kube compares the rule with a copy that has no non-resource URLs at all, so even an
            // empty (rather than absent) list makes the rule "complex".
            return null;
        }
        if (rule.ApiGroups is not [var group] || rule.Resources is not [var resource])
        {
            return null;
        }
        return rule.ResourceNames is [var name] ? (group, resource, true, name) : (group, resource, false, "");
    }

    private static PolicyRule Clone(PolicyRule rule) => new()
    {
        Verbs = rule.Verbs is null ? null : [.. rule.Verbs],
        ApiGroups = rule.ApiGroups is null ? null : [.. rule.ApiGroups],
        Resources = rule.Resources is null ? null : [.. rule.Resources],
        ResourceNames = rule.ResourceNames is null ? null : [.. rule.ResourceNames],
        NonResourceURLs = rule.NonResourceURLs is null ? null : [.. rule.NonResourceURLs],
    };

    private static void AddPart(List<string> parts, string field, List<string>? values)
    {
        if (values is { Count: > 0 })
        {
            parts.Add(field + ":" + GoQuoteList(values));
        }
    }

    /// <summary>
    /// The text of apimachinery's aggregate error: a lone error as it is; several deduplicated
    /// by message, and bracketed and comma-separated unless only one message is left.
    /// </summary>
    private static string AggregateMessage(IReadOnlyList<string> errors)
    {
        if (errors.Count == 1)
        {
            return errors[0];
        }
        var distinct = errors.Distinct(StringComparer.Ordinal).ToList();
        return distinct.Count == 1 ? distinct[0] : "[" + string.Join(", ", distinct) + "]";
    }

    private static int CompareUtf8(string x, string y) =>
        Encoding.UTF8.GetBytes(x).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(y));

    /// <summary>Go's <c>%q</c> of a string slice: <c>["a" "b"]</c>, and <c>[]</c> when empty.</summary>
    private static string GoQuoteList(IEnumerable<string> values) => "[" + string.Join(' ', values.Select(GoQuote)) + "]";

    /// <summary>Go's <c>%q</c> of a string (strconv.Quote): printable runes kept, the rest escaped.</summary>
    private static string GoQuote(string value)
    {
        var quoted = new StringBuilder(value.Length + 2).Append('"');
        // EnumerateRunes turns a lone surrogate into U+FFFD, as Go's JSON decoding would have.
        foreach (var rune in value.EnumerateRunes())
        {
            var code = rune.Value;
            if (code is '"' or '\\')
            {
                quoted.Append('\\').Append((char)code);
            }
            else if (IsGoPrintable(rune))
            {
                quoted.Append(rune.ToString());
            }
            else
            {
                quoted.Append(code switch
                {
                    '\a' => @"\a",
                    '\b' => @"\b",
                    '\f' => @"\f",
                    '\n' => @"\n",
                    '\r' => @"\r",
                    '\t' => @"\t",
                    '\v' => @"\v",
                    < ' ' or 0x7F => @"\x" + code.ToString("x2", CultureInfo.InvariantCulture),
                    < 0x10000 => @"\u" + code.ToString("x4", CultureInfo.InvariantCulture),
                    _ => @"\U" + code.ToString("x8", CultureInfo.InvariantCulture),
                });
            }
        }
        return quoted.Append('"').ToString();
    }

    /// <summary>Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.</summary>
    private static bool IsGoPrintable(Rune rune)
    {
        if (rune.IsAscii)
        {
            return rune.Value is >= ' ' and < 0x7F;
        }
        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => true,
            UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark => true,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => true,
            UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
                or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
                or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation => true,
            UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol
                or UnicodeCategory.OtherSymbol => true,
            _ => false,
        };
    }
}
