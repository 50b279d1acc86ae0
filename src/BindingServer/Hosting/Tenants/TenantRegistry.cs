using BindingServer.Kubernetes.Validation;
using BindingServer.Storage;

namespace BindingServer.Hosting.Tenants;

/// <summary>The tenants of this server process, by id; the server without a prefix is the default tenant and not listed here.</summary>
public sealed class TenantRegistry(IServiceProvider server) : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Tenant?> _tenants = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _templateGate = new(1, 1);
    private StoreTemplate? _template;

    public bool TryGet(string id, out Tenant tenant)
    {
        lock (_gate)
        {
            tenant = _tenants.GetValueOrDefault(id)!;
        }

        return tenant is not null;
    }

    public IReadOnlyList<Tenant> List()
    {
        lock (_gate)
        {
            return [.. _tenants.Values.OfType<Tenant>().OrderBy(t => t.Created).ThenBy(t => t.Id, StringComparer.Ordinal)];
        }
    }

    /// <summary>Why <paramref name="id"/> cannot name a tenant (a DNS label, as it becomes a path segment), or null.</summary>
    public static string? InvalidId(string id) => NameRules.IsDns1123Label(id) is [var first, ..] ? $"invalid tenant id \"{id}\": {first}" : null;

    /// <summary>
    /// Starts a tenant under <paramref name="id"/> (a generated one when null); null when the id is taken. The id is
    /// held while the tenant starts, so two creates of one id cannot both succeed.
    /// </summary>
    public async Task<Tenant?> CreateAsync(string? id, Func<Tenant, Task>? prepare, CancellationToken cancellationToken)
    {
        id ??= NewId();
        lock (_gate)
        {
            if (!_tenants.TryAdd(id, null))
            {
                return null;
            }
        }

        Tenant? tenant = null;
        try
        {
            tenant = await Tenant.StartAsync(server, id, await TemplateAsync(cancellationToken), cancellationToken);
            if (prepare is not null)
            {
                await prepare(tenant);
            }

            lock (_gate)
            {
                _tenants[id] = tenant;
            }

            return tenant;
        }
        catch
        {
            lock (_gate)
            {
                _tenants.Remove(id);
            }

            if (tenant is not null)
            {
                await tenant.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>Removes the tenant and frees everything it held; false when there is none (or it is still starting).</summary>
    public async Task<bool> DeleteAsync(string id)
    {
        Tenant? tenant;
        lock (_gate)
        {
            if (!_tenants.TryGetValue(id, out tenant) || tenant is null)
            {
                return false;
            }

            _tenants.Remove(id);
        }

        await tenant.DisposeAsync();
        return true;
    }

    private async Task<StoreTemplate> TemplateAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _template) is { } made)
        {
            return made;
        }

        await _templateGate.WaitAsync(cancellationToken);
        try
        {
            _template ??= await Tenant.MakeTemplateAsync(server, cancellationToken);
            return _template;
        }
        finally
        {
            _templateGate.Release();
        }
    }

    private static string NewId() => "t" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6));

    public async ValueTask DisposeAsync()
    {
        List<Tenant> tenants;
        lock (_gate)
        {
            tenants = [.. _tenants.Values.OfType<Tenant>()];
            _tenants.Clear();
        }

        foreach (var tenant in tenants)
        {
            await tenant.DisposeAsync();
        }

        _template?.Dispose();
        _templateGate.Dispose();
    }
}
