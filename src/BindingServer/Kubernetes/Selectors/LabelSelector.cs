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

    private sealed class Parser(string text)
    {
        private int _position;

        public List<Requirement> ParseAll()
        {
            var requirements = new List<Requirement>();
            while (true)
            {
                var (token, literal) = Peek();
                switch (token)
                {
                    case "ID":
                    case "!":
                        requirements.Add(ParseRequirement());
                        var (next, nextLiteral) = Next();
                        if (next == "END")
                        {
                            return requirements;
                        }

                        if (next != ",")
                        {
                            throw new FormatException($"found '{nextLiteral}', expected: ',' or 'end of string'");
                        }

                        break;
                    case "END":
                        return requirements;
                    default:
                        throw new FormatException($"found '{literal}', expected: !, identifier, or 'end of string'");
                }
            }
        }

        private Requirement ParseRequirement()
        {
            var negated = false;
            if (Peek().Token == "!")
            {
                Next();
                negated = true;
            }

            var (token, key) = Next();
            if (token != "ID")
            {
                throw new FormatException($"found '{key}', expected: identifier");
            }

            ValidateKey(key);
            if (negated)
            {
                return new Requirement(key, Op.DoesNotExist, []);
            }

            var (opToken, opLiteral) = Peek();
            if (opToken is "," or "END")
            {
                return new Requirement(key, Op.Exists, []);
            }

            Next();
            Op op = opToken switch
            {
                "=" or "==" => Op.Equals,
                "!=" => Op.NotEquals,
                "in" => Op.In,
                "notin" => Op.NotIn,
                ">" => Op.GreaterThan,
                "<" => Op.LessThan,
                _ => throw new FormatException($"found '{opLiteral}', expected: in, notin, =, ==, !=, gt, lt"),
            };

            List<string> values;
            if (op is Op.In or Op.NotIn)
            {
                values = ParseSet();
            }
            else
            {
                var (valueToken, value) = Peek();
                if (valueToken == "ID")
                {
                    Next();
                }
                else if (valueToken is "," or "END")
                {
                    value = "";
                }
                else
                {
                    throw new FormatException($"found '{value}', expected: identifier");
                }

                values = [value];
            }

            foreach (var value in values)
            {
                if (op is Op.GreaterThan or Op.LessThan)
                {
                    if (!long.TryParse(value, out _))
                    {
                        throw new FormatException(
                            $"unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer");
                    }
                }
                else
                {
                    var messages = NameRules.IsLabelValue(value);
                    if (messages.Count > 0)
                    {
                        throw new FormatException(
                            $"unable to parse requirement: values[0][{key}]: Invalid value: {GoFormat.Quote(value)}: {string.Join("; ", messages)}");
                    }
                }
            }

            return new Requirement(key, op, values);
        }

        private static void ValidateKey(string key)
        {
            var messages = NameRules.IsQualifiedName(key);
            if (messages.Count > 0)
            {
                throw new FormatException($"unable to parse requirement: key: Invalid value: {GoFormat.Quote(key)}: {string.Join("; ", messages)}");
            }
        }

        private List<string> ParseSet()
        {
            var (open, literal) = Next();
            if (open != "(")
            {
                throw new FormatException($"found '{literal}', expected: '('");
            }

            var values = new List<string>();
            while (true)
            {
                var (token, value) = Next();
                switch (token)
                {
                    case "ID":
                        values.Add(value);
                        var (after, afterLiteral) = Next();
                        if (after == ")")
                        {
                            return values;
                        }

                        if (after != ",")
                        {
                            throw new FormatException($"found '{afterLiteral}', expected: ',' or ')'");
                        }

                        break;
                    case ")":
                        values.Add("");
                        return values;
                    case ",":
                        values.Add("");
                        break;
                    default:
                        throw new FormatException($"found '{value}', expected: ',', ')' or identifier");
                }
            }
        }

        private (string Token, string Literal) Peek()
        {
            var saved = _position;
            var result = Next();
            _position = saved;
            return result;
        }

        private (string Token, string Literal) Next()
        {
            while (_position < text.Length && char.IsWhiteSpace(text[_position]))
            {
                _position++;
            }

            if (_position >= text.Length)
            {
                return ("END", "");
            }

            var c = text[_position];
            string[] operators = ["==", "!=", "=", "!", "(", ")", ",", ">", "<"];
            foreach (var op in operators)
            {
                if (string.CompareOrdinal(text, _position, op, 0, op.Length) == 0)
                {
                    _position += op.Length;
                    return (op, op);
                }
            }

            var start = _position;
            while (_position < text.Length && !char.IsWhiteSpace(text[_position]) && "=!(),<>".IndexOf(text[_position], StringComparison.Ordinal) < 0)
            {
                _position++;
            }

            var word = text[start.._position];
            return word is "in" or "notin" ? (word, word) : ("ID", word);
        }
    }
}
