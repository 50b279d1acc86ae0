using System.Diagnostics;

namespace BindingServer.EndToEnd;

/// <summary>Runs a command to its end, for the tests that drive the .NET CLI and installed tools.</summary>
public static class CommandLine
{
    /// <summary>The exit code and everything the command wrote (standard output, then standard error).</summary>
    public static async Task<(int ExitCode, string Out)> RunAsync(string file, string? workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await errors);
    }
}
