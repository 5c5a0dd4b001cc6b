using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace ILGPUInt8.Kernels.Arch;

/// <summary>
/// Warp-wide shared-memory matrix load <c>ldmatrix.sync.aligned.m8n8.x4.shared.b16</c> (sm_75+): four 8×8 b16
/// matrices (8 rows of 16 bytes each). Lanes 8j..8j+7 give the row addresses of matrix j (16-byte aligned);
/// lane l receives r_j = the 4 bytes at row l &gt;&gt; 2, byte 4·(l &amp; 3) of matrix j.
/// For int8 this is exactly the m16n8k32 operand layout (see <see cref="Mma"/>): one x4 gives the four A registers
/// of a 16×32 tile when lane l points at row (l &amp; 15), bytes 16·(l &gt;&gt; 4); or the two B registers of two n8
/// tiles when lane l points at row (l &amp; 7) + 8·(l &gt;&gt; 4), bytes 16·((l &gt;&gt; 3) &amp; 1).
/// The fallback does the same through warp shuffles and ordinary reads (CPU accelerator).
/// </summary>
internal static class LdMatrix
{
    /// <summary>
    /// Loads four matrices. <paramref name="byteOffset"/> is this lane's row address in bytes from the start of
    /// <paramref name="shared"/> (the dynamic shared memory); <paramref name="sharedBase"/> is its shared-window
    /// address (<see cref="SharedAddress.DynamicBase"/>). Call from all 32 lanes of a warp.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void X4(ArrayView<int> shared, uint sharedBase, int byteOffset, out int r0, out int r1, out int r2, out int r3)
    {
        if (CudaAsm.IsSupported)
        {
            X4Ptx(sharedBase, byteOffset, out r0, out r1, out r2, out r3);
            return;
        }

        X4Emulated(shared, byteOffset, out r0, out r1, out r2, out r3);
    }

    /// <summary>The PTX instruction alone (CUDA only), at shared address <paramref name="sharedBase"/> + <paramref name="byteOffset"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void X4Ptx(uint sharedBase, int byteOffset, out int r0, out int r1, out int r2, out int r3)
    {
        Output<int> o0 = default, o1 = default, o2 = default, o3 = default;
        Input<uint> address = sharedBase + (uint)byteOffset;
        CudaAsm.EmitRef(
            "ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];",
            ref o0, ref o1, ref o2, ref o3, ref address);
        r0 = o0.Value;
        r1 = o1.Value;
        r2 = o2.Value;
        r3 = o3.Value;
    }

    /// <summary>The same through warp shuffles and ordinary reads of <paramref name="shared"/> (any accelerator with 32-lane warps).</summary>
    public static void X4Emulated(ArrayView<int> shared, int byteOffset, out int r0, out int r1, out int r2, out int r3)
    {
        // Matrix j's row (lane >> 2) comes from lane 8j + (lane >> 2); this lane takes word (lane & 3) of it.
        int lane = Warp.LaneIdx;
        int row = lane >> 2, word = lane & 3;
        r0 = shared[(Warp.Shuffle(byteOffset, row) >> 2) + word];
        r1 = shared[(Warp.Shuffle(byteOffset, 8 + row) >> 2) + word];
        r2 = shared[(Warp.Shuffle(byteOffset, 16 + row) >> 2) + word];
        r3 = shared[(Warp.Shuffle(byteOffset, 24 + row) >> 2) + word];
    }
}
