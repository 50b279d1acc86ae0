using System.Text.Json.Serialization;
using System.ComponentModel;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.OpenApi;

namespace BindingServer.Kubernetes.Model;

/// <summary><c>meta/v1 Status</c>, the body of every error and of some successful deletes.</summary>
[SchemaName("io.k8s.apimachinery.pkg.apis.meta.v1.Status")]
[Description("The result of an operation that does not return an object: every error, and some successful deletes.")]
public sealed class Status
{
    [Description("Always Status.")]
    public string Kind { get; set; } = "Status";

    [Description("Always v1.")]
    public string ApiVersion { get; set; } = "v1";

    [EmitEmpty]
    [Description("List metadata; empty.")]
    public ListMeta Metadata { get; set; } = new();

    [JsonPropertyName("status")]
    [Description("Success or Failure.")]
    public string? Outcome { get; set; }

    [Description("A human-readable description of what happened.")]
    public string? Message { get; set; }

    [Description("A machine-readable reason for a failure, such as NotFound, AlreadyExists, Conflict or Invalid.")]
    public string? Reason { get; set; }

    [Description("What the failure concerns: the object's name, group and kind, and for validation failures the field causes.")]
    public StatusDetails? Details { get; set; }

    [Description("The HTTP status code of the answer.")]
    public int? Code { get; set; }
}

[SchemaName("io.k8s.apimachinery.pkg.apis.meta.v1.StatusDetails")]
[Description("Details of a failure.")]
public sealed class StatusDetails
{
    public string? Name { get; set; }
    public string? Group { get; set; }
    public string? Kind { get; set; }
    public string? Uid { get; set; }
    public List<StatusCause>? Causes { get; set; }
    public int? RetryAfterSeconds { get; set; }
}

[SchemaName("io.k8s.apimachinery.pkg.apis.meta.v1.StatusCause")]
[Description("One cause of a failure, usually one invalid field.")]
public sealed class StatusCause
{
    public string? Reason { get; set; }
    public string? Message { get; set; }
    public string? Field { get; set; }
}
