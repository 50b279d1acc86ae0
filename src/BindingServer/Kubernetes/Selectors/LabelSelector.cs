using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Validation;

namespace BindingServer.Kubernetes.Selectors;

/// <summary>A parsed <c>labelSelector</c>: requirements joined by AND, with apimachinery's syntax and messages.</summary>
public sealed class LabelSelector
{
    private enum Op
    {
        Equals,
        NotEquals,
        In,
        NotIn,
        Exists,
        DoesNotExist,
        GreaterThan,
        LessThan,
    }

    private sealed record Requirement(string Key, Op Operator, IReadOnlyList<string> Values);

    private readonly List<Requirement> _requirements;

    private LabelSelector(List<Requirement> requirements) => _requirements = requirements;

    public static LabelSelector Everything { get; } = new([]);

    public bool IsEmpty => _requirements.Count == 0;

    public bool Matches(IReadOnlyDictionary<string, string>? labels)
    {
        labels ??= new Dictionary<string, string>();
        foreach (var requirement in _requirements)
        {
            var has = labels.TryGetValue(requirement.Key, out var value);
            var ok = requirement.Operator switch
            {
                Op.Equals or Op.In => has && requirement.Values.Contains(value),
                Op.NotEquals or Op.NotIn => !has || !requirement.Values.Contains(value),
                Op.Exists => has,
                Op.DoesNotExist => !has,
                Op.GreaterThan => has && long.TryParse(value, out var g) && g > long.Parse(requirement.Values[0], System.Globalization.CultureInfo.InvariantCulture),
                Op.LessThan => has && long.TryParse(value, out var l) && l < long.Parse(requirement.Values[0], System.Globalization.CultureInfo.InvariantCulture),
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// A <c>metav1.LabelSelector</c> as <c>LabelSelectorAsSelector</c> reads it: matchLabels and matchExpressions ANDed;
    /// null when an expression's operator is unknown (the selector then matches nothing).
    /// </summary>
    public static LabelSelector? FromSpec(Resources.LabelSelectorSpec spec)
    {
        var requirements = (spec.MatchLabels ?? []).OrderBy(l => l.Key, StringComparer.Ordinal)
            .Select(l => new Requirement(l.Key, Op.Equals, [l.Value])).ToList();
        foreach (var expression in spec.MatchExpressions ?? [])
        {
            Op? op = expression.Operator switch
            {
                "In" => Op.In,
                "NotIn" => Op.NotIn,
                "Exists" => Op.Exists,
                "DoesNotExist" => Op.DoesNotExist,
                _ => null,
            };
            if (op is null)
            {
                return null;
            }

            requirements.Add(new Requirement(expression.Key ?? "", op.Value, expression.Values ?? []));
        }

        return new LabelSelector(requirements);
    }

    /// <summary>Parses the selector; a syntax or value error is the apiserver's 400.</summary>
    public static LabelSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var parser = new Parser(text);
        try
        {
            return new LabelSelector(parser.ParseAll());
        }
        catch (FormatException error)
        {
            throw StatusErrors.BadRequest(error.Message);
        }
    }

    /// <summary>
    /// apimachinery's labels parser, step for step: its messages quote whichever token it stopped at, so only the
    /// same algorithm gives the same text.
    /// </summary>
    private sealed class Parser
    {
        private const string Id = "ID";
        private const string End = "END";
        private readonly List<(string Token, string Literal)> _items = [];
        private int _position;

        public Parser(string text)
        {
            var position = 0;
            while (true)
            {
                var item = Lex(text, ref position);
                _items.Add(item);
                if (item.Token == End)
                {
                    break;
                }
            }
        }

        public List<Requirement> ParseAll()
        {
            var requirements = new List<Requirement>();
            while (true)
            {
                var (token, literal) = Lookahead(values: true);
                switch (token)
                {
                    case Id:
                    case "!":
                        try
                        {
                            requirements.Add(ParseRequirement());
                        }
                        catch (FormatException error)
                        {
                            throw new FormatException("unable to parse requirement: " + error.Message);
                        }

                        var (next, nextLiteral) = Consume(values: true);
                        if (next == End)
                        {
                            return requirements;
                        }

                        if (next != ",")
                        {
                            throw new FormatException($"found '{nextLiteral}', expected: ',' or 'end of string'");
                        }

                        var (after, afterLiteral) = Lookahead(values: true);
                        if (after is not (Id or "!"))
                        {
                            throw new FormatException($"found '{afterLiteral}', expected: identifier after ','");
                        }

                        break;
                    case End:
                        return requirements;
                    default:
                        throw new FormatException($"found '{literal}', expected: !, identifier, or 'end of string'");
                }
            }
        }

        private Requirement ParseRequirement()
        {
            Op? op = null;
            var (token, key) = Consume(values: true);
            if (token == "!")
            {
                op = Op.DoesNotExist;
                (token, key) = Consume(values: true);
            }

            if (token != Id)
            {
                throw new FormatException($"found '{key}', expected: identifier");
            }

            // The parser checks the key with no field path, which Go prints as <nil>.
            var keyMessages = NameRules.IsQualifiedName(key);
            if (keyMessages.Count > 0)
            {
                throw new FormatException($"<nil>: Invalid value: {GoFormat.Quote(key)}: {string.Join("; ", keyMessages)}");
            }

            if (Lookahead(values: true).Token is End or ",")
            {
                op ??= Op.Exists;
            }

            if (op is not null)
            {
                return new Requirement(key, op.Value, []);
            }

            var (opToken, opLiteral) = Consume(values: false);
            var parsed = opToken switch
            {
                "=" or "==" => Op.Equals,
                "!=" => Op.NotEquals,
                "in" => Op.In,
                "notin" => Op.NotIn,
                ">" => Op.GreaterThan,
                "<" => Op.LessThan,
                _ => throw new FormatException($"found '{opLiteral}', expected: in, notin, =, ==, !=, gt, lt"),
            };

            // Values are a Go string set: sorted and without repeats.
            var values = (parsed is Op.In or Op.NotIn ? ParseValues() : ParseExactValue())
                .Distinct().Order(StringComparer.Ordinal).ToList();
            Validate(key, parsed, values);
            return new Requirement(key, parsed, values);
        }

        /// <summary>NewRequirement's checks, gathered as a field.ErrorList and printed as its aggregate.</summary>
        private static void Validate(string key, Op op, List<string> values)
        {
            var errors = new List<string>();
            if (op is Op.GreaterThan or Op.LessThan)
            {
                for (var i = 0; i < values.Count; i++)
                {
                    if (!long.TryParse(values[i], System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out _))
                    {
                        errors.Add($"values[{i}]: Invalid value: {GoFormat.Quote(values[i])}: for 'Gt', 'Lt' operators, the value must be an integer");
                    }
                }
            }

            for (var i = 0; i < values.Count; i++)
            {
                var messages = NameRules.IsLabelValue(values[i]);
                if (messages.Count > 0)
                {
                    errors.Add($"values[{i}][{key}]: Invalid value: {GoFormat.Quote(values[i])}: {string.Join("; ", messages)}");
                }
            }

            var distinct = errors.Distinct().ToList();
            if (distinct.Count == 1)
            {
                throw new FormatException(distinct[0]);
            }

            if (distinct.Count > 1)
            {
                throw new FormatException("[" + string.Join(", ", distinct) + "]");
            }
        }

        private List<string> ParseValues()
        {
            var (open, openLiteral) = Consume(values: true);
            if (open != "(")
            {
                throw new FormatException($"found '{openLiteral}' expected: '('");
            }

            var (token, literal) = Lookahead(values: true);
            switch (token)
            {
                case Id:
                case ",":
                    var values = ParseIdentifiers();
                    if (Consume(values: true).Token != ")")
                    {
                        // apimachinery names the token that opened the list here, not the one it found.
                        throw new FormatException($"found '{literal}', expected: ')'");
                    }

                    return values;
                case ")":
                    Consume(values: true);
                    return [""];
                default:
                    throw new FormatException($"found '{literal}', expected: ',', ')' or identifier");
            }
        }

        private List<string> ParseIdentifiers()
        {
            var values = new List<string>();
            while (true)
            {
                var (token, literal) = Consume(values: true);
                switch (token)
                {
                    case Id:
                        values.Add(literal);
                        var (next, nextLiteral) = Lookahead(values: true);
                        if (next == ")")
                        {
                            return values;
                        }

                        if (next != ",")
                        {
                            throw new FormatException($"found '{nextLiteral}', expected: ',' or ')'");
                        }

                        break;
                    case ",":
                        if (values.Count == 0)
                        {
                            values.Add("");
                        }

                        var following = Lookahead(values: true).Token;
                        if (following == ")")
                        {
                            values.Add("");
                            return values;
                        }

                        if (following == ",")
                        {
                            Consume(values: true);
                            values.Add("");
                        }

                        break;
                    default:
                        throw new FormatException($"found '{literal}', expected: ',', or identifier");
                }
            }
        }

        private List<string> ParseExactValue()
        {
            if (Lookahead(values: true).Token is End or ",")
            {
                return [""];
            }

            var (token, literal) = Consume(values: true);
            return token == Id ? [literal] : throw new FormatException($"found '{literal}', expected: identifier");
        }

        /// <summary>Where values are expected, <c>in</c> and <c>notin</c> are plain identifiers.</summary>
        private (string Token, string Literal) Lookahead(bool values)
        {
            var (token, literal) = _items[_position];
            return values && token is "in" or "notin" ? (Id, literal) : (token, literal);
        }

        private (string Token, string Literal) Consume(bool values)
        {
            var item = Lookahead(values);
            _position++;
            return item;
        }

        private static bool IsWhitespace(char c) => c is ' ' or '\t' or '\r' or '\n';

        private static bool IsSpecial(char c) => c is '=' or '!' or '(' or ')' or ',' or '>' or '<';

        /// <summary>One token: the longest operator at a special character, else a word up to the next one or a space.</summary>
        private static (string Token, string Literal) Lex(string text, ref int position)
        {
            while (position < text.Length && IsWhitespace(text[position]))
            {
                position++;
            }

            if (position >= text.Length)
            {
                return (End, "");
            }

            if (IsSpecial(text[position]))
            {
                var two = position + 1 < text.Length ? text.Substring(position, 2) : "";
                var op = two is "==" or "!=" ? two : text[position].ToString();
                position += op.Length;
                return (op, op);
            }

            var start = position;
            while (position < text.Length && !IsSpecial(text[position]) && !IsWhitespace(text[position]))
            {
                position++;
            }

            var word = text[start..position];
            return word is "in" or "notin" ? (word, word) : (Id, word);
        }
    }
}
