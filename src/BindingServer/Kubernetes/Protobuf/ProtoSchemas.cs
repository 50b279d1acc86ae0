namespace BindingServer.Kubernetes.Protobuf;

/// <summary>
/// Field numbers of the Kubernetes protobuf messages the server reads, from the <c>generated.proto</c> files of
/// kubernetes/apimachinery and kubernetes/api (as recorded in the reference notes). Fields not listed are skipped.
/// </summary>
public static class ProtoSchemas
{
    private static ProtoField S(int number, string name, bool repeated = false) => new(number, name, WireType.String, Repeated: repeated);

    private static ProtoField M(int number, string name, ProtoMessage message, bool repeated = false) =>
        new(number, name, WireType.Message, message, repeated);

    public static ProtoMessage MapEntry { get; } = new(S(1, "key"), S(2, "value"));

    public static ProtoMessage Time { get; } = new(new ProtoField(1, "seconds", WireType.Int64), new ProtoField(2, "nanos", WireType.Int32));

    public static ProtoMessage Unknown { get; } = new(
        M(1, "typeMeta", new ProtoMessage(S(1, "apiVersion"), S(2, "kind"))),
        new ProtoField(2, "raw", WireType.Bytes),
        S(3, "contentEncoding"),
        S(4, "contentType"));

    private static readonly ProtoMessage OwnerReference = new(
        S(1, "kind"), S(3, "name"), S(4, "uid"), S(5, "apiVersion"),
        new ProtoField(6, "controller", WireType.Bool), new ProtoField(7, "blockOwnerDeletion", WireType.Bool));

    private static readonly ProtoMessage ObjectMeta = new(
        S(1, "name"), S(2, "generateName"), S(3, "namespace"), S(4, "selfLink"), S(5, "uid"), S(6, "resourceVersion"),
        new ProtoField(7, "generation", WireType.Int64),
        new ProtoField(8, "creationTimestamp", WireType.Time),
        new ProtoField(9, "deletionTimestamp", WireType.Time),
        new ProtoField(10, "deletionGracePeriodSeconds", WireType.Int64),
        new ProtoField(11, "labels", WireType.StringMap),
        new ProtoField(12, "annotations", WireType.StringMap),
        M(13, "ownerReferences", OwnerReference, repeated: true),
        S(14, "finalizers", repeated: true));

    private static readonly ProtoMessage Subject = new(S(1, "kind"), S(2, "apiGroup"), S(3, "name"), S(4, "namespace"));

    private static readonly ProtoMessage RoleRef = new(S(1, "apiGroup"), S(2, "kind"), S(3, "name"));

    private static readonly ProtoMessage RoleBinding = new(M(1, "metadata", ObjectMeta), M(2, "subjects", Subject, repeated: true), M(3, "roleRef", RoleRef));

    private static readonly ProtoMessage PolicyRule = new(
        S(1, "verbs", true), S(2, "apiGroups", true), S(3, "resources", true), S(4, "resourceNames", true), S(5, "nonResourceURLs", true));

    private static readonly ProtoMessage LabelSelector = new(
        new ProtoField(1, "matchLabels", WireType.StringMap),
        M(2, "matchExpressions", new ProtoMessage(S(1, "key"), S(2, "operator"), S(3, "values", true)), repeated: true));

    private static readonly ProtoMessage ClusterRole = new(
        M(1, "metadata", ObjectMeta), M(2, "rules", PolicyRule, repeated: true),
        M(3, "aggregationRule", new ProtoMessage(M(1, "clusterRoleSelectors", LabelSelector, repeated: true))));

    private static readonly ProtoMessage Role = new(M(1, "metadata", ObjectMeta), M(2, "rules", PolicyRule, repeated: true));

    private static readonly ProtoMessage Namespace = new(
        M(1, "metadata", ObjectMeta), M(2, "spec", new ProtoMessage(S(1, "finalizers", true))), M(3, "status", new ProtoMessage(S(1, "phase"))));

    private static readonly ProtoMessage SelfSubjectAccessReview = new(
        M(1, "metadata", ObjectMeta),
        M(2, "spec", new ProtoMessage(
            M(1, "resourceAttributes", new ProtoMessage(S(1, "namespace"), S(2, "verb"), S(3, "group"), S(4, "version"), S(5, "resource"), S(6, "subresource"), S(7, "name"))),
            M(2, "nonResourceAttributes", new ProtoMessage(S(1, "path"), S(2, "verb"))))));

    private static readonly ProtoMessage SelfSubjectRulesReview = new(M(1, "metadata", ObjectMeta), M(2, "spec", new ProtoMessage(S(1, "namespace"))));

    private static readonly ProtoMessage ServiceAccount = new(
        M(1, "metadata", ObjectMeta),
        M(2, "secrets", new ProtoMessage(S(1, "kind"), S(2, "namespace"), S(3, "name"), S(4, "uid"), S(5, "apiVersion"), S(6, "resourceVersion"), S(7, "fieldPath")), repeated: true),
        M(3, "imagePullSecrets", new ProtoMessage(S(1, "name")), repeated: true),
        new ProtoField(4, "automountServiceAccountToken", WireType.Bool));

    private static readonly ProtoMessage TokenRequest = new(
        M(1, "metadata", ObjectMeta),
        M(2, "spec", new ProtoMessage(
            S(1, "audiences", true),
            M(3, "boundObjectRef", new ProtoMessage(S(1, "kind"), S(2, "apiVersion"), S(3, "name"), S(4, "uid"))),
            new ProtoField(4, "expirationSeconds", WireType.Int64))));

    /// <summary>The typed message inside the envelope, by the envelope's kind.</summary>
    public static IReadOnlyDictionary<string, ProtoMessage> ByKind { get; } = new Dictionary<string, ProtoMessage>(StringComparer.Ordinal)
    {
        ["ClusterRoleBinding"] = RoleBinding,
        ["RoleBinding"] = RoleBinding,
        ["ClusterRole"] = ClusterRole,
        ["Role"] = Role,
        ["Namespace"] = Namespace,
        ["SelfSubjectAccessReview"] = SelfSubjectAccessReview,
        ["SelfSubjectRulesReview"] = SelfSubjectRulesReview,
        ["SelfSubjectReview"] = new ProtoMessage(M(1, "metadata", ObjectMeta)),
        ["ServiceAccount"] = ServiceAccount,
        ["TokenRequest"] = TokenRequest,
    };
}
