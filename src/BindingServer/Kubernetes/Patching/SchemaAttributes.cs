namespace BindingServer.Kubernetes.Patching;

/// <summary>
/// <c>listType=atomic</c> / <c>structType=atomic</c>: the value is replaced whole by patches and owned whole
/// by one field manager.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class AtomicAttribute : Attribute;

/// <summary><c>patchStrategy=merge</c> with <c>patchMergeKey</c>: list items are matched by this key.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class MergeKeyAttribute(string key) : Attribute
{
    public string Key { get; } = key;
}

/// <summary><c>listType=set</c> of scalars with <c>patchStrategy=merge</c> (finalizers).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class SetListAttribute : Attribute;
