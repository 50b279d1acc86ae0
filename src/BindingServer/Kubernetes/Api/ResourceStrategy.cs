using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.Tables;
using BindingServer.Kubernetes.Validation;

namespace BindingServer.Kubernetes.Api;

/// <summary>What a DELETE of this kind answers with.</summary>
public enum DeleteResponse
{
    /// <summary>A Success Status with details (RBAC kinds).</summary>
    Status,

    /// <summary>The deleted object itself (pods, namespaces).</summary>
    Object,
}

/// <summary>How a delete proceeds once finalizers are out of the way.</summary>
public abstract record DeletePlan
{
    /// <summary>Remove the object now.</summary>
    public static readonly DeletePlan Now = new Immediate();

    public sealed record Immediate : DeletePlan;

    /// <summary>Keep the object, marked with this deletion time and grace period, until something finishes it.</summary>
    public sealed record Graceful(DateTimeOffset DeletionTimestamp, long GracePeriodSeconds) : DeletePlan;

    /// <summary>Nothing to change: the object is already on its way out.</summary>
    public sealed record Unchanged : DeletePlan;
}

/// <summary>What is special about one kind; the generic handlers call it at fixed points.</summary>
public interface IResourceStrategy
{
    Type ObjectType { get; }
    NameRule NameRule { get; }
    bool AllowCreateOnUpdate { get; }
    DeleteResponse DeleteResponse { get; }
    TableDefinition Table { get; }

    /// <summary>Fields a field selector may name, beyond <c>metadata.name</c> and <c>metadata.namespace</c>.</summary>
    IReadOnlyDictionary<string, Func<KubeObject, string>> SelectableFields { get; }

    /// <summary>The 400 message for a field selector on an unsupported field.</summary>
    string UnsupportedFieldSelector(string field);

    /// <summary>Kind-specific deletion (pods' grace periods, namespaces' termination); may refuse with an API error.</summary>
    DeletePlan PlanDelete(KubeObject obj, DeleteOptions options, DateTimeOffset now);

    /// <summary>Whether an object marked for deletion may now be removed (no finalizers left).</summary>
    bool ReadyToRemove(KubeObject obj);

    void ApplyDefaults(KubeObject obj);
    void PrepareForCreate(KubeObject obj);
    void PrepareForUpdate(KubeObject obj, KubeObject old);

    /// <summary>A write through the <c>status</c> subresource: everything but status (and metadata) stays as it was.</summary>
    void PrepareForStatusUpdate(KubeObject obj, KubeObject old);

    IReadOnlyList<FieldError> Validate(KubeObject obj);
    IReadOnlyList<FieldError> ValidateUpdate(KubeObject obj, KubeObject old);
}

/// <summary>Do-nothing defaults, so a kind's strategy holds only what differs.</summary>
public abstract class ResourceStrategy<T> : IResourceStrategy where T : KubeObject
{
    public Type ObjectType => typeof(T);
    public virtual NameRule NameRule => NameRules.Dns1123SubdomainName;
    public virtual bool AllowCreateOnUpdate => false;
    public virtual DeleteResponse DeleteResponse => DeleteResponse.Object;
    public virtual TableDefinition Table => TableDefinition.Default;
    public virtual IReadOnlyDictionary<string, Func<KubeObject, string>> SelectableFields { get; } =
        new Dictionary<string, Func<KubeObject, string>>();

    /// <summary>The message of apimachinery's default field-label conversion.</summary>
    public virtual string UnsupportedFieldSelector(string field) =>
        $"\"{field}\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"";

    protected virtual DeletePlan PlanDelete(T obj, DeleteOptions options, DateTimeOffset now) => DeletePlan.Now;

    protected virtual bool ReadyToRemove(T obj) => (obj.Metadata.Finalizers?.Count ?? 0) == 0;

    protected virtual void ApplyDefaults(T obj)
    {
    }

    protected virtual void PrepareForCreate(T obj)
    {
    }

    protected virtual void PrepareForUpdate(T obj, T old)
    {
    }

    /// <summary>
    /// As the apiserver's status strategies: the spec is the stored one, and so are the owner references (kept from
    /// writers of status, as the pod strategy does).
    /// </summary>
    protected virtual void PrepareForStatusUpdate(T obj, T old)
    {
        if (typeof(T).GetProperty("Spec") is { CanRead: true, CanWrite: true } spec)
        {
            spec.SetValue(obj, spec.GetValue(old));
        }

        obj.Metadata.OwnerReferences = old.Metadata.OwnerReferences;
    }

    protected virtual IReadOnlyList<FieldError> Validate(T obj) => [];

    protected virtual IReadOnlyList<FieldError> ValidateUpdate(T obj, T old) => Validate(obj);

    DeletePlan IResourceStrategy.PlanDelete(KubeObject obj, DeleteOptions options, DateTimeOffset now) => PlanDelete((T)obj, options, now);
    bool IResourceStrategy.ReadyToRemove(KubeObject obj) => ReadyToRemove((T)obj);
    void IResourceStrategy.ApplyDefaults(KubeObject obj) => ApplyDefaults((T)obj);
    void IResourceStrategy.PrepareForCreate(KubeObject obj) => PrepareForCreate((T)obj);
    void IResourceStrategy.PrepareForUpdate(KubeObject obj, KubeObject old) => PrepareForUpdate((T)obj, (T)old);
    void IResourceStrategy.PrepareForStatusUpdate(KubeObject obj, KubeObject old) => PrepareForStatusUpdate((T)obj, (T)old);
    IReadOnlyList<FieldError> IResourceStrategy.Validate(KubeObject obj) => Validate((T)obj);
    IReadOnlyList<FieldError> IResourceStrategy.ValidateUpdate(KubeObject obj, KubeObject old) => ValidateUpdate((T)obj, (T)old);
}
