using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Selectors;

namespace BindingServer.Tests.Golden;

/// <summary>
/// Label and field selectors against the cases of apimachinery's own tables (pkg/labels/selector_test.go and
/// pkg/fields/selector_test.go); the error texts are what its parser returns for each, which the apiserver answers in its 400.
/// </summary>
[Trait("Category", "Fast")]
public sealed class SelectorTableTests
{
    private static Dictionary<string, string> Labels(string text) => text.Length == 0
        ? []
        : text.Split(';').Select(pair => pair.Split(':')).ToDictionary(p => p[0], p => p[1]);

    private static string ErrorOf(Action parse) => Assert.Throws<KubeApiException>(parse).Status.Message!;

    [Theory]
    // labels TestSelectorMatches
    [InlineData("", "x:y", true)]
    [InlineData("x=y", "x:y", true)]
    [InlineData("x=y,z=w", "x:y;z:w", true)]
    [InlineData("x!=y,z!=w", "x:z;z:a", true)]
    [InlineData("notin=in", "notin:in", true)]
    [InlineData("x", "x:z", true)]
    [InlineData("!x", "y:z", true)]
    [InlineData("x>1", "x:2", true)]
    [InlineData("x<1", "x:0", true)]
    [InlineData("x=z", "", false)]
    [InlineData("x=y", "x:z", false)]
    [InlineData("x=y,z=w", "x:w;z:w", false)]
    [InlineData("x!=y,z!=w", "x:z;z:w", false)]
    [InlineData("x", "y:z", false)]
    [InlineData("!x", "x:z", false)]
    [InlineData("x>1", "x:0", false)]
    [InlineData("x<1", "x:2", false)]
    [InlineData("foo=bar,baz=blah", "foo:bar;baz:blah", true)]
    [InlineData("foo=blah", "foo:bar;baz:blah", false)]
    [InlineData("foo=bar,foobar=bar,baz=blah", "foo:bar;baz:blah", false)]
    // labels TestRequirementSelectorMatching, written as selectors
    [InlineData("x in (foo),y notin (alpha)", "x:foo;y:baz", true)]
    [InlineData("x in (foo),y in (alpha)", "x:foo;y:baz", false)]
    [InlineData("x notin (),y", "y:", true)]
    [InlineData("!x,y", "y:", true)]
    [InlineData("x notin (),!y", "y:", false)]
    [InlineData("x in ()", "y:baz", false)]
    [InlineData("z>1", "z:2", true)]
    [InlineData("z>1", "z:v2", false)]
    // labels TestSetSelectorParser (valid inputs)
    [InlineData("\rx", "x:", true)]
    [InlineData("this-is-a-dns.domain.com/key-with-dash", "this-is-a-dns.domain.com/key-with-dash:v", true)]
    [InlineData("this-is-another-dns.domain.com/key-with-dash in (so,what)", "this-is-another-dns.domain.com/key-with-dash:what", true)]
    [InlineData("0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)", "0.1.2.domain/99:tick.tack.clock", false)]
    [InlineData("foo  in\t (abc)", "foo:abc", true)]
    [InlineData("x notin\n (abc)", "x:abc", false)]
    [InlineData("x  notin\t\t\t(abc,def)", "x:ghi", true)]
    [InlineData("x in (abc,)", "x:", true)]
    [InlineData("x notin (abc,,def),bar,z in (),w", "bar:1;w:1;z:", true)]
    [InlineData("x notin ( )", "x:", false)]
    [InlineData("x notin (, a)", "x:a", false)]
    [InlineData("a ", "a:1", true)]
    [InlineData("a in (x,y,notin, z,in)", "a:in", true)]
    // labels TestSelectorParse (good strings)
    [InlineData("x=,z= ", "x:;z:", true)]
    [InlineData("x= ,z= ", "x:;z:", true)]
    [InlineData("x>1,z<5", "x:2;z:4", true)]
    public void Label_selectors_parse_and_match_as_apimachinery(string selector, string labels, bool matches) =>
        Assert.Equal(matches, LabelSelector.Parse(selector).Matches(Labels(labels)));

    [Theory]
    // labels TestSelectorParse (bad strings)
    [InlineData("x==a==b", "found '==', expected: ',' or 'end of string'")]
    [InlineData("!x=a", "found '=', expected: ',' or 'end of string'")]
    [InlineData("x<a", "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer")]
    // labels TestRequirementConstructor (Gt/Lt need integers), through the parser
    [InlineData("foo>bar", "unable to parse requirement: values[0]: Invalid value: \"bar\": for 'Gt', 'Lt' operators, the value must be an integer")]
    // labels TestSetSelectorParser (invalid inputs)
    [InlineData("x,,y", "found ',', expected: identifier after ','")]
    [InlineData(",x,y", "found ',', expected: !, identifier, or 'end of string'")]
    [InlineData("x nott in (y)", "unable to parse requirement: found 'nott', expected: in, notin, =, ==, !=, gt, lt")]
    [InlineData("a in (xyz),", "found '', expected: identifier after ','")]
    [InlineData("a in (xyz)b notin ()", "found 'b', expected: ',' or 'end of string'")]
    [InlineData("a in (xyz abc)", "unable to parse requirement: found 'abc', expected: ',' or ')'")]
    [InlineData("a notin(", "unable to parse requirement: found '', expected: ',', ')' or identifier")]
    [InlineData("a (", "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt")]
    [InlineData("(", "found '(', expected: !, identifier, or 'end of string'")]
    // labels parser: a list opened with "in" and not closed names the token after "(" (parseValues)
    [InlineData("a in (x,(", "unable to parse requirement: found '(', expected: ',', or identifier")]
    [InlineData("a in x", "unable to parse requirement: found 'x' expected: '('")]
    public void Label_selector_errors_are_apimachinerys(string selector, string message) =>
        Assert.Equal(message, ErrorOf(() => LabelSelector.Parse(selector)));

