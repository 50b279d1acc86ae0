using System.Text.Json.Nodes;

namespace BindingServer.CloudFoundry.Brokers;

/// <summary>
/// The errors Cloud Controller makes of a broker's answers (its <c>ServiceBrokers::V2::Errors</c>): every one has code
/// 10001 and an <c>http</c> object naming the broker request, and the statuses CC gives them.
/// </summary>
public static class BrokerErrors
{
    private static JsonObject Http(BrokerAnswer answer) => new() { ["method"] = answer.Method, ["status"] = answer.Status };

    private static string StatusLine(BrokerAnswer answer) =>
        $"Status Code: {answer.Status} {Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(answer.Status)}, Body: {answer.Body}";

    /// <summary>The broker's own <c>description</c>, when its body is a JSON object that has one.</summary>
    private static string? Description(BrokerAnswer answer) => answer.Json is JsonObject body && body.ContainsKey("description")
        ? (body["description"] is JsonValue value && value.TryGetValue<string>(out var text) ? text : body["description"]?.ToJsonString())
        : null;

    public static CfApiException BadResponse(BrokerAnswer answer, bool ignoreDescription = false) =>
        new(502, "ServiceBrokerBadResponse", 10001, Description(answer) is { } description && !ignoreDescription
            ? $"Service broker error: {description}"
            : $"The service broker returned an invalid response for the request to {answer.Uri}. {StatusLine(answer)}", Http(answer));

    public static CfApiException RequestRejected(BrokerAnswer answer) =>
        new(502, "ServiceBrokerRequestRejected", 10001, Description(answer) is { } description
            ? $"Service broker error: {description}"
            : $"The service broker rejected the request to {answer.Uri}. {StatusLine(answer)}", Http(answer));

    public static CfApiException AuthenticationFailed(BrokerAnswer answer) => new(502, "ServiceBrokerApiAuthenticationFailed", 10001,
        $"Authentication failed for the service broker API. Double-check that the username and password are correct: {answer.Uri}", Http(answer));

    public static CfApiException Timeout(BrokerAnswer answer) =>
        new(504, "ServiceBrokerApiTimeout", 10001, $"The request to the service broker timed out: {answer.Uri}", Http(answer));

    public static CfApiException Conflict(BrokerAnswer answer) =>
        new(409, "ServiceBrokerConflict", 10001, Description(answer) is { } description ? $"Service broker error: {description}" : $"Resource conflict: {answer.Uri}",
            Http(answer));

    public static CfApiException Malformed(BrokerAnswer answer, string detail) =>
        new(502, "ServiceBrokerResponseMalformed", 10001, $"The service broker returned an invalid response: {detail}", Http(answer));

    public static CfApiException NotAnObject(BrokerAnswer answer) => Malformed(answer, $"expected valid JSON object in body, broker returned '{answer.Body}'");

    public static CfApiException AppRequired(BrokerAnswer answer) =>
        new(400, "AppRequired", 10001, "This service supports generation of credentials through binding an application only.", Http(answer));

    public static CfApiException AsyncRequired(BrokerAnswer answer) =>
        new(400, "AsyncRequired", 10001, "This service plan requires client support for asynchronous service operations.", Http(answer));

    public static CfApiException ConcurrencyError(BrokerAnswer answer) =>
        new(422, "ConcurrencyError", 10001, "The service broker could not perform this operation in parallel with other running operations", Http(answer));

    public static CfApiException InvalidSyslogDrainUrl(BrokerAnswer answer) => new(502, "ServiceBrokerInvalidSyslogDrainUrl", 10001,
        "The service is attempting to stream logs from your application, but is not registered as a logging service. Please contact the service provider.", Http(answer));

    public static CfApiException InvalidVolumeMounts(BrokerAnswer answer, string detail) => new(502, "ServiceBrokerInvalidVolumeMounts", 10001,
        $"The service broker returned an invalid response: {detail}", Http(answer));

    /// <summary>
    /// The outer check CC's response parser makes for every request before reading a success: 401, 408, 409, the 422s
    /// with a known <c>error</c>, other 4xx rejected, and everything else not expected a bad response.
    /// </summary>
    public static CfApiException Unexpected(BrokerAnswer answer) => answer.Status switch
    {
        401 => AuthenticationFailed(answer),
        408 => Timeout(answer),
        409 => Conflict(answer),
        422 when answer.Text("error") == "RequiresApp" => AppRequired(answer),
        422 when answer.Text("error") == "AsyncRequired" => AsyncRequired(answer),
        422 when answer.Text("error") == "ConcurrencyError" => ConcurrencyError(answer),
        422 => BadResponse(answer),
        >= 400 and < 500 => RequestRejected(answer),
        _ => BadResponse(answer),
    };
}
