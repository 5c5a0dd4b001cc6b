using System.CommandLine;
using System.Globalization;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPUInt8.Cli.Common;
using ILGPUInt8.Kernels.Runtime;
using Spectre.Console;

namespace ILGPUInt8.Cli.Commands;

/// <summary>
/// <c>ilgpu-int8 info [--json]</c>: the devices ILGPU finds (compute capability, PTX ISA, multiprocessors, memory in
/// binary units) and which one the library uses. The table fits 80 columns; the CPU accelerator's memory is the host's.
/// </summary>
public sealed class InfoCommand : CliCommand
{
    private readonly Option<bool> _json = CliOptions.Json();

    /// <inheritdoc />
    public override string Name => "info";

    /// <inheritdoc />
    public override string Description => "devices, ILGPU version, compute capability, PTX ISA, multiprocessors, memory; which one is used";

    /// <inheritdoc />
    public override int Run(CliInvocation run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var json = run.Get(_json);
        var devices = new List<DeviceRow>();
        using (var context = Context.Create(b => b.CPU(CPUDevice.Nvidia).Cuda()))
        {
            // CUDA devices come in ordinal order: the i-th is what cuda:i (--device, --devices) names.
            var cuda = 0;
            foreach (var device in context)
            {
                devices.Add(DeviceRow.Of(device, device is CudaDevice ? DeviceSpec.Cuda(cuda++) : DeviceSpec.Cpu));
            }
        }

        var used = Engines.DeviceLine();
        if (json)
        {
            run.WriteJson(new
            {
                version = CliVersion.Informational,
                ilgpu = CliVersion.Ilgpu,
                dotnet = Environment.Version.ToString(),
                devices = devices.Select(d => new
                {
                    name = d.Name,
                    spec = d.Spec,
                    kind = d.Kind,
                    compute_capability = d.ComputeCapability,
                    ptx_isa = d.PtxIsa,
                    multiprocessors = d.Multiprocessors,
                    memory_bytes = d.MemoryBytes,
                    shared_memory_per_group_bytes = d.SharedBytes,
                    warp_size = d.WarpSize,
                }),
                used,
            });
            return 0;
        }

        var console = run.Console;
        console.MarkupLineInterpolated($"ilgpu-int8 {CliVersion.Informational}");
        console.MarkupLineInterpolated($"ILGPU {CliVersion.Ilgpu}, .NET {Environment.Version}");
        var table = new Table().Title("Devices")
            .AddColumn("device").AddColumn("spec").AddColumn("cc").AddColumn("PTX")
            .AddColumn(new TableColumn("SMs").RightAligned()).AddColumn(new TableColumn("memory").RightAligned())
            .AddColumn(new TableColumn("smem").RightAligned()).AddColumn(new TableColumn("warp").RightAligned())
            .Caption("spec: what --device and --devices take (a cpu may repeat in --devices); cc: compute capability; SMs: multiprocessors; smem: shared memory per group; CPU memory: the host's");
        foreach (var d in devices)
        {
            table.AddRow(
                Markup.Escape(d.Name),
                d.Spec,
                d.ComputeCapability ?? "-",
                d.PtxIsa ?? "-",
                d.Multiprocessors.ToString(CultureInfo.InvariantCulture),
                d.MemoryBytes is { } m ? FormatBytes(m) : "-",
                FormatBytes(d.SharedBytes),
                d.WarpSize.ToString(CultureInfo.InvariantCulture));
        }

        console.Write(table);
        console.MarkupLineInterpolated($"The library runs on: [bold]{used}[/].");
        return 0;
    }

    /// <summary>Bytes in binary units: B, KiB, MiB, GiB, TiB (one decimal from MiB up).</summary>
    internal static string FormatBytes(long bytes) => bytes switch
    {
        >= 1L << 40 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 40):F1} TiB"),
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):F1} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):F1} MiB"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 10):F0} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
    };

    private sealed record DeviceRow(string Name, string Spec, string Kind, string? ComputeCapability, string? PtxIsa, int Multiprocessors, long? MemoryBytes, long SharedBytes, int WarpSize)
    {
        public static DeviceRow Of(Device device, DeviceSpec spec)
        {
            string? cc = null, isa = null;
            if (device is CudaDevice cuda)
            {
                cc = cuda.Architecture is { } arch ? $"{arch.Major}.{arch.Minor}" : "?";
                isa = cuda.InstructionSet is { } set ? $"{set.Major}.{set.Minor}" : "?";
            }

            // ILGPU's CPU device reports long.MaxValue-ish memory (no limit): show the host's memory instead.
            long? memory = device.AcceleratorType == AcceleratorType.CPU
                ? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes
                : device.MemorySize;
            var kind = device.AcceleratorType == AcceleratorType.CPU ? "CPU" : device.AcceleratorType.ToString();
            return new DeviceRow(device.Name, spec.Name, kind, cc, isa, device.NumMultiprocessors, memory, device.MaxSharedMemoryPerGroup, device.WarpSize);
        }
    }
}
