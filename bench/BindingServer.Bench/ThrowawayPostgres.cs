using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace BindingServer.Bench;

/// <summary>
/// A PostgreSQL cluster of the bench's own for the <c>replicas</c> mode when no <c>--postgres</c> is given: initdb in a
/// new temporary folder, the server on a free loopback port, stopped and its folder deleted on dispose. The essentials
/// of tests/BindingServer.EndToEnd/PostgresCluster.cs (the bench does not reference the tests), except its settings:
/// commits are not flushed one by one (<c>synchronous_commit=off</c>), as the SQLite store's <c>synchronous=NORMAL</c>,
/// but fsync stays on, so neither side is measured on settings a real installation would not use.
/// PostgreSQL refuses to run as root, so as root it runs as the postgres system user (Debian's package creates it).
/// </summary>
internal sealed class ThrowawayPostgres : IAsyncDisposable
{
    private const string SystemUser = "postgres";
    private const string Superuser = "postgres";

    private readonly StringBuilder _log = new();
    private readonly bool _asSystemUser = Environment.IsPrivilegedProcess;
    private readonly string _bin;
    private string? _folder;
    private Process? _server;

    private ThrowawayPostgres(string bin) => _bin = bin;

    /// <summary>The maintenance database's connection string, for creating and dropping databases.</summary>
    public string ConnectionString { get; private set; } = "";

    public static async Task<ThrowawayPostgres> StartAsync()
    {
        var cluster = new ThrowawayPostgres(FindBinaries());
        try
        {
            await cluster.InitializeAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task InitializeAsync()
    {
        _folder = await CreateFolderAsync();
        var data = Path.Combine(_folder, "data");
        await RunAsync(Command("initdb", "-D", data, "-U", Superuser, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"));

        // A free port is only free until someone else takes it: a server that lost that race tries another.
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            StartServer(data, port);
            ConnectionString = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = port, Username = Superuser, Database = "postgres" }.ConnectionString;
            if (await WaitUntilReadyAsync())
            {
                return;
            }

            string log;
            lock (_log)
            {
                log = _log.ToString();
            }

            _server!.Dispose();
            _server = null;
            if (attempt == 3 || !log.Contains("could not bind", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"PostgreSQL ({_bin}) exited before accepting connections: {log}");
            }
        }
    }

    /// <summary>Debian's newest /usr/lib/postgresql/VERSION/bin, else the folder of initdb on PATH.</summary>
    private static string FindBinaries()
    {
        const string debianRoot = "/usr/lib/postgresql";
        static bool HasServer(string folder) => File.Exists(Path.Combine(folder, "initdb")) && File.Exists(Path.Combine(folder, "postgres"));
        static double Major(string folder) =>
            double.TryParse(Path.GetFileName(folder), NumberStyles.Float, CultureInfo.InvariantCulture, out var version) ? version : -1;

        var debian = (Directory.Exists(debianRoot) ? Directory.GetDirectories(debianRoot) : [])
            .Select(version => Path.Combine(version, "bin"))
            .Where(HasServer)
            .OrderByDescending(bin => Major(Path.GetDirectoryName(bin)!))
            .FirstOrDefault();
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(HasServer)
            // A PATH entry may hold links: pg_ctl and postgres are taken beside the real initdb.
            .Select(folder => new FileInfo(Path.Combine(folder, "initdb")))
            .Select(initdb => Path.GetDirectoryName(initdb.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? initdb.FullName)!)
            .FirstOrDefault();
        return debian ?? onPath ?? throw new InvalidOperationException(
            "PostgreSQL's server programs (initdb, postgres) are neither in /usr/lib/postgresql/<version>/bin nor on PATH: " +
            "install them (`apt-get install postgresql`) or pass --postgres <connection string> of a server you have");
    }

    /// <summary>A new folder the server's user owns and can reach, with a path short enough for a Unix socket.</summary>
    private async Task<string> CreateFolderAsync()
    {
        if (OperatingSystem.IsWindows())
        {
            throw new InvalidOperationException("the throwaway cluster is for Linux: pass --postgres <connection string>");
        }

        // A TMPDIR inside root's home is closed to the postgres user, and a socket path has at most 107 bytes.
        var parent = _asSystemUser || Path.GetTempPath().Length > 60 ? "/tmp" : Path.GetTempPath();
        var folder = Path.Combine(parent, "bindingserver-bench-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (_asSystemUser)
        {
            await RunAsync(new ProcessStartInfo("chown") { ArgumentList = { SystemUser + ":", folder }, RedirectStandardOutput = true, RedirectStandardError = true });
        }

        return folder;
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private void StartServer(string data, int port)
    {
        lock (_log)
        {
            _log.Clear();
        }

        var start = Command("postgres", "-D", data, "-p", port.ToString(CultureInfo.InvariantCulture),
            "-c", "listen_addresses=127.0.0.1",
            "-c", $"unix_socket_directories={_folder}",
            "-c", "synchronous_commit=off",
            // Two replicas' pools (Npgsql's default maximum is 100 each) and the bench's own connections.
            "-c", "max_connections=250");
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
            // Bounded: the server logs little, but a long run must not grow the bench's memory.
            if (_log.Length < 1_000_000)
            {
                _log.AppendLine(line);
            }
        }
    }

    /// <summary>True once a connection succeeds; false if the server exits first; throws after a minute.</summary>
    private async Task<bool> WaitUntilReadyAsync()
    {
        var probe = new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false, Timeout = 5 }.ConnectionString;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_server!.HasExited)
            {
                await _server.WaitForExitAsync();
                return false;
            }

            try
            {
                await using var connection = new NpgsqlConnection(probe);
                await connection.OpenAsync();
                return true;
            }
            catch (NpgsqlException failure) when (clock.Elapsed > TimeSpan.FromMinutes(1))
            {
                throw new TimeoutException($"PostgreSQL did not accept connections within a minute: {failure.Message}", failure);
            }
            catch (NpgsqlException)
            {
                // Not listening yet, or "the database system is starting up".
            }

            await Task.Delay(TimeSpan.FromMilliseconds(25));
        }
    }

