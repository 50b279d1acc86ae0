using BindingServer.CloudFoundry;
using BindingServer.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace BindingServer.Tests.CloudFoundry;

/// <summary>
/// A conditional update decides under the store's write lock: the broker poller finishes an operation only if the
/// record still carries it, so a delete started meanwhile is not marked with the create's outcome.
/// </summary>
public sealed class CfStoreUpdateTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    [Fact]
    public async Task An_update_whose_condition_no_longer_holds_changes_nothing()
    {
        var store = factory.Services.GetRequiredService<CfStore>();
        var created = ServiceBindingRecord.New("app", "instance", name: "b", parameters: null);
        created.LastOperation = CfOperationRecord.Operation("create", "in progress", "", store.Now);
        var binding = ServiceBindingRecord.Wrap(await store.CreateAsync(CfStore.ServiceBindings, created.Json));
        var polled = store.Get<ServiceBindingRecord>(binding.Guid)!;
        await store.UpdateAsync<ServiceBindingRecord>(binding.Guid, r => r.LastOperation = CfOperationRecord.Operation("delete", "in progress", "", "2030-01-01T00:00:00Z"));

        var stale = await store.UpdateAsync<ServiceBindingRecord>(binding.Guid, r => r.LastOperation = CfOperationRecord.Operation("create", "failed", "late", store.Now),
            when: r => r.LastOperationType == polled.LastOperationType && r.LastOperationCreatedAt == polled.LastOperationCreatedAt);

        Assert.Null(stale);
        var stored = store.Get<ServiceBindingRecord>(binding.Guid)!;
        Assert.Equal("delete", stored.LastOperationType);
        Assert.Equal("in progress", stored.LastOperationState);
    }
}
