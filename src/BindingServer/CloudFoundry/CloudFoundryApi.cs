using BindingServer.CloudFoundry.Brokers;

namespace BindingServer.CloudFoundry;

/// <summary>The Cloud Foundry dialect's services and routes: Cloud Controller v2 under <c>/v2</c>, and the built-in broker over OSB.</summary>
public static class CloudFoundryApi
{
    public static IServiceCollection AddCloudFoundry(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<CloudFoundryOptions>(configuration.GetSection(CloudFoundryOptions.Section));
        services.AddHttpClient(BrokerClient.HttpClientName).ConfigurePrimaryHttpMessageHandler(BrokerHttpHandler.Create);
        return services.AddCloudFoundryState();
    }

    /// <summary>What holds or reads one Cloud Controller's state: its records, broker calls, jobs and endpoints; one set per tenant.</summary>
    public static IServiceCollection AddCloudFoundryState(this IServiceCollection services)
    {
        services.AddSingleton<CfStore>();
        services.AddSingleton<CfPresenters>();
        services.AddSingleton<CfAccess>();
        services.AddSingleton<SelfAddress>();
        services.AddSingleton<BrokerClient>();
        services.AddSingleton<BrokerOperations>();
        services.AddSingleton<BrokerRegistry>();
        services.AddSingleton<BuiltInBroker>();
        services.AddSingleton<PlanVisibility>();
        services.AddSingleton<Unbinder>();
        services.AddSingleton<ServiceLifecycle>();
        services.AddSingleton<BrokerPoller>();
        services.AddHostedService(provider => provider.GetRequiredService<BrokerPoller>());
        services.AddSingleton<CfJobs>();
        services.AddHostedService(provider => provider.GetRequiredService<CfJobs>());
        services.AddSingleton<OrganizationEndpoints>();
        services.AddSingleton<AppEndpoints>();
        services.AddSingleton<UserProvidedInstanceEndpoints>();
        services.AddSingleton<ManagedInstanceEndpoints>();
        services.AddSingleton<ServiceBindingEndpoints>();
        services.AddSingleton<ServiceKeyEndpoints>();
        services.AddSingleton<ServiceCatalogEndpoints>();
        services.AddSingleton<ServiceBrokerEndpoints>();
        return services;
    }

    public static IEndpointRouteBuilder MapCloudFoundry(this IEndpointRouteBuilder app)
    {
        var v2 = app.MapGroup("/v2").WithTags("Cloud Foundry v2");
        OrganizationEndpoints.Map(v2);
        AppEndpoints.Map(v2);
        UserProvidedInstanceEndpoints.Map(v2);
        ManagedInstanceEndpoints.Map(v2);
        ServiceBindingEndpoints.Map(v2);
        ServiceKeyEndpoints.Map(v2);
        ServiceCatalogEndpoints.Map(v2);
        ServiceBrokerEndpoints.Map(v2);
        app.MapCfAppEnvironment();
        BuiltInBroker.Map(app);
        return app;
    }
}
