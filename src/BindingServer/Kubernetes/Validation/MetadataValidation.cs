using System.Text;
using BindingServer.Kubernetes.Model;

namespace BindingServer.Kubernetes.Validation;

/// <summary>apimachinery's ObjectMeta validation on create and on update.</summary>
public static class MetadataValidation
{
    private const int TotalAnnotationSizeLimit = 256 * 1024;
    private static readonly HashSet<string> StandardFinalizers = ["kubernetes", "orphan", "foregroundDeletion"];

    public static List<FieldError> ValidateCreate(ObjectMeta meta, bool namespaced, NameRule nameRule)
    {
        var errors = new List<FieldError>();
        if (!string.IsNullOrEmpty(meta.GenerateName))
        {
            errors.AddRange(nameRule(meta.GenerateName, true)
                .Select(m => FieldError.Invalid("metadata.generateName", meta.GenerateName, m)));
        }

        if (string.IsNullOrEmpty(meta.Name))
        {
            errors.Add(FieldError.Required("metadata.name", "name or generateName is required"));
        }
        else
        {
            errors.AddRange(nameRule(meta.Name, false).Select(m => FieldError.Invalid("metadata.name", meta.Name, m)));
        }

        if (namespaced)
        {
            if (string.IsNullOrEmpty(meta.Namespace))
            {
                errors.Add(FieldError.Required("metadata.namespace"));
            }
            else
            {
                errors.AddRange(NameRules.IsDns1123Label(meta.Namespace)
                    .Select(m => FieldError.Invalid("metadata.namespace", meta.Namespace, m)));
            }
        }
        else if (!string.IsNullOrEmpty(meta.Namespace))
        {
            errors.Add(FieldError.Forbidden("metadata.namespace", "not allowed on this type"));
        }

        errors.AddRange(ValidateCommon(meta));
        return errors;
    }

    public static List<FieldError> ValidateUpdate(ObjectMeta meta, ObjectMeta old)
    {
        var errors = new List<FieldError>();
        Immutable(errors, "metadata.name", meta.Name, old.Name);
        Immutable(errors, "metadata.namespace", meta.Namespace, old.Namespace);
        Immutable(errors, "metadata.uid", meta.Uid, old.Uid);
        errors.AddRange(ValidateCommon(meta));
        if (old.DeletionTimestamp is not null)
        {
            var added = (meta.Finalizers ?? []).Except(old.Finalizers ?? [], StringComparer.Ordinal).ToList();
            if (added.Count > 0)
            {
                errors.Add(FieldError.Forbidden("metadata.finalizers",
                    $"no new finalizers can be added if the object is being deleted, found new finalizers {GoFormat.Value(added)}"));
            }
        }

        return errors;
    }

    private static void Immutable(List<FieldError> errors, string field, string? value, string? old)
    {
        if (!string.Equals(value ?? "", old ?? "", StringComparison.Ordinal))
        {
            errors.Add(FieldError.Invalid(field, value ?? "", "field is immutable"));
        }
    }

    private static IEnumerable<FieldError> ValidateCommon(ObjectMeta meta)
    {
        if (meta.Generation < 0)
        {
            yield return FieldError.Invalid("metadata.generation", meta.Generation, "must be greater than or equal to 0");
        }

        foreach (var error in ValidateLabels(meta.Labels, "metadata.labels"))
        {
            yield return error;
        }

        foreach (var error in ValidateAnnotations(meta.Annotations))
        {
            yield return error;
        }

        for (var i = 0; i < (meta.Finalizers?.Count ?? 0); i++)
        {
            var finalizer = meta.Finalizers![i];
            var messages = NameRules.IsQualifiedName(finalizer);
            foreach (var message in messages)
            {
                yield return FieldError.Invalid("metadata.finalizers", finalizer, message);
            }

            if (messages.Count == 0 && !finalizer.Contains('/', StringComparison.Ordinal) && !StandardFinalizers.Contains(finalizer))
            {
                yield return FieldError.Invalid("metadata.finalizers", finalizer,
                    "name is neither a standard finalizer name nor is it fully qualified");
            }
        }

        for (var i = 0; i < (meta.OwnerReferences?.Count ?? 0); i++)
        {
            var owner = meta.OwnerReferences![i];
            var path = "metadata.ownerReferences";
            if (string.IsNullOrEmpty(owner.ApiVersion))
            {
                yield return FieldError.Invalid(path + ".apiVersion", owner.ApiVersion ?? "", "version must not be empty");
            }

            if (string.IsNullOrEmpty(owner.Kind))
            {
                yield return FieldError.Invalid(path + ".kind", owner.Kind ?? "", "kind must not be empty");
            }

            if (string.IsNullOrEmpty(owner.Name))
            {
                yield return FieldError.Invalid(path + ".name", owner.Name ?? "", "name must not be empty");
            }

            if (string.IsNullOrEmpty(owner.Uid))
            {
                yield return FieldError.Invalid(path + ".uid", owner.Uid ?? "", "uid must not be empty");
            }
        }
    }

    public static IEnumerable<FieldError> ValidateLabels(Dictionary<string, string>? labels, string field)
    {
        foreach (var (key, value) in (labels ?? []).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            foreach (var message in NameRules.IsQualifiedName(key))
            {
                yield return FieldError.Invalid(field, key, message);
            }

            foreach (var message in NameRules.IsLabelValue(value))
            {
                yield return FieldError.Invalid(field, value, message);
            }
        }
    }

    private static IEnumerable<FieldError> ValidateAnnotations(Dictionary<string, string>? annotations)
    {
        var total = 0L;
        foreach (var (key, value) in (annotations ?? []).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            foreach (var message in NameRules.IsQualifiedName(key.ToLowerInvariant()))
            {
                yield return FieldError.Invalid("metadata.annotations", key, message);
            }

            total += Encoding.UTF8.GetByteCount(key) + Encoding.UTF8.GetByteCount(value);
        }

        if (total > TotalAnnotationSizeLimit)
        {
            yield return FieldError.TooLong("metadata.annotations", TotalAnnotationSizeLimit);
        }
    }
}
