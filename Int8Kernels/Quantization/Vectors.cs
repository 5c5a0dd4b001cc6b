using System.Runtime.InteropServices;

namespace ILGPUInt8.Kernels.Quantization;

/// <summary>Four floats, 16 bytes: viewing float data as this makes ILGPU emit 16-byte loads and stores.</summary>
[StructLayout(LayoutKind.Sequential, Size = 16)]
public struct Float4
{
    /// <summary>Lanes 0..3.</summary>
    public float X, Y, Z, W;
}

/// <summary>Four ints, 16 bytes (16 int8 lanes or 4 int32): one 16-byte access.</summary>
[StructLayout(LayoutKind.Sequential, Size = 16)]
public struct Int4
{
    /// <summary>Lanes 0..3.</summary>
    public int X, Y, Z, W;
}
