using Spectre.Console;

namespace ILGPUInt8.Cli.Common;

/// <summary>A bar of a progress display (or nothing, when progress is hidden).</summary>
public interface IProgressBar
{
    /// <summary>Sets the total (e.g. once the number of batches is known).</summary>
    void SetTotal(double total);

    /// <summary>Sets the value reached.</summary>
    void SetValue(double value);

    /// <summary>Adds to the value.</summary>
    void Increment(double amount);

    /// <summary>Marks the bar complete.</summary>
    void Finish();
}

/// <summary>Creates bars inside one progress display.</summary>
public interface IProgressBars
{
    /// <summary>A new bar.</summary>
    IProgressBar Add(string description, double total);
}

/// <summary>
/// Spectre.Console progress bars (description, bar, percentage, elapsed time) around a piece of work; with
/// <c>show = false</c> (JSON output, tests) the work runs with bars that draw nothing.
/// </summary>
public static class ProgressBars
{
    /// <summary>Runs <paramref name="work"/> with a progress display on <paramref name="console"/>.</summary>
    public static T Run<T>(IAnsiConsole console, bool show, Func<IProgressBars, T> work)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(work);
        if (!show)
        {
            return work(new Hidden());
        }

        return console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx => work(new Shown(ctx)));
    }

    private sealed class Shown(ProgressContext context) : IProgressBars
    {
        public IProgressBar Add(string description, double total) => new Bar(context.AddTask(Markup.Escape(description), maxValue: Math.Max(total, 1)));
    }

    private sealed class Bar(ProgressTask task) : IProgressBar
    {
        public void SetTotal(double total) => task.MaxValue = Math.Max(total, 1);

        public void SetValue(double value) => task.Value = value;

        public void Increment(double amount) => task.Increment(amount);

        public void Finish()
        {
            task.Value = task.MaxValue;
            task.StopTask();
        }
    }

    private sealed class Hidden : IProgressBars, IProgressBar
    {
        public IProgressBar Add(string description, double total) => this;

        public void SetTotal(double total)
        {
        }

        public void SetValue(double value)
        {
        }

        public void Increment(double amount)
        {
        }

        public void Finish()
        {
        }
    }
}

/// <summary>An <see cref="IProgress{T}"/> that calls back on the reporting thread (no synchronization context hop).</summary>
/// <typeparam name="T">Report type.</typeparam>
/// <param name="report">Called for every report.</param>
public sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    /// <inheritdoc />
    public void Report(T value) => report(value);
}
