namespace ILGPUInt8.Kernels.Runtime;

/// <summary>
/// The devices of a device list (<see cref="DeviceSpec.ParseList"/>) opened for one job: a new CPU accelerator for every
/// <c>cpu</c> listed (so <c>cpu,cpu</c> is two devices), the process's shared device for a CUDA device (one context per
/// GPU). Disposing closes the CPU accelerators it made; the shared CUDA devices stay.
/// </summary>
public sealed class DeviceSet : IDisposable
{
    private readonly List<Int8Device> _owned;

    private DeviceSet(IReadOnlyList<Int8Device> devices, List<Int8Device> owned)
    {
        Devices = devices;
        _owned = owned;
    }

    /// <summary>The devices, in the list's order.</summary>
    public IReadOnlyList<Int8Device> Devices { get; }

    /// <summary>Opens every device of <paramref name="specs"/> (a CUDA device the machine lacks is an ArgumentException naming the count).</summary>
    public static DeviceSet Open(IReadOnlyList<DeviceSpec> specs)
    {
        ArgumentNullException.ThrowIfNull(specs);
        if (specs.Count == 0)
        {
            throw new ArgumentException("The device list is empty.", nameof(specs));
        }

        var owned = new List<Int8Device>();
        var devices = new List<Int8Device>();
        try
        {
            foreach (var spec in specs)
            {
                if (spec.Kind == DeviceKind.Cuda)
                {
                    spec.Check();
                    devices.Add(Int8Device.Shared(spec));
                }
                else
                {
                    var device = Int8Device.Create(spec);
                    owned.Add(device);
                    devices.Add(device);
                }
            }
        }
        catch
        {
            owned.ForEach(d => d.Dispose());
            throw;
        }

        return new DeviceSet(devices, owned);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _owned.ForEach(d => d.Dispose());
        _owned.Clear();
    }
}
