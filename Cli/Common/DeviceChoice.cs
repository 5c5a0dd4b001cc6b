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
        if (t is "auto")
        {
            return true;
        }

        // One parser for device names (DeviceSpec); "gpu" is its alias of cuda, not a --device value.
        if (t != "gpu" && DeviceSpec.TryParse(t, out var spec))
        {
            choice = new DeviceChoice(spec.Kind == DeviceKind.Cuda ? "cuda" : "cpu", spec.Ordinal);
            return true;
        }

        return false;
    }

    /// <summary>
    /// Sets the device for the run; dispose to restore the environment as it was. A CUDA device that is not there
    /// (<c>cuda</c> without a device, <c>cuda:N</c> beyond the last) is a usage error naming how many there are; with
    /// auto, an <c>ILGPUINT8_DEVICE</c> already set is checked the same way.
    /// </summary>
    public IDisposable Apply()
    {
        var variable = Int8Device.DeviceEnvironmentVariable;
        var before = Environment.GetEnvironmentVariable(variable);
        if (Kind == "auto")
        {
            if (!string.IsNullOrWhiteSpace(before))
            {
                if (!TryParse(before, out var fromEnvironment))
                {
                    throw new CliUsageException($"{variable}='{before}' is not auto, cpu, cuda or cuda:N; fix or unset it, or pass --device.");
                }

                fromEnvironment.Check($"{variable}={before.Trim()}");
            }

            return new Restore(variable, before, changed: false);
        }

        Check($"--device {Text}");
        Environment.SetEnvironmentVariable(variable, Text);
        return new Restore(variable, before, changed: true);
    }

    /// <summary>The value as ILGPUINT8_DEVICE takes it: cpu, cuda or cuda:N.</summary>
    private string Text => Kind == "cuda" && Ordinal > 0 ? $"cuda:{Ordinal}" : Kind;

    /// <summary>Refuses a CUDA device this machine does not have, naming how many CUDA devices there are.</summary>
    private void Check(string source)
    {
        if (Kind != "cuda")
        {
            return;
        }

        var count = Int8Device.CudaDeviceCount;
        if (count == 0)
        {
            throw new CliUsageException($"{source}: no CUDA device was found here (0 CUDA devices); use --device cpu (or leave --device out).");
        }

        if (Ordinal >= count)
        {
            throw new CliUsageException($"{source}: this machine has {count} CUDA device{(count == 1 ? string.Empty : "s")} (cuda:0 to cuda:{count - 1}).");
        }
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
