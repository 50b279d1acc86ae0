using System.Diagnostics;

namespace BindingServer.Bench;

/// <summary>One reading of the server's resident memory, <see cref="Seconds"/> after sampling started.</summary>
internal readonly record struct RssSample(double Seconds, double MiB);

/// <summary>
/// Reads a target's RSS at a fixed interval in the background, so a peak between two figures the phase takes itself
/// (a burst of writes, a buffer filling) is not missed.
/// </summary>
internal sealed class RssSampler : IAsyncDisposable
{
    private readonly Target _target;
    private readonly List<RssSample> _samples = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private RssSampler(Target target, TimeSpan interval)
    {
        _target = target;
        _loop = LoopAsync(interval);
    }

    /// <summary>Takes a first sample now, then one every <paramref name="interval"/>.</summary>
    public static RssSampler Start(Target target, TimeSpan interval) => new(target, interval);

    /// <summary>Stops, takes a last sample (the figure "at the end") and returns them all in order.</summary>
    public async Task<IReadOnlyList<RssSample>> StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        Take();
        return _samples;
    }

    private async Task LoopAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            do
            {
                Take();
            }
            while (await timer.WaitForNextTickAsync(_stop.Token));
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    private void Take()
    {
        try
        {
            _samples.Add(new RssSample(_clock.Elapsed.TotalSeconds, _target.RssMiB()));
        }
        catch (IOException)
        {
            // The process has exited (/proc/<pid> is gone): the phase fails on its own requests.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
            await _loop;
        }

        _stop.Dispose();
    }

    /// <summary>Least-squares slope of the samples from <paramref name="fromSeconds"/> on, in MiB per minute (NaN with fewer than two).</summary>
    public static double SlopePerMinute(IReadOnlyList<RssSample> samples, double fromSeconds)
    {
        var tail = samples.Where(s => s.Seconds >= fromSeconds).ToList();
        if (tail.Count < 2)
        {
            return double.NaN;
        }

        var (meanT, meanM) = (tail.Average(s => s.Seconds), tail.Average(s => s.MiB));
        var covariance = tail.Sum(s => (s.Seconds - meanT) * (s.MiB - meanM));
        var variance = tail.Sum(s => (s.Seconds - meanT) * (s.Seconds - meanT));
        return covariance / variance * 60;
    }
}
