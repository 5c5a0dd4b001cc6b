using System.Globalization;
using Spectre.Console;

namespace ILGPUInt8.Cli.Common;

/// <summary>How an evaluation is shown, by <c>eval</c> and <c>cluster eval</c> alike: top-1 of both engines, their agreement and a speed row.</summary>
public static class EvalOutput
{
    /// <summary>The table: top-1 (FP32, INT8), agreement, and <paramref name="speed"/> (a label and the FP32 and INT8 cells).</summary>
    public static void PrintTable(IAnsiConsole console, long images, double fp32Top1, double int8Top1, double agreement, (string Label, string Fp32, string Int8) speed)
    {
        ArgumentNullException.ThrowIfNull(console);
        var table = new Table().Title($"[bold]top-1 on {images} images[/]").AddColumn("").AddColumn(new TableColumn("FP32").RightAligned()).AddColumn(new TableColumn("INT8").RightAligned());
        table.AddRow("top-1", Percent(fp32Top1), Percent(int8Top1));
        table.AddRow("agreement", string.Empty, Percent(agreement));
        table.AddRow(Markup.Escape(speed.Label), speed.Fp32, speed.Int8);
        console.Write(table);
    }

    /// <summary>One column per precision: top-1, agreement with FP32 (the first column's baseline) and images/s.</summary>
    public static void PrintColumns(IAnsiConsole console, long images, IReadOnlyList<(string Name, double Top1, double Agreement, double ImagesPerSecond)> columns)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(columns);
        var table = new Table().Title($"[bold]top-1 on {images} images[/]").AddColumn("");
        foreach (var c in columns)
        {
            table.AddColumn(new TableColumn(Markup.Escape(c.Name)).RightAligned());
        }

        table.AddRow(["top-1", .. columns.Select(c => Percent(c.Top1))]);
        table.AddRow(["agreement with FP32", .. columns.Select(c => c.Name == "FP32" ? string.Empty : Percent(c.Agreement))]);
        table.AddRow(["images/s", .. columns.Select(c => Rate(c.ImagesPerSecond))]);
        console.Write(table);
    }

    /// <summary>Images per second as the table shows it.</summary>
    public static string Rate(double perSecond) => perSecond.ToString("N0", CultureInfo.InvariantCulture);

    private static string Percent(double share) => (share * 100).ToString("F2", CultureInfo.InvariantCulture) + " %";
}
