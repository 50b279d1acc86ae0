using System.Text.Json.Nodes;
using BindingServer.CloudFoundry.Brokers;

namespace BindingServer.CloudFoundry;

/// <summary>
/// Cloud Controller's background jobs, as far as v2 bindings use them: <c>DELETE …?async=true</c> queues a job, a
/// worker runs it, and <c>GET /v2/jobs/:guid</c> reports it. A finished job is removed, and reads back as CC's null job.
/// </summary>
public sealed class CfJobs(CfStore store, Unbinder unbinder, ILogger<CfJobs> logger) : BackgroundService
{
    public static JsonObject Present(JobRecord? job)
    {
        var guid = job?.Guid ?? "0";
        var entity = new JsonObject { ["guid"] = guid, ["status"] = job?.Status ?? "finished" };
        if (job?.ErrorDetails is { } details)
        {
            entity["error"] = "Use of entity>error is deprecated in favor of entity>error_details.";
            entity["error_details"] = details.DeepClone();
        }

        return new JsonObject
        {
            ["metadata"] = new JsonObject { ["guid"] = guid, ["created_at"] = job?.CreatedAtText ?? "1970-01-01T00:00:00Z", ["url"] = $"/v2/jobs/{guid}" },
            ["entity"] = entity,
        };
    }

    public Task<JobRecord> QueueUnbindAsync(string bindingGuid, BrokerCaller caller) =>
        store.CreateAsync(JobRecord.NewUnbind(bindingGuid, caller.UserId, caller.RequestId));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var seen = store.Current;
                foreach (var job in store.List<JobRecord>().Where(j => j.Status == "queued"))
                {
                    await RunUnbindAsync(job);
                }

                // Woken by the next change to the jobs: one queued here, or by another replica.
                await store.ChangedAsync(seen, [CfStore.Jobs], stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Unbinds (at the broker too) and removes the finished job, or records why the job failed.</summary>
    private async Task RunUnbindAsync(JobRecord job)
    {
        var jobGuid = job.Guid;
        var binding = store.Get<ServiceBindingRecord>(job.BindingGuid!);
        try
        {
            if (binding is not null)
            {
                var caller = new BrokerCaller(job.UserId, job.RequestId);
                await unbinder.UnbindAsync(binding, acceptsIncomplete: false, caller);
            }

            await store.DeleteAsync<JobRecord>(jobGuid);
        }
        catch (CfApiException refusal)
        {
            logger.LogInformation("unbind job {Job} failed: {Error}", jobGuid, refusal.Description);
            await store.UpdateAsync<JobRecord>(jobGuid, record =>
            {
                record.Status = "failed";
                record.ErrorDetails = refusal.Body();
            });
        }
    }
}
