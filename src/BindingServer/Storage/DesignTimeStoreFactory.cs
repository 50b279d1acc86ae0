using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace BindingServer.Storage;

/// <summary>Lets <c>dotnet ef migrations add</c> build the context without starting the server.</summary>
public sealed class DesignTimeStoreFactory : IDesignTimeDbContextFactory<StoreDbContext>
{
    public StoreDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<StoreDbContext>().UseSqlite("Data Source=design-time.db").Options);
}

/// <summary>The same for the PostgreSQL migrations (<c>--context PostgresStoreDbContext</c>); no server is contacted.</summary>
public sealed class DesignTimePostgresStoreFactory : IDesignTimeDbContextFactory<PostgresStoreDbContext>
{
    public PostgresStoreDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresStoreDbContext>().UseNpgsql("Host=localhost;Database=design-time").Options);
}
