using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.Tables;
using BindingServer.Kubernetes.Validation;

namespace BindingServer.Kubernetes.Api;

/// <summary>
/// The strategy of a kind's <c>status</c> subresource: reads and lists as the kind, but an update keeps the stored
/// spec (see <see cref="IResourceStrategy.PrepareForStatusUpdate"/>), checks only what a metadata update must
/// respect, and never creates.
/// </summary>
public sealed class StatusStrategy(IResourceStrategy kind) : IResourceStrategy
{
    public Type ObjectType => kind.ObjectType;
    public NameRule NameRule => kind.NameRule;
    public bool AllowCreateOnUpdate => false;
    public DeleteResponse DeleteResponse => kind.DeleteResponse;
    public TableDefinition Table => kind.Table;
    public IReadOnlyDictionary<string, Func<KubeObject, string>> SelectableFields => kind.SelectableFields;

    public string UnsupportedFieldSelector(string field) => kind.UnsupportedFieldSelector(field);

    public DeletePlan PlanDelete(KubeObject obj, DeleteOptions options, DateTimeOffset now) => kind.PlanDelete(obj, options, now);

    public bool ReadyToRemove(KubeObject obj) => kind.ReadyToRemove(obj);

    public void ApplyDefaults(KubeObject obj) => kind.ApplyDefaults(obj);

    public void PrepareForCreate(KubeObject obj) => kind.PrepareForCreate(obj);

    public void PrepareForUpdate(KubeObject obj, KubeObject old) => kind.PrepareForStatusUpdate(obj, old);

    public void PrepareForStatusUpdate(KubeObject obj, KubeObject old) => kind.PrepareForStatusUpdate(obj, old);

    public IReadOnlyList<FieldError> Validate(KubeObject obj) => kind.Validate(obj);

    public IReadOnlyList<FieldError> ValidateUpdate(KubeObject obj, KubeObject old) => MetadataValidation.ValidateUpdate(obj.Metadata, old.Metadata);
}
