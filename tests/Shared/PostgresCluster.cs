using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace BindingServer.TestSupport;

/// <summary>
/// A throwaway PostgreSQL cluster: initdb in a new temporary folder, the server on a free loopback port, found ready by
/// a connection that succeeds (bounded polling, no fixed sleep), stopped and its folder deleted on dispose. Tuned for
/// speed, not durability (fsync off, unless <see cref="Durable"/>). Each test class can take its own empty database from <see cref="CreateDatabaseAsync"/>.
/// PostgreSQL refuses to run as root, so a root test run (CI) starts it as the postgres system user.
/// </summary>
public sealed partial class PostgresCluster : IAsyncDisposable
{
    private const string SystemUser = "postgres";
    private const string Superuser = "postgres";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly StringBuilder _log = new();
    private TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly bool _asSystemUser = Environment.IsPrivilegedProcess;

    /// <summary>
    /// Keep fsync and full-page writes on, for measurements: neither store is then timed on settings a real
    /// installation would not use. Off by default, since the tests' data is thrown away.
    /// </summary>
    public bool Durable { get; init; }
    private string _bin = "";
    private string? _folder;
    private Process? _server;
    private string? _connectionString;

    /// <summary>The maintenance database's connection string (Npgsql format), for creating and dropping databases.</summary>
    public string ConnectionString => _connectionString ?? throw new InvalidOperationException("the cluster is not started");

    public int Port { get; private set; }

    /// <summary>The temporary folder holding the data directory and the Unix socket; gone after dispose.</summary>
    public string Folder => _folder ?? throw new InvalidOperationException("the cluster is not started");

    /// <summary>What the server logged so far (it logs to standard error).</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public async Task InitializeAsync()
    {
        try
        {
            await StartAsync();
        }
        catch
        {
            // xunit does not dispose a fixture whose start failed: leave no server or folder behind.
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        // template0 cannot be connected to, so concurrent creations never fail on a busy template.
        command.CommandText = $"CREATE DATABASE {QuoteIdentifier(name)} TEMPLATE template0";
        await command.ExecuteNonQueryAsync();
        return ConnectionStringFor(name);
    }

    /// <summary>
    /// The folder holding initdb and postgres: Debian's newest /usr/lib/postgresql/VERSION/bin, else the first on PATH;
    /// Debian's package is installed first when neither has them and the tests run as root.
    /// </summary>
    public static string FindBinaries() => FindInstalledBinaries() ?? (DebianPackage.TryInstall("postgresql") ? FindInstalledBinaries() : null)
        ?? throw new InvalidOperationException(
            "PostgreSQL's server programs (initdb, postgres) are neither in /usr/lib/postgresql/<version>/bin nor on PATH: " +
            "install them with `apt-get install postgresql`");

    private static string? FindInstalledBinaries()
    {
        const string debianRoot = "/usr/lib/postgresql";
        var newest = (Directory.Exists(debianRoot) ? Directory.GetDirectories(debianRoot) : [])
            .Where(version => HasServer(Path.Combine(version, "bin")))
            .OrderByDescending(version => MajorVersion(Path.GetFileName(version)))
            .Select(version => Path.Combine(version, "bin"))
            .FirstOrDefault();
        if (newest is not null)
        {
            return newest;
        }

        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (HasServer(folder))
            {
                // A PATH entry may hold links (/usr/local/bin here): pg_ctl and postgres are taken beside the real initdb.
                var initdb = new FileInfo(Path.Combine(folder, "initdb"));
                return Path.GetDirectoryName(initdb.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? initdb.FullName)!;
            }
        }

        return null;
    }

    private static bool HasServer(string folder) =>
        File.Exists(Path.Combine(folder, "initdb")) && File.Exists(Path.Combine(folder, "postgres"));

    private static double MajorVersion(string name) =>
        double.TryParse(name, NumberStyles.Float, CultureInfo.InvariantCulture, out var version) ? version : -1;

