namespace BindingServer.Kubernetes.Authentication;

/// <summary>Who a request acts as: the apiserver's <c>user.Info</c>.</summary>
public sealed record UserInfo(string Name, string Uid, IReadOnlyList<string> Groups, IReadOnlyDictionary<string, IReadOnlyList<string>> Extra)
{
    public const string Masters = "system:masters";
    public const string Authenticated = "system:authenticated";
    public const string Unauthenticated = "system:unauthenticated";
    public const string AnonymousName = "system:anonymous";
    public const string ServiceAccountPrefix = "system:serviceaccount:";
    public const string ServiceAccountsGroup = "system:serviceaccounts";
    public const string AdminName = "kubernetes-admin";

    private static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> NoExtra = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>What a request without credentials acts as by default: an administrator, so curl and bare kubeconfigs work.</summary>
    public static UserInfo DefaultAdmin { get; } = new(AdminName, "", [Masters, Authenticated], NoExtra);

    /// <summary>What a request without credentials is on a cluster that allows anonymous requests.</summary>
    public static UserInfo Anonymous { get; } = new(AnonymousName, "", [Unauthenticated], NoExtra);

    public static UserInfo Of(string name, IReadOnlyList<string> groups, string uid = "", IReadOnlyDictionary<string, IReadOnlyList<string>>? extra = null) =>
        new(name, uid, groups, extra ?? NoExtra);

    /// <summary>Whether a member of <c>system:masters</c>, which the apiserver allows everything before RBAC is asked.</summary>
    public bool IsPrivileged => Groups.Contains(Masters, StringComparer.Ordinal);

    /// <summary>The service-account user name <c>system:serviceaccount:&lt;ns&gt;:&lt;name&gt;</c>.</summary>
    public static string ServiceAccountName(string ns, string name) => $"{ServiceAccountPrefix}{ns}:{name}";

    /// <summary>The groups a service account belongs to, in the order the apiserver lists them.</summary>
    public static IReadOnlyList<string> ServiceAccountGroups(string ns) => [ServiceAccountsGroup, $"{ServiceAccountsGroup}:{ns}"];

    /// <summary>Splits a service-account user name as kube's <c>SplitUsername</c> does: a valid namespace name and a valid service-account name.</summary>
    public static bool TrySplitServiceAccount(string userName, out string ns, out string name)
    {
        ns = name = "";
        if (!userName.StartsWith(ServiceAccountPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        var parts = userName[ServiceAccountPrefix.Length..].Split(':');
        if (parts.Length != 2 || Validation.NameRules.Dns1123LabelName(parts[0], false).Count > 0 ||
            Validation.NameRules.Dns1123SubdomainName(parts[1], false).Count > 0)
        {
            return false;
        }

        (ns, name) = (parts[0], parts[1]);
        return true;
    }
}

/// <summary>Configuration section <c>Authentication</c>: who a request without credentials is, and the static tokens.</summary>
public sealed class AuthenticationOptions
{
    public const string Section = "Authentication";

    /// <summary>
    /// When true, a request without credentials is <c>system:anonymous</c> in <c>system:unauthenticated</c>, as on a cluster.
    /// Off by default: it acts as <see cref="UserInfo.DefaultAdmin"/>.
    /// </summary>
    public bool Anonymous { get; set; }

    /// <summary>A file of static bearer tokens in kube-apiserver's <c>--token-auth-file</c> format, read at start.</summary>
    public string? TokenAuthFile { get; set; }
}

/// <summary>Where the filter chain leaves the identity of a request.</summary>
public static class RequestUser
{
    private static readonly object Key = new();

    public static void SetUser(this HttpContext context, UserInfo user) => context.Items[Key] = user;

    /// <summary>The identity the request acts as (after impersonation); the default admin when the chain did not run.</summary>
    public static UserInfo User(this HttpContext context) => context.Items[Key] as UserInfo ?? UserInfo.DefaultAdmin;
}
