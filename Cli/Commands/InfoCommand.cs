using ILGPU;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPUInt8.Cli.Common;
using Spectre.Console;

namespace ILGPUInt8.Cli.Commands;

/// <summary><c>ilgpu-int8 info</c>: the devices ILGPU finds and which one the library would use.</summary>
public static class InfoCommand
{
    /// <summary>Prints the device table.</summary>
    public static int Run(IAnsiConsole console, string[] args)
    {
        ArgumentNullException.ThrowIfNull(console);
        _ = CliArgs.Parse("info", args, [], []);
        var ilgpuVersion = typeof(Context).Assembly.GetName().Version?.ToString() ?? "?";
        console.MarkupLineInterpolated($"ILGPUInt8 · ILGPU {ilgpuVersion} · .NET {Environment.Version}");

        var table = new Table().Title("Devices")
            .AddColumn("device").AddColumn("kind").AddColumn("compute capability").AddColumn("PTX ISA")
            .AddColumn("multiprocessors").AddColumn("memory").AddColumn("shared mem / group").AddColumn("warp");

        using (var context = Context.Create(b => b.CPU(CPUDevice.Nvidia).Cuda()))
        {
            foreach (var device in context)
            {
                string cc = "-", isa = "-";
                if (device is CudaDevice cuda)
                {
                    cc = cuda.Architecture is { } arch ? $"{arch.Major}.{arch.Minor}" : "?";
                    isa = cuda.InstructionSet is { } set ? $"{set.Major}.{set.Minor}" : "?";
                }

                table.AddRow(
                    Markup.Escape(device.Name),
                    device.AcceleratorType.ToString(),
                    cc,
                    isa,
                    device.NumMultiprocessors.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    FormatBytes(device.MemorySize),
                    FormatBytes(device.MaxSharedMemoryPerGroup),
                    device.WarpSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        console.Write(table);
        console.MarkupLineInterpolated($"The library runs on: [bold]{Engines.DeviceLine()}[/].");
        return 0;
    }

    private static string FormatBytes(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):F1} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):F1} MiB",
        >= 1L << 10 => $"{bytes / (double)(1L << 10):F0} KiB",
        _ => $"{bytes} B",
    };
}
