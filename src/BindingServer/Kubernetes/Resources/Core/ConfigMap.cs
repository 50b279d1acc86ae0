using System.ComponentModel;
using System.Text;
using System.Text.RegularExpressions;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.OpenApi;
using BindingServer.Kubernetes.Protobuf;
using BindingServer.Kubernetes.Tables;
using BindingServer.Kubernetes.Validation;

namespace BindingServer.Kubernetes.Resources.Core;

[SchemaName("io.k8s.api.core.v1.ConfigMap")]
[Description("Configuration data for pods to consume: text values in data, binary ones (base64 in JSON) in binaryData.")]
public sealed class ConfigMap : KubeObject
{
    [Description("When true, data and binaryData can no longer be changed, nor this field unset; only deleting the ConfigMap undoes it.")]
    public bool? Immutable { get; set; }

    [Description("Text configuration, by key. Keys consist of alphanumeric characters, '-', '_' or '.', and appear in data or binaryData, not both.")]
    public Dictionary<string, string>? Data { get; set; }

    [Description("Binary configuration, by key, base64-encoded in JSON; the same key rules as data.")]
    public Dictionary<string, byte[]>? BinaryData { get; set; }
}

/// <summary>
/// ConfigMaps (<c>pkg/registry/core/configmap</c>): a DNS subdomain name, keys as <c>IsConfigMapKey</c> checks them, at
/// most 1 MiB of values, and <c>immutable</c> freezing the data once set.
/// </summary>
public sealed partial class ConfigMapStrategy : ResourceStrategy<ConfigMap>
{
    /// <summary>The most data and binaryData may hold together (<c>core.MaxSecretSize</c>).</summary>
    private const int MaxSize = 1 << 20;

    private const string ImmutableMessage = "field is immutable when `immutable` is set";

    public static ResourceDefinition Definition { get; } = new()
    {
        Group = "",
        Version = "v1",
        Kind = "ConfigMap",
        Plural = "configmaps",
        Singular = "configmap",
        Namespaced = true,
        ShortNames = ["cm"],
        Strategy = new ConfigMapStrategy(),
        Protobuf = new(
            ProtoSchemas.M(1, "metadata", ProtoSchemas.ObjectMeta),
            new ProtoField(2, "data", WireType.StringMap),
            new ProtoField(3, "binaryData", WireType.BytesMap),
            new ProtoField(4, "immutable", WireType.Bool, Pointer: true)),
    };

    public override TableDefinition Table { get; } = new([
        TableDefinition.NameColumn,
        new TableColumn("Data", "string", "",
            "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process.",
            0, (o, _) => (long)((((ConfigMap)o).Data?.Count ?? 0) + (((ConfigMap)o).BinaryData?.Count ?? 0))),
        TableDefinition.AgeColumn,
    ]);

    /// <summary>A null binaryData value is Go's nil []byte, which the apiserver stores and shows as empty.</summary>
    protected override void ApplyDefaults(ConfigMap obj)
    {
        foreach (var key in obj.BinaryData?.Where(p => p.Value is null).Select(p => p.Key).ToList() ?? [])
        {
            obj.BinaryData![key] = [];
        }
    }

    protected override IReadOnlyList<FieldError> Validate(ConfigMap obj)
    {
        var errors = MetadataValidation.ValidateCreate(obj.Metadata, namespaced: true, NameRule);
        errors.AddRange(ValidateData(obj));
        return errors;
    }

    protected override IReadOnlyList<FieldError> ValidateUpdate(ConfigMap obj, ConfigMap old)
    {
        var errors = MetadataValidation.ValidateUpdate(obj.Metadata, old.Metadata);
        if (old.Immutable == true)
        {
            if (obj.Immutable != true)
            {
                errors.Add(FieldError.Forbidden("immutable", ImmutableMessage));
            }

            if (!SameEntries(obj.Data, old.Data, string.Equals))
            {
                errors.Add(FieldError.Forbidden("data", ImmutableMessage));
            }

            if (!SameEntries(obj.BinaryData, old.BinaryData, (a, b) => a.AsSpan().SequenceEqual(b)))
            {
                errors.Add(FieldError.Forbidden("binaryData", ImmutableMessage));
            }
        }

        errors.AddRange(ValidateData(obj));
        return errors;
    }

    private static IEnumerable<FieldError> ValidateData(ConfigMap obj)
    {
        var size = 0;
        foreach (var (key, value) in (obj.Data ?? []).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            foreach (var message in KeyErrors(key))
            {
                yield return FieldError.Invalid($"data[{key}]", key, message);
            }

            if (obj.BinaryData?.ContainsKey(key) == true)
            {
                yield return FieldError.Invalid($"data[{key}]", key, "duplicate of key present in binaryData");
            }

            size += Encoding.UTF8.GetByteCount(value);
        }

        foreach (var (key, value) in (obj.BinaryData ?? []).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            foreach (var message in KeyErrors(key))
            {
                yield return FieldError.Invalid($"binaryData[{key}]", key, message);
            }

            size += value?.Length ?? 0;
        }

        if (size > MaxSize)
        {
            yield return FieldError.TooLong("", MaxSize);
        }
    }

    /// <summary>apimachinery's <c>IsConfigMapKey</c>, message for message.</summary>
    private static IEnumerable<string> KeyErrors(string key)
    {
        if (Encoding.UTF8.GetByteCount(key) > 253)
        {
            yield return NameRules.MaxLengthError(253);
        }

        if (!ConfigKey().IsMatch(key))
        {
            yield return NameRules.RegexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", "[-._a-zA-Z0-9]+",
                "key.name", "KEY_NAME", "key-name");
        }

        if (key == ".")
        {
            yield return "must not be '.'";
        }
        else if (key == "..")
        {
            yield return "must not be '..'";
        }
        else if (key.StartsWith("..", StringComparison.Ordinal))
        {
            yield return "must not start with '..'";
        }
    }

    private static bool SameEntries<T>(Dictionary<string, T>? a, Dictionary<string, T>? b, Func<T, T, bool> equal) =>
        (a?.Count ?? 0) == (b?.Count ?? 0) &&
        (a ?? []).All(p => b is not null && b.TryGetValue(p.Key, out var other) && equal(p.Value, other));

    [GeneratedRegex("^[-._a-zA-Z0-9]+$")]
    private static partial Regex ConfigKey();
}
