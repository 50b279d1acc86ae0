using System.Text.Json.Nodes;

namespace BindingServer.CloudFoundry;

/// <summary>
/// Cloud Controller's background jobs, as far as v2 bindings use them: <c>DELETE …?async=true</c> queues a job, a
/// worker runs it, and <c>GET /v2/jobs/:guid</c> reports it. A finished job is removed, and reads back as CC's null job.
/// </summary>
public sealed class CfJobs(CfStore store) : BackgroundService
{
    public static JsonObject Present(JsonObject? job)
    {
        var guid = job?["guid"]?.GetValue<string>() ?? "0";
        var entity = new JsonObject { ["guid"] = guid, ["status"] = job?["status"]?.GetValue<string>() ?? "finished" };
        if (job?["error_details"] is { } details)
        {
            entity["error"] = "Use of entity>error is deprecated in favor of entity>error_details.";
            entity["error_details"] = details.DeepClone();
        }

        return new JsonObject
        {
            ["metadata"] = new JsonObject { ["guid"] = guid, ["created_at"] = job?["created_at"]?.GetValue<string>() ?? "1970-01-01T00:00:00Z", ["url"] = $"/v2/jobs/{guid}" },
            ["entity"] = entity,
        };
    }

    public Task<JsonObject> QueueUnbindAsync(string bindingGuid) =>
        store.CreateAsync(CfStore.Jobs, new JsonObject { ["status"] = "queued", ["binding_guid"] = bindingGuid });

    /// <summary>Why an unbind cannot run now, in CC's order: the instance busy, then a delete of the binding already under way.</summary>
    public static CfApiException? UnbindRefusal(CfStore store, JsonObject binding)
    {
        var instance = store.Get(CfStore.ServiceInstances, binding["service_instance_guid"]!.GetValue<string>());
        if (instance?["last_operation"]?["state"]?.GetValue<string>() is "initial" or "in progress")
        {
            return CfApiException.InstanceOperationInProgress(instance["name"]!.GetValue<string>());
        }

        if (binding["last_operation"]?["state"]?.GetValue<string>() == "in progress" && binding["last_operation"]?["type"]?.GetValue<string>() != "create")
        {
            var app = store.Get(CfStore.Apps, binding["app_guid"]!.GetValue<string>());
            return CfApiException.BindingOperationInProgress(app?["name"]?.GetValue<string>() ?? "", instance?["name"]?.GetValue<string>() ?? "");
        }

        return null;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                foreach (var job in store.List(CfStore.Jobs).Where(j => j["status"]?.GetValue<string>() == "queued"))
                {
                    await RunUnbindAsync(job);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Deletes the binding and the finished job together, or records why the job failed.</summary>
    private Task RunUnbindAsync(JsonObject job) => store.CommitAsync(() =>
    {
        var jobGuid = job["guid"]!.GetValue<string>();
        var binding = store.Get(CfStore.ServiceBindings, job["binding_guid"]!.GetValue<string>());
        if (binding is not null && UnbindRefusal(store, binding) is { } refusal)
        {
            job["status"] = "failed";
            job["error_details"] = refusal.Body();
            return [(CfStore.Jobs, jobGuid, job)];
        }

        return [(CfStore.ServiceBindings, job["binding_guid"]!.GetValue<string>(), null), (CfStore.Jobs, jobGuid, null)];
    });
}
