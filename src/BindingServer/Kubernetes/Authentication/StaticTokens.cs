using Microsoft.Extensions.Options;

namespace BindingServer.Kubernetes.Authentication;

/// <summary>
/// Bearer tokens from a file in kube-apiserver's <c>--token-auth-file</c> format, read once at start: one CSV line per
/// token, <c>token,user,uid[,"group1,group2"]</c>. Blank lines and lines starting with <c>#</c> are skipped.
/// </summary>
public sealed class StaticTokens
{
    private readonly Dictionary<string, UserInfo> _users = new(StringComparer.Ordinal);

    public StaticTokens(IOptions<AuthenticationOptions> options)
    {
        if (options.Value.TokenAuthFile is not { Length: > 0 } path)
        {
            return;
        }

        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Trim().Length == 0 || line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            var fields = SplitCsv(line);
            if (fields.Count < 3)
            {
                throw new InvalidOperationException(
                    $"token file '{path}' line {lineNumber}: must have at least 3 columns (token, user name, user uid), found {fields.Count}");
            }

            var groups = fields.Count > 3 && fields[3].Length > 0 ? fields[3].Split(',').Select(g => g.Trim()).Where(g => g.Length > 0).ToList() : [];
            if (!groups.Contains(UserInfo.Authenticated))
            {
                groups.Add(UserInfo.Authenticated);
            }

            _users[fields[0]] = UserInfo.Of(fields[1], groups, fields[2]);
        }
    }

    public UserInfo? Find(string token) => _users.GetValueOrDefault(token);

    /// <summary>One CSV record: commas separate fields, double quotes protect commas, a doubled quote is one quote.</summary>
    private static List<string> SplitCsv(string line)
    {
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        fields.Add(field.ToString());
        return fields;
    }
}