    private async Task StartAsync()
    {
        _bin = FindBinaries();
        _folder = await CreateFolderAsync();
        var data = Path.Combine(_folder, "data");
        await RunAsync(Command("initdb", "-D", data, "-U", Superuser, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"));

        // The free port is only free until someone else takes it: a server that lost that race gets another port.
        for (var attempt = 1; ; attempt++)
        {
            Port = FreePort();
            StartServer(data);
            if (await WaitUntilReadyAsync())
            {
                _connectionString = ConnectionStringFor("postgres");
                return;
            }

            var log = Log;
            _server!.Dispose();
            _server = null;
            if (attempt == 3 || !log.Contains("could not bind", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"PostgreSQL ({_bin}) exited before accepting connections: {log}");
            }
        }
    }

    /// <summary>A new folder that the server's user owns, reachable by that user, with a path short enough for a socket.</summary>
    private async Task<string> CreateFolderAsync()
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("the throwaway PostgreSQL cluster uses Unix sockets and file modes");
        }

        var parent = Path.GetTempPath();
        if ((_asSystemUser && !ReachableByOthers(parent)) || parent.Length > 60)
        {
            // A TMPDIR inside root's home is closed to the postgres user, and a socket path has at most 107 bytes.
            parent = "/tmp";
        }

        var folder = Path.Combine(parent, "bindingserver-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (_asSystemUser)
        {
            var chown = new ProcessStartInfo("chown") { RedirectStandardOutput = true, RedirectStandardError = true };
            chown.ArgumentList.Add(SystemUser + ":");
            chown.ArgumentList.Add(folder);
            try
            {
                await RunAsync(chown);
            }
            catch (InvalidOperationException error)
            {
                Directory.Delete(folder);
                throw new InvalidOperationException(
                    $"PostgreSQL refuses to run as root and the tests run as root, so it runs as the '{SystemUser}' user, " +
                    $"which Debian's postgresql package creates (`apt-get install postgresql`); {error.Message}", error);
            }
        }

        return folder;
    }

    private static bool ReachableByOthers(string path)
    {
        for (var folder = new DirectoryInfo(path); folder is not null; folder = folder.Parent)
        {
            if (!folder.Exists || !folder.UnixFileMode.HasFlag(UnixFileMode.OtherExecute))
            {
                return false;
            }
        }

        return true;
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private void StartServer(string data)
    {
        lock (_log)
        {
            _log.Clear();
            _ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        string[] settings =
        [
            "listen_addresses=127.0.0.1",
            $"unix_socket_directories={_folder}",
            // Commits are not flushed one by one, as the SQLite store's synchronous=NORMAL.
            "synchronous_commit=off",
            // Two server replicas with their pools (Npgsql's default maximum is 100 each), plus the caller's own connections.
            "max_connections=250",
            // Throwaway data: unless measured, skip everything that only protects it from a crash.
            .. Durable ? Array.Empty<string>() : ["fsync=off", "full_page_writes=off"],
        ];
        var start = Command("postgres", ["-D", data, "-p", Port.ToString(CultureInfo.InvariantCulture), .. settings.SelectMany(setting => new[] { "-c", setting })]);
        _server = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        _server.ErrorDataReceived += (_, line) => Append(line.Data);
        _server.OutputDataReceived += (_, line) => Append(line.Data);
        _server.BeginErrorReadLine();
        _server.BeginOutputReadLine();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
            // The postmaster's line once it listens (initdb's C locale keeps server messages in English).
            if (line.Contains("database system is ready to accept connections", StringComparison.Ordinal))
            {
                _ready.TrySetResult();
            }
        }
    }

    /// <summary>
    /// True once the server logs that it accepts connections and one succeeds; false if the server exits first; throws
    /// after <see cref="StartTimeout"/>.
    /// </summary>
    private async Task<bool> WaitUntilReadyAsync()
    {
        Task ready;
        lock (_log)
        {
            ready = _ready.Task;
        }

        var exited = _server!.WaitForExitAsync();
        try
        {
            await Task.WhenAny(ready, exited).WaitAsync(StartTimeout);
        }
        catch (TimeoutException failure)
        {
            throw new TimeoutException($"PostgreSQL did not accept connections within {StartTimeout}: {Log}", failure);
        }

        if (!ready.IsCompleted)
        {
            // WaitForExitAsync has let the last lines of its log arrive before they are read.
            return false;
        }

        var probe = new NpgsqlConnectionStringBuilder(ConnectionStringFor("postgres")) { Pooling = false, Timeout = 5 }.ConnectionString;
        await using var connection = new NpgsqlConnection(probe);
        await connection.OpenAsync();
        return true;
    }

    private string ConnectionStringFor(string database) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = Superuser,
            Database = database,
        }.ConnectionString;

    private static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>One of the server's programs, run as the postgres user when the tests run as root.</summary>
    private ProcessStartInfo Command(string program, params string[] arguments)
    {
        var path = Path.Combine(_bin, program);
        // setpriv replaces itself with the program (runuser would stay as its parent), so the process is the server itself.
        var start = _asSystemUser
            ? new ProcessStartInfo("setpriv") { ArgumentList = { $"--reuid={SystemUser}", $"--regid={SystemUser}", "--init-groups", "--", path } }
            : new ProcessStartInfo(path);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // A folder the postgres user can enter, and English messages for the bind-failure check and readable errors.
        start.WorkingDirectory = _folder;
        start.Environment["LC_ALL"] = "C";
        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        return start;
    }

    /// <summary>Runs a program to its end (a minute at most), and throws with its output if it failed.</summary>
    private static async Task RunAsync(ProcessStartInfo start)
    {
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{string.Join(' ', start.ArgumentList.Prepend(start.FileName))} did not finish within a minute");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{string.Join(' ', start.ArgumentList.Prepend(start.FileName))} failed ({process.ExitCode}): {await output}{await errors}");
        }
    }

    ValueTask IAsyncDisposable.DisposeAsync() => new(DisposeAsync());

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            if (!_server.HasExited && File.Exists(Path.Combine(_bin, "pg_ctl")))
            {
                // Immediate mode: the data is thrown away, so there is nothing to flush; the postmaster still ends its backends.
                try
                {
                    await RunAsync(Command("pg_ctl", "stop", "-D", Path.Combine(_folder!, "data"), "-m", "immediate", "-w", "-t", "30"));
                }
                catch (Exception failure) when (failure is InvalidOperationException or TimeoutException)
                {
                    // Killed below instead.
                }
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _server.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _server.Kill(entireProcessTree: true);
                await _server.WaitForExitAsync();
            }

            _server.Dispose();
            _server = null;
        }

        if (_folder is not null)
        {
            if (Directory.Exists(_folder))
            {
                Directory.Delete(_folder, recursive: true);
            }

            _folder = null;
        }

        _connectionString = null;
    }
}