    public static TheoryData<string, string> InvalidKeysAndValues => new()
    {
        // labels TestSelectorParse: "x=a||y=b" reads the value "a||y", not a label value
        { "x=a||y=b", "unable to parse requirement: values[0][x]: Invalid value: \"a||y\": a valid label must be" },
        // labels TestRequirementConstructor: a 254-character key breaks the name-part length rule; the parser checks
        // keys with a nil field path
        { new string('a', 254), $"unable to parse requirement: <nil>: Invalid value: \"{new string('a', 254)}\": name part must be no more than 63 characters" },
        { "x/y/z", "unable to parse requirement: <nil>: Invalid value: \"x/y/z\": a qualified name must consist of" },
    };

    [Theory]
    [MemberData(nameof(InvalidKeysAndValues))]
    public void Label_selector_keys_and_values_are_validated_as_apimachinery(string selector, string messageStart) =>
        Assert.StartsWith(messageStart, ErrorOf(() => LabelSelector.Parse(selector)));

    [Theory]
    // fields TestSelectorMatches
    [InlineData("", "x:y", true)]
    [InlineData("x=y", "x:y", true)]
    [InlineData("x=y,z=w", "x:y;z:w", true)]
    [InlineData("x!=y,z!=w", "x:z;z:a", true)]
    [InlineData("notin=in", "notin:in", true)]
    [InlineData("x=y", "x:z", false)]
    [InlineData("x=y,z=w", "x:w;z:w", false)]
    [InlineData("x!=y,z!=w", "x:z;z:w", false)]
    [InlineData("foo=bar,baz=blah", "foo:bar;baz:blah", true)]
    [InlineData("foo=bar,foobar=bar,baz=blah", "foo:bar;baz:blah", false)]
    [InlineData(@"foo=bar,baz=blah,complex=\=value\\\,\\", @"foo:bar;baz:blah;complex:=value\,\", true)]
    // fields TestSelectorParse (good strings): escaped operators are part of the value
    [InlineData(@"x=a||y\=b", "x:a||y=b", true)]
    [InlineData(@"x=a\=\=b", "x:a==b", true)]
    [InlineData("x=a,y=b,z=c", "x:a;y:b;z:c", true)]
    [InlineData("x!=a,y=b", "x:c;y:b", true)]
    public void Field_selectors_parse_and_match_as_apimachinery(string selector, string fields, bool matches)
    {
        var values = Labels(fields);
        Assert.Equal(matches, FieldSelector.Parse(selector).Matches(field => values.GetValueOrDefault(field, "")));
    }

    [Theory]
    // fields TestSelectorParse (bad strings)
    [InlineData("x=a||y=b", "invalid field selector: unescaped character in value: 61")]
    [InlineData("x==a==b", "invalid field selector: unescaped character in value: 61")]
    [InlineData("x=a,b", "invalid selector: 'x=a,b'; can't understand 'b'")]
    [InlineData("x in (a)", "invalid selector: 'x in (a)'; can't understand 'x in (a)'")]
    [InlineData("x in (a,b,c)", "invalid selector: 'x in (a,b,c)'; can't understand 'b'")]
    [InlineData("x", "invalid selector: 'x'; can't understand 'x'")]
    // fields TestEscapeValue (invalid escape sequences), as values of a term
    [InlineData(@"x=\", @"invalid field selector: invalid escape sequence: \")]
    [InlineData(@"x=\\\", @"invalid field selector: invalid escape sequence: \")]
    [InlineData(@"x=\a", @"invalid field selector: invalid escape sequence: \a")]
    public void Field_selector_errors_are_apimachinerys(string selector, string message) =>
        Assert.Equal(message, ErrorOf(() => FieldSelector.Parse(selector)));

    [Theory]
    // fields TestSplitTerm: the first operator splits, so the rest is the value
    [InlineData("a=value", "a", "value", false)]
    [InlineData("b==value", "b", "value", false)]
    [InlineData("c!=value", "c", "value", true)]
    [InlineData(@"k=\,", "k", ",", false)]
    [InlineData(@"k=\=", "k", "=", false)]
    [InlineData("함=수", "함", "수", false)]
    // fields TestSplitTerms: escaped commas stay in the value, empty terms are skipped
    [InlineData(@"k=\,,", "k", ",", false)]
    [InlineData(",a=a", "a", "a", false)]
    public void Field_selector_terms_split_as_apimachinery(string selector, string field, string value, bool negated) =>
        Assert.Equal(new[] { new FieldSelector.Term(field, value, negated) }, FieldSelector.Parse(selector).Terms);
}
