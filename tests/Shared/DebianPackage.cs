using System.Diagnostics;

namespace BindingServer.TestSupport;

/// <summary>
/// What the tests need from Debian (Chromium, PostgreSQL), installed with apt-get when they run as root and it is
/// missing, so the README's test command sets up a fresh machine on its own.
/// </summary>
public static class DebianPackage
{
    private static readonly Lock Installing = new();

    /// <summary>Installs the package if this process may; false when it may not (not root, no apt-get) or it failed.</summary>
    public static bool TryInstall(string package)
    {
        if (!Environment.IsPrivilegedProcess || !File.Exists("/usr/bin/apt-get"))
        {
            return false;
        }

        // apt-get holds a lock of its own: two installs at once would fail, not wait.
        lock (Installing)
        {
            return Run("apt-get", "update -qq") && Run("apt-get", $"install -y -qq {package}");
        }
    }

    private static bool Run(string file, string arguments)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(start)!;
        var drained = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
        process.WaitForExit();
        drained.Wait();
        return process.ExitCode == 0;
    }
}
