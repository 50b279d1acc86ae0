using System.Text.Json.Nodes;
using BindingServer.CloudFoundry;

namespace BindingServer.Tests.CloudFoundry;

/// <summary>The typed record wrappers write the same JSON the string-keyed code wrote: same keys, same order, null kept apart from absent.</summary>
public sealed class CfRecordsTests
{
    [Fact]
    public void A_binding_keeps_its_keys_in_the_order_they_were_set_and_an_explicit_null()
    {
        var binding = ServiceBindingRecord.New("app", "instance", name: null, parameters: null);
        binding.Credentials = null;
        binding.SyslogDrainUrl = null;
        binding.LastOperation = CfOperationRecord.Operation("create", "in progress", "", "2026-01-01T00:00:00Z");
        binding.BrokerOperation = "op";

        Assert.Equal(
            """{"app_guid":"app","service_instance_guid":"instance","name":null,"parameters":null,"volume_mounts":[],"credentials":null,"syslog_drain_url":null,"last_operation":{"type":"create","state":"in progress","description":"","updated_at":"2026-01-01T00:00:00Z","created_at":"2026-01-01T00:00:00Z"},"broker_operation":"op"}""",
            binding.Json.ToJsonString());
        Assert.Equal("in progress", binding.LastOperationState);

        binding.RemoveBrokerOperation();
        Assert.False(binding.Json.ContainsKey("broker_operation"));
        Assert.Null(binding.BrokerOperation);
    }

    [Fact]
    public void A_wrapper_is_a_view_so_changes_land_in_the_stored_document()
    {
        var json = JsonNode.Parse("""{"guid":"g","name":"old","status":"active"}""")!.AsObject();
        var org = OrganizationRecord.Wrap(json);
        org.Name = "new";

        Assert.Equal("""{"guid":"g","name":"new","status":"active"}""", json.ToJsonString());
        Assert.Equal("g", org.Guid);
    }

    [Fact]
    public void Lenient_reads_turn_a_non_string_into_null_where_strict_reads_fail()
    {
        var json = JsonNode.Parse("""{"guid":"g","name":5}""")!.AsObject();

        Assert.Throws<InvalidOperationException>(() => new AppRecord(json).Name);
        Assert.Null(CfRecord.Lenient(new AppRecord(json))!.Name);
    }
}
