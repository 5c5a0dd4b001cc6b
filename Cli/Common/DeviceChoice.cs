using System.Globalization;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Cli.Common;

/// <summary>
/// The <c>--device</c> value: auto, cpu, cuda or cuda:N. It is applied by setting <c>ILGPUINT8_DEVICE</c> for the run
/// (the library reads it when it picks the device), and restored afterwards (tests run commands in one process).
/// </summary>
/// <param name="Kind">auto, cpu or cuda.</param>
/// <param name="Ordinal">The CUDA device number (0 unless cuda:N).</param>
public sealed record DeviceChoice(string Kind, int Ordinal)
{
    /// <summary>Parses <c>auto|cpu|cuda|cuda:N</c> (case-insensitive).</summary>
    public static bool TryParse(string? text, out DeviceChoice choice)
    {
        choice = new DeviceChoice("auto", 0);
        var t = (text ?? "auto").Trim().ToLowerInvariant();
        if (t is "auto" or "cpu" or "cuda")
        {
            choice = new DeviceChoice(t, 0);
            return true;
        }

        if (t.StartsWith("cuda:", StringComparison.Ordinal)
            && int.TryParse(t.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            choice = new DeviceChoice("cuda", n);
            return true;
        }

        return false;
    }

    /// <summary>Sets the device for the run; dispose to restore the environment as it was.</summary>
    public IDisposable Apply()
    {
        var variable = Int8Device.DeviceEnvironmentVariable;
        var before = Environment.GetEnvironmentVariable(variable);
        if (Kind == "auto")
        {
            return new Restore(variable, before, changed: false);
        }

        if (Kind == "cuda")
        {
            if (!Int8Device.CudaAvailable)
            {
                throw new CliUsageException("--device cuda: no CUDA device was found here; use --device cpu (or leave --device out).");
            }

            if (Ordinal != 0)
            {
                throw new CliUsageException($"--device cuda:{Ordinal}: this build runs on CUDA device 0 only; use --device cuda:0 or set CUDA_VISIBLE_DEVICES={Ordinal}.");
            }
        }

        Environment.SetEnvironmentVariable(variable, Kind);
        return new Restore(variable, before, changed: true);
    }

    private sealed class Restore(string variable, string? before, bool changed) : IDisposable
    {
        public void Dispose()
        {
            if (changed)
            {
                Environment.SetEnvironmentVariable(variable, before);
            }
        }
    }
}
