namespace BindingServer.Hosting;

/// <summary>What <c>bindingserver --help</c> prints.</summary>
public static class Usage
{
    public const string Text = """
        Usage: bindingserver [serve|kubeconfig] [--Section:Setting=value ...]

        Commands:
          serve        Run the server (the default). Prints "BindingServer ready: <url>" once it listens.
          kubeconfig   Print a kubeconfig pointing at the configured address, then exit. Over HTTPS it carries the
                       CA and a client certificate: the admin's, or with --user <name> [--group <name> ...]
                       one for that user (needs the data folder the server uses).

        Options:
          --seed <file or folder>       Load fixtures at start-up (repeatable): Kubernetes manifests (YAML or JSON,
                                        several documents) and Cloud Foundry fixture documents; a folder gives
                                        its .yaml, .yml and .json files. Nothing is loaded if one is refused.
          --healthcheck                 Ask the server at the configured address for /readyz; exit 0 when ready.
          -h, --help                    Print this text.
          --Server:Address=127.0.0.1    Address to listen on (0.0.0.0 for all).
          --Server:Port=8080            Port to listen on; 0 picks a free one (the ready line says which).
          --Store:InMemory=true         Keep nothing on disk.
          --Store:DataPath=<folder>     Where the SQLite store lives (and the keys and certificates).
          --Server:Https=true           Serve HTTPS (HTTP/1.1 and HTTP/2) with a CA and certificate made once.
          --Server:HostNames:0=<name>   More names for the serving certificate (localhost, 127.0.0.1, ::1 always).
          --Authentication:Anonymous=true
                                        Requests without credentials are system:anonymous, not the admin.
          --Authentication:TokenAuthFile=<file>
                                        Static bearer tokens, kube-apiserver's token,user,uid,"groups" CSV.

        Admin API (for test suites): /_bindingserver/reset, /_bindingserver/fixtures, /_bindingserver/export,
        /_bindingserver/journal, /_bindingserver/faults, /_bindingserver/kubeconfig; Swagger UI at /swagger.

        """;
}
