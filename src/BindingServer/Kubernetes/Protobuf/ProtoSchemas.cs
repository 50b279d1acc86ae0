namespace BindingServer.Kubernetes.Protobuf;

/// <summary>
/// Field numbers of the Kubernetes protobuf messages the server reads, from the <c>generated.proto</c> files of
/// kubernetes/apimachinery and kubernetes/api (as recorded in the reference notes). Fields not listed are skipped. Each
/// kind names its message in its <see cref="Api.ResourceDefinition.Protobuf"/>; the shared parts (object metadata,
/// RBAC rules and subjects) are building blocks for new ones.
/// </summary>
public static class ProtoSchemas
{
    /// <summary>A string field (proto2: an empty string is absent).</summary>
    public static ProtoField S(int number, string name, bool repeated = false) => new(number, name, WireType.String, Repeated: repeated);

    /// <summary>A nested message field.</summary>
    public static ProtoField M(int number, string name, ProtoMessage message, bool repeated = false) =>
        new(number, name, WireType.Message, message, repeated);

    public static ProtoMessage MapEntry { get; } = new(S(1, "key"), S(2, "value"));

    public static ProtoMessage BytesMapEntry { get; } = new(S(1, "key"), new ProtoField(2, "value", WireType.Bytes));

    public static ProtoMessage Time { get; } = new(new ProtoField(1, "seconds", WireType.Int64), new ProtoField(2, "nanos", WireType.Int32));

    public static ProtoMessage Unknown { get; } = new(
        M(1, "typeMeta", new ProtoMessage(S(1, "apiVersion"), S(2, "kind"))),
        new ProtoField(2, "raw", WireType.Bytes),
        S(3, "contentEncoding"),
        S(4, "contentType"));

    public static ProtoMessage OwnerReference { get; } = new(
        S(1, "kind"), S(3, "name"), S(4, "uid"), S(5, "apiVersion"),
        new ProtoField(6, "controller", WireType.Bool, Pointer: true), new ProtoField(7, "blockOwnerDeletion", WireType.Bool, Pointer: true));

    public static ProtoMessage ObjectMeta { get; } = new(
        S(1, "name"), S(2, "generateName"), S(3, "namespace"), S(4, "selfLink"), S(5, "uid"), S(6, "resourceVersion"),
        new ProtoField(7, "generation", WireType.Int64),
        new ProtoField(8, "creationTimestamp", WireType.Time),
        new ProtoField(9, "deletionTimestamp", WireType.Time),
        new ProtoField(10, "deletionGracePeriodSeconds", WireType.Int64, Pointer: true),
        new ProtoField(11, "labels", WireType.StringMap),
        new ProtoField(12, "annotations", WireType.StringMap),
        M(13, "ownerReferences", OwnerReference, repeated: true),
        S(14, "finalizers", repeated: true));

    public static ProtoMessage Subject { get; } = new(S(1, "kind"), S(2, "apiGroup"), S(3, "name"), S(4, "namespace"));

    public static ProtoMessage RoleRef { get; } = new(S(1, "apiGroup"), S(2, "kind"), S(3, "name"));

    public static ProtoMessage RoleBinding { get; } = new(M(1, "metadata", ObjectMeta), M(2, "subjects", Subject, repeated: true), M(3, "roleRef", RoleRef));

    public static ProtoMessage PolicyRule { get; } = new(
        S(1, "verbs", true), S(2, "apiGroups", true), S(3, "resources", true), S(4, "resourceNames", true), S(5, "nonResourceURLs", true));

    public static ProtoMessage LabelSelector { get; } = new(
        new ProtoField(1, "matchLabels", WireType.StringMap),
        M(2, "matchExpressions", new ProtoMessage(S(1, "key"), S(2, "operator"), S(3, "values", true)), repeated: true));

    public static ProtoMessage ClusterRole { get; } = new(
        M(1, "metadata", ObjectMeta), M(2, "rules", PolicyRule, repeated: true),
        M(3, "aggregationRule", new ProtoMessage(M(1, "clusterRoleSelectors", LabelSelector, repeated: true))));

    public static ProtoMessage Role { get; } = new(M(1, "metadata", ObjectMeta), M(2, "rules", PolicyRule, repeated: true));

    public static ProtoMessage Namespace { get; } = new(
        M(1, "metadata", ObjectMeta), M(2, "spec", new ProtoMessage(S(1, "finalizers", true))), M(3, "status", new ProtoMessage(S(1, "phase"))));

    public static ProtoMessage SelfSubjectAccessReview { get; } = new(
        M(1, "metadata", ObjectMeta),
        M(2, "spec", new ProtoMessage(
            M(1, "resourceAttributes", new ProtoMessage(S(1, "namespace"), S(2, "verb"), S(3, "group"), S(4, "version"), S(5, "resource"), S(6, "subresource"), S(7, "name"))),
            M(2, "nonResourceAttributes", new ProtoMessage(S(1, "path"), S(2, "verb"))))));

    public static ProtoMessage SelfSubjectRulesReview { get; } = new(M(1, "metadata", ObjectMeta), M(2, "spec", new ProtoMessage(S(1, "namespace"))));

    public static ProtoMessage SelfSubjectReview { get; } = new(M(1, "metadata", ObjectMeta));

    public static ProtoMessage ServiceAccount { get; } = new(
        M(1, "metadata", ObjectMeta),
        M(2, "secrets", new ProtoMessage(S(1, "kind"), S(2, "namespace"), S(3, "name"), S(4, "uid"), S(5, "apiVersion"), S(6, "resourceVersion"), S(7, "fieldPath")), repeated: true),
        M(3, "imagePullSecrets", new ProtoMessage(S(1, "name")), repeated: true),
        new ProtoField(4, "automountServiceAccountToken", WireType.Bool, Pointer: true));

    public static ProtoMessage TokenRequest { get; } = new(
        M(1, "metadata", ObjectMeta),
        M(2, "spec", new ProtoMessage(
            S(1, "audiences", true),
            M(3, "boundObjectRef", new ProtoMessage(S(1, "kind"), S(2, "apiVersion"), S(3, "name"), S(4, "uid"))),
            new ProtoField(4, "expirationSeconds", WireType.Int64, Pointer: true))));
}
