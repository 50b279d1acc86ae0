using Serilog;
using Serilog.Events;

namespace BindingServer.Hosting;

/// <summary>
/// The log levels of the <c>Serilog:MinimumLevel</c> section (<c>Default</c>, and <c>Override:&lt;namespace&gt;</c>),
/// read directly: Serilog's configuration reader scans assemblies by reflection, which cost a noticeable part of
/// start-up for the two settings this server uses.
/// </summary>
public static class LogLevels
{
    public static LoggerConfiguration FromConfiguration(this LoggerConfiguration logging, IConfiguration configuration)
    {
        var section = configuration.GetSection("Serilog:MinimumLevel");
        if (Parse(section["Default"] ?? section.Value) is { } level)
        {
            logging.MinimumLevel.Is(level);
        }

        foreach (var entry in section.GetSection("Override").GetChildren())
        {
            if (Parse(entry.Value) is { } overridden)
            {
                logging.MinimumLevel.Override(entry.Key, overridden);
            }
        }

        return logging;
    }

    private static LogEventLevel? Parse(string? text) => Enum.TryParse<LogEventLevel>(text, ignoreCase: true, out var level) ? level : null;
}
