using BindingServer.Kubernetes.Model;
using BindingServer.Kubernetes.Validation;

namespace BindingServer.Kubernetes.Errors;

/// <summary>
/// A failure that ends the request with a Kubernetes <c>Status</c>. Thrown from deep inside the generic
/// handlers (store conflicts, decode errors) and rendered in one place, as apiserver's <c>scope.err</c> does.
/// </summary>
public sealed class KubeApiException(Status status) : Exception(status.Message)
{
    public Status Status { get; } = status;
    public int HttpCode => Status.Code ?? 500;
}

/// <summary>A group and a plural resource name, printed as apimachinery prints <c>GroupResource</c>.</summary>
public readonly record struct GroupResource(string Group, string Resource)
{
    public override string ToString() => Group.Length == 0 ? Resource : $"{Resource}.{Group}";
}

/// <summary>The constructors of apimachinery's <c>pkg/api/errors</c>: codes, reasons and message formats.</summary>
public static class StatusErrors
{
    private static KubeApiException Failure(int code, string reason, string message, StatusDetails? details = null) =>
        new(new Status { Outcome = "Failure", Code = code, Reason = reason.Length == 0 ? null : reason, Message = message, Details = details });

    private static StatusDetails Details(GroupResource resource, string name) =>
        new() { Name = name, Group = resource.Group, Kind = resource.Resource };

    public static KubeApiException NotFound(GroupResource resource, string name) =>
        Failure(404, "NotFound", $"{resource} \"{name}\" not found", Details(resource, name));

    public static KubeApiException AlreadyExists(GroupResource resource, string name) =>
        Failure(409, "AlreadyExists", $"{resource} \"{name}\" already exists", Details(resource, name));

    public static KubeApiException GenerateNameConflict(GroupResource resource, string name)
    {
        var error = Failure(409, "AlreadyExists",
            $"{resource} \"{name}\" already exists, the server was not able to generate a unique name for the object",
            Details(resource, name));
        error.Status.Details!.RetryAfterSeconds = 1;
        return error;
    }

    public static KubeApiException Conflict(GroupResource resource, string name, string why) =>
        Failure(409, "Conflict", $"Operation cannot be fulfilled on {resource} \"{name}\": {why}", Details(resource, name));

    public const string ModifiedMessage =
        "the object has been modified; please apply your changes to the latest version and try again";

    public static KubeApiException Invalid(string kind, string group, string name, IReadOnlyList<FieldError> errors)
    {
        var qualified = group.Length == 0 ? kind : $"{kind}.{group}";
        var message = errors.Count == 0
            ? $"{qualified} \"{name}\" is invalid"
            : $"{qualified} \"{name}\" is invalid: {FieldError.Aggregate(errors)}";
        return Failure(422, "Invalid", message, new StatusDetails
        {
            Name = name,
            Group = group,
            Kind = kind,
            Causes = errors.Count == 0
                ? null
                : errors.Select(e => new StatusCause { Reason = e.CauseReason, Message = e.Body, Field = e.Field }).ToList(),
        });
    }

    /// <summary>Invalid request options (<c>CreateOptions</c>, <c>ListOptions</c>, ...): kind and group only, empty name.</summary>
    public static KubeApiException InvalidOptions(string optionsKind, params FieldError[] errors) =>
        Invalid(optionsKind, "meta.k8s.io", "", errors);

    public static KubeApiException BadRequest(string message) => Failure(400, "BadRequest", message);

    public static KubeApiException Forbidden(GroupResource resource, string name, string why) =>
        Failure(403, "Forbidden",
            resource.Resource.Length == 0 && resource.Group.Length == 0 ? $"forbidden: {why}"
            : name.Length == 0 ? $"{resource} is forbidden: {why}" : $"{resource} \"{name}\" is forbidden: {why}",
            Details(resource, name));

    public static KubeApiException MethodNotAllowed() =>
        Failure(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", new StatusDetails());

    public static KubeApiException NotAcceptable(string message) => Failure(406, "NotAcceptable", message);

    public static KubeApiException UnsupportedMediaType(string accepted) =>
        Failure(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: {accepted}");

    public static KubeApiException Expired(string message) => Failure(410, "Expired", message);

    public static KubeApiException TooLarge() =>
        Failure(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728");

    public static KubeApiException RouteNotFound() =>
        Failure(404, "NotFound", "the server could not find the requested resource", new StatusDetails());

    /// <summary>A plain Go error that reached the response writer: 500 with no reason, as the real server does.</summary>
    public static KubeApiException PlainError(string message) => Failure(500, "", message);

    public static KubeApiException Timeout(string message, StatusCause cause) =>
        Failure(504, "Timeout", $"Timeout: {message}", new StatusDetails { Causes = [cause], RetryAfterSeconds = 1 });

    public static KubeApiException TooManyRequests(string message, int retryAfterSeconds) =>
        Failure(429, "TooManyRequests", message, new StatusDetails { RetryAfterSeconds = retryAfterSeconds });

    public static KubeApiException ServiceUnavailable(string message) => Failure(503, "ServiceUnavailable", message);

    public static KubeApiException Internal(string message) =>
        Failure(500, "InternalError", $"Internal error occurred: {message}",
            new StatusDetails { Causes = [new StatusCause { Message = message }] });
}
