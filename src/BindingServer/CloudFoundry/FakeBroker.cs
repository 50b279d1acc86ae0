using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace BindingServer.CloudFoundry;

/// <summary>
/// The built-in service broker behind the seeded services: synchronous plans answer a bind with credentials at
/// once; asynchronous plans leave the binding (and, when the client accepts it, the instance being provisioned)
/// "in progress" and finish it after <c>CloudFoundry:AsyncOperationSeconds</c>.
/// </summary>
public sealed class FakeBroker(CfStore store, IOptions<CloudFoundryOptions> options, TimeProvider clock) : BackgroundService
{
    public static JsonObject Credentials(string instanceGuid) => new()
    {
        ["uri"] = $"fake://{instanceGuid}",
        ["username"] = "user-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)),
        ["password"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)),
    };

    /// <summary>The mount a volume service's broker hands out, reduced to the keys CC keeps.</summary>
    public static JsonArray VolumeMounts(string instanceGuid) =>
        [new JsonObject { ["container_dir"] = $"/var/vcap/data/{instanceGuid}", ["mode"] = "rw", ["device_type"] = "shared" }];

    private static bool IsDue(JsonNode? operation, DateTimeOffset due) =>
        operation?["state"]?.GetValue<string>() == "in progress" &&
        DateTimeOffset.Parse(operation["updated_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) <= due;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200), clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var due = clock.GetUtcNow().AddSeconds(-options.Value.AsyncOperationSeconds);
                foreach (var instance in store.List(CfStore.ServiceInstances).Where(i => IsDue(i["last_operation"], due)))
                {
                    await store.UpdateAsync(CfStore.ServiceInstances, instance["guid"]!.GetValue<string>(), record =>
                    {
                        record["last_operation"]!["state"] = "succeeded";
                        record["last_operation"]!["updated_at"] = store.Now;
                    });
                }

                foreach (var binding in store.List(CfStore.ServiceBindings))
                {
                    var operation = binding["last_operation"];
                    if (!IsDue(operation, due))
                    {
                        continue;
                    }

                    if (operation!["type"]?.GetValue<string>() == "delete")
                    {
                        await store.DeleteAsync(CfStore.ServiceBindings, binding["guid"]!.GetValue<string>());
                        continue;
                    }

                    await store.UpdateAsync(CfStore.ServiceBindings, binding["guid"]!.GetValue<string>(), record =>
                    {
                        record["credentials"] = Credentials(record["service_instance_guid"]!.GetValue<string>());
                        record["last_operation"]!["state"] = "succeeded";
                        record["last_operation"]!["updated_at"] = store.Now;
                    });
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
