namespace BindingServer.Hosting;

/// <summary>What <c>bindingserver --help</c> prints.</summary>
public static class Usage
{
    public const string Text = """
        Usage: bindingserver [serve|kubeconfig] [--Section:Setting=value ...]

        Commands:
          serve        Run the server (the default). Prints "BindingServer ready: <url>" once it listens.
          kubeconfig   Print a kubeconfig pointing at the configured address, then exit.

        Options:
          --seed <file or folder>       Load fixtures at start-up (repeatable): Kubernetes manifests (YAML or JSON,
                                        several documents) and Cloud Foundry fixture documents; a folder gives
                                        its .yaml, .yml and .json files. Nothing is loaded if one is refused.
          --healthcheck                 Ask the server at the configured address for /readyz; exit 0 when ready.
          -h, --help                    Print this text.
          --Server:Address=127.0.0.1    Address to listen on (0.0.0.0 for all).
          --Server:Port=8080            Port to listen on; 0 picks a free one (the ready line says which).
          --Store:InMemory=true         Keep nothing on disk.
          --Store:DataPath=<folder>     Where the SQLite store lives.

        Admin API (for test suites): /_bindingserver/reset, /_bindingserver/fixtures, /_bindingserver/export,
        /_bindingserver/journal, /_bindingserver/faults, /_bindingserver/kubeconfig; Swagger UI at /swagger.

        """;
}
