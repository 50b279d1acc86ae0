namespace BindingServer.Kubernetes.OpenApi;

/// <summary>The name of a type's schema in the OpenAPI documents, as Kubernetes names it (<c>io.k8s.api.rbac.v1.Subject</c>).</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class SchemaNameAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}

/// <summary>A field the schema lists as required.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class RequiredAttribute : Attribute;

/// <summary>A kind with only <c>kind</c> and <c>apiVersion</c> besides its own fields, such as OpenShift's reviews: no metadata in its schema.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class TypeMetaOnlyAttribute : Attribute;
