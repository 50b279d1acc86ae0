using System.Text.Json.Nodes;

namespace BindingServer.CloudFoundry;

/// <summary>A Cloud Controller v2 error: HTTP status plus the <c>{description, error_code, code}</c> body.</summary>
public sealed class CfApiException(int status, string name, int code, string description, JsonObject? http = null) : Exception(description)
{
    /// <summary>Broker-originated errors say which broker request failed: <c>{method, status}</c> or <c>{uri, method}</c>.</summary>
    public JsonObject? Http { get; } = http;

    public int Status { get; } = status;
    public string ErrorCode { get; } = name == "UnknownError" ? name : "CF-" + name;
    public int Code { get; } = code;
    public string Description { get; } = description;

    public JsonObject Body()
    {
        if (Status == 500 && ErrorCode == "UnknownError")
        {
            return new JsonObject { ["error_code"] = ErrorCode, ["description"] = Description, ["code"] = Code };
        }

        var body = new JsonObject { ["description"] = Description, ["error_code"] = ErrorCode, ["code"] = Code };
        if (Http is not null)
        {
            body["http"] = Http.DeepClone();
        }

        return body;
    }

    /// <summary>The same error with more said first, as CC re-raises a broker's error for the operation that hit it.</summary>
    public CfApiException WithDescriptionPrefix(string prefix) =>
        new(Status, ErrorCode == "UnknownError" ? ErrorCode : ErrorCode["CF-".Length..], Code, prefix + Description, Http);

    // The entries of cloud_controller_ng's errors/v2.yml this server raises.
    public static CfApiException NotAuthenticated() => new(401, "NotAuthenticated", 10002, "Authentication error");
    public static CfApiException InvalidAuthToken() => new(401, "InvalidAuthToken", 1000, "Invalid Auth Token");
    public static CfApiException InsufficientScope() => new(403, "InsufficientScope", 10007, "Your token lacks the necessary scopes to access this resource.");
    public static CfApiException VolumeMountServiceDisabled() => new(403, "VolumeMountServiceDisabled", 60025, "Support for volume mount services is disabled");
    public static CfApiException OrgSuspended() => new(403, "OrgSuspended", 10017, "The organization is suspended");
    public static CfApiException NotAuthorized() => new(403, "NotAuthorized", 10003, "You are not authorized to perform the requested action");
    public static CfApiException RouteNotFound() => new(404, "NotFound", 10000, "Unknown request");
    public static CfApiException MessageParse(string detail) => new(400, "MessageParseError", 1001, $"Request invalid due to parse error: {detail}");
    public static CfApiException InvalidRequest() => new(400, "InvalidRequest", 10004, "The request is invalid");
    public static CfApiException BadQuery(string detail) => new(400, "BadQueryParameter", 10005, $"The query parameter is invalid: {detail}");
    public static CfApiException OrderBy(string value) => new(500, "OrderByParameterInvalid", 10012, $"Cannot order by: {value}");
    public static CfApiException Unknown() => new(500, "UnknownError", 10001, "An unknown error occurred.");
    public static CfApiException AssociationNotEmpty(string association, string owner) =>
        new(400, "AssociationNotEmpty", 10006, $"Please delete the {association} associations for your {owner}.");
    public static CfApiException AppNotFound(string guid) => new(404, "AppNotFound", 100004, $"The app could not be found: {guid}");
    public static CfApiException AppNameTaken(string name) => new(400, "AppNameTaken", 100002, $"The app name is taken: {name}");
    public static CfApiException SpaceNotFound(string guid) => new(404, "SpaceNotFound", 40004, $"The app space could not be found: {guid}");
    public static CfApiException OrganizationNotFound(string guid) => new(404, "OrganizationNotFound", 30003, $"The organization could not be found: {guid}");
    public static CfApiException InvalidRelation(string detail) => new(400, "InvalidRelation", 1002, detail);
    public static CfApiException ServiceInstanceNotFound(string guid) => new(404, "ServiceInstanceNotFound", 60004, $"The service instance could not be found: {guid}");
    public static CfApiException UserProvidedServiceInstanceNotFound(string guid) =>
        new(404, "UserProvidedServiceInstanceNotFound", 340001, $"The service instance could not be found: {guid}");
    public static CfApiException ServiceInstanceNameTaken(string name) => new(400, "ServiceInstanceNameTaken", 60002, $"The service instance name is taken: {name}");
    public static CfApiException ServiceInstanceInvalid(string detail) => new(400, "ServiceInstanceInvalid", 60003, $"The service instance is invalid: {detail}");
    public static CfApiException InstanceOperationInProgress(string name) =>
        new(409, "AsyncServiceInstanceOperationInProgress", 60016, $"An operation for service instance {name} is in progress.");
    public static CfApiException BindingNotFound(string guid) => new(404, "ServiceBindingNotFound", 90004, $"The service binding could not be found: {guid}");
    public static CfApiException BindingTaken(string detail) => new(400, "ServiceBindingAppServiceTaken", 90003, detail);
    public static CfApiException Unbindable() => new(400, "UnbindableService", 90005, "The service instance doesn't support binding.");
    public static CfApiException BindingInvalid(string detail) => new(400, "ServiceBindingInvalid", 90001, $"The service binding is invalid: {detail}");
    public static CfApiException ParametersNotSupported() =>
        new(400, "ServiceFetchBindingParametersNotSupported", 90007, "This service does not support fetching service binding parameters.");
    public static CfApiException BindingOperationInProgress(string app, string instance) =>
        new(409, "AsyncServiceBindingOperationInProgress", 90008, $"An operation for the service binding between app {app} and service instance {instance} is in progress.");
    public static CfApiException AsyncNotAllowed() => new(502, "ServiceBrokerRespondedAsyncWhenNotAllowed", 270017,
        "The service broker responded asynchronously to a request, but the accepts_incomplete query parameter was false or not given.");
}
