using System.Text.Json.Nodes;
using BindingServer.CloudFoundry.Brokers;

namespace BindingServer.CloudFoundry;

/// <summary>
/// Cloud Controller's background jobs, as far as v2 bindings use them: <c>DELETE …?async=true</c> queues a job, a
/// worker runs it, and <c>GET /v2/jobs/:guid</c> reports it. A finished job is removed, and reads back as CC's null job.
/// </summary>
public sealed class CfJobs(CfStore store, Unbinder unbinder, ILogger<CfJobs> logger) : BackgroundService
{
    private readonly SemaphoreSlim _wake = new(0);

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

    public async Task<JsonObject> QueueUnbindAsync(string bindingGuid, BrokerCaller caller)
    {
        var job = await store.CreateAsync(CfStore.Jobs, new JsonObject
        {
            ["status"] = "queued", ["binding_guid"] = bindingGuid, ["user_id"] = caller.UserId, ["request_id"] = caller.RequestId,
        });
        _wake.Release();
        return job;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await _wake.WaitAsync(TimeSpan.FromMilliseconds(200), stoppingToken);
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

    /// <summary>Unbinds (at the broker too) and removes the finished job, or records why the job failed.</summary>
    private async Task RunUnbindAsync(JsonObject job)
    {
        var jobGuid = job["guid"]!.GetValue<string>();
        var binding = store.Get(CfStore.ServiceBindings, job["binding_guid"]!.GetValue<string>());
        try
        {
            if (binding is not null)
            {
                var caller = new BrokerCaller(job["user_id"]?.GetValue<string>(), job["request_id"]?.GetValue<string>());
                await unbinder.UnbindAsync(binding, acceptsIncomplete: false, caller);
            }

            await store.DeleteAsync(CfStore.Jobs, jobGuid);
        }
        catch (CfApiException refusal)
        {
            logger.LogInformation("unbind job {Job} failed: {Error}", jobGuid, refusal.Description);
            await store.UpdateAsync(CfStore.Jobs, jobGuid, record =>
            {
                record["status"] = "failed";
                record["error_details"] = refusal.Body();
            });
        }
    }
}