    /// <summary>One of the server's programs, run as the postgres user when the bench runs as root.</summary>
    private ProcessStartInfo Command(string program, params string[] arguments)
    {
        var path = Path.Combine(_bin, program);
        // setpriv replaces itself with the program, so the process is the server itself (and its pid the server's).
        var start = _asSystemUser
            ? new ProcessStartInfo("setpriv") { ArgumentList = { $"--reuid={SystemUser}", $"--regid={SystemUser}", "--init-groups", "--", path } }
            : new ProcessStartInfo(path);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.WorkingDirectory = _folder;
        start.Environment["LC_ALL"] = "C";
        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        return start;
    }

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
            throw new TimeoutException($"{start.FileName} {string.Join(' ', start.ArgumentList)} did not finish within a minute");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{start.FileName} {string.Join(' ', start.ArgumentList)} failed ({process.ExitCode}): {await output}{await errors}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            if (!_server.HasExited)
            {
                // Immediate: the data is thrown away, so there is nothing to flush.
                try
                {
                    await RunAsync(Command("pg_ctl", "stop", "-D", Path.Combine(_folder!, "data"), "-m", "immediate", "-w", "-t", "30"));
                }
                catch (Exception failure) when (failure is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
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

        if (_folder is not null && Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }

        _folder = null;
    }
}

/// <summary>
/// An empty database of its own on a PostgreSQL server (the bench's throwaway cluster or <c>--postgres</c>), dropped on
/// dispose, so every measured set-up starts from a fresh store and an existing server is left as it was found.
/// </summary>
internal sealed class BenchDatabase : IAsyncDisposable
{
    private readonly string _maintenance;
    private readonly string _name;

    private BenchDatabase(string maintenance, string name, string connectionString)
    {
        _maintenance = maintenance;
        _name = name;
        ConnectionString = connectionString;
    }

    /// <summary>The new database's connection string, for the server's <c>ConnectionStrings:BindingServer</c>.</summary>
    public string ConnectionString { get; }

    /// <summary>Creates it through <paramref name="maintenance"/>, a connection string whose user may create databases.</summary>
    public static async Task<BenchDatabase> CreateAsync(string maintenance)
    {
        var name = "bindingserver_bench_" + Guid.NewGuid().ToString("N")[..12];
        await ExecuteAsync(maintenance, $"CREATE DATABASE {name} TEMPLATE template0");
        var connectionString = new NpgsqlConnectionStringBuilder(maintenance) { Database = name }.ConnectionString;
        return new BenchDatabase(maintenance, name, connectionString);
    }

    /// <summary>Npgsql's errors as the bench's own, so a refused connection fails the phase rather than the run.</summary>
    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        try
        {
            // No pooling: the maintenance connection is used twice per database, and a pooled one would keep it open.
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException failure)
        {
            throw new InvalidOperationException($"PostgreSQL: {sql}: {failure.Message}", failure);
        }
    }

    public async ValueTask DisposeAsync() =>
        // FORCE (PostgreSQL 13+) ends connections a killed server may have left behind.
        await ExecuteAsync(_maintenance, $"DROP DATABASE IF EXISTS {_name} WITH (FORCE)");
}
