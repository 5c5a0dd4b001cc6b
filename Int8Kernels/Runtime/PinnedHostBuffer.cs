using System.Runtime.InteropServices;
using ILGPU.Runtime.Cuda;

namespace ILGPUInt8.Kernels.Runtime;

/// <summary>
/// Host memory for transfers: page-locked (<c>cuMemHostAlloc</c>, portable) on a CUDA device, so that the copy
/// engines read and write it directly and <see cref="CudaCopyStream"/>'s copies run asynchronously at the bus's speed;
/// ordinary 64-byte aligned host memory elsewhere (the CPU accelerator, the CPU backend, a driver without the entry
/// point), where copies are plain host copies. The contents start undefined.
/// </summary>
internal sealed unsafe class PinnedHostBuffer : IDisposable
{
    private readonly CudaAccelerator? _cuda;
    private IntPtr _pointer;

    private PinnedHostBuffer(IntPtr pointer, long bytes, CudaAccelerator? cuda)
    {
        _pointer = pointer;
        Bytes = bytes;
        _cuda = cuda;
    }

    /// <summary>Start of the memory.</summary>
    public IntPtr Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_pointer == 0, this);
            return _pointer;
        }
    }

    /// <summary>Size in bytes.</summary>
    public long Bytes { get; }

    /// <summary>Whether the memory is page-locked by the CUDA driver (else ordinary host memory).</summary>
    public bool PageLocked => _cuda is not null;

    /// <summary>
    /// <paramref name="bytes"/> bytes (at least 1) of page-locked memory on a CUDA <paramref name="device"/> whose driver
    /// has the entry points, else of ordinary aligned host memory.
    /// </summary>
    public static PinnedHostBuffer Allocate(Int8Device device, long bytes)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        var size = (nuint)Math.Max(bytes, 1);
        if (device.Accelerator is CudaAccelerator cuda && CudaDriver.Instance.CopyMissing is null)
        {
            cuda.Bind();
            IntPtr pointer = 0;
            var api = CudaDriver.Instance;
            var status = api.HostAlloc(&pointer, size, CudaDriver.HostAllocPortable);
            if (status != 0)
            {
                throw new OutOfMemoryException($"{api.Failure("cuMemHostAlloc", status)} ({bytes} bytes of page-locked host memory).");
            }

            return new PinnedHostBuffer(pointer, bytes, cuda);
        }

        return new PinnedHostBuffer((IntPtr)NativeMemory.AlignedAlloc(size, 64), bytes, null);
    }

    /// <summary>The first <paramref name="length"/> elements of type <typeparamref name="T"/>.</summary>
    public Span<T> AsSpan<T>(long length)
        where T : unmanaged
    {
        if (length < 0 || length * sizeof(T) > Bytes)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, $"The buffer holds {Bytes / sizeof(T)} values of {typeof(T).Name}.");
        }

        return new Span<T>((void*)Pointer, checked((int)length));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_pointer == 0)
        {
            return;
        }

        if (_cuda is null)
        {
            NativeMemory.AlignedFree((void*)_pointer);
        }
        else if (!_cuda.IsDisposed)
        {
            // A destroyed context has freed its page-locked allocations itself.
            _cuda.Bind();
            _ = CudaDriver.Instance.FreeHost(_pointer);
        }

        _pointer = 0;
    }
}
