namespace ILGPUInt8.Kernels.Tensors;

/// <summary>Memory layouts of a 4-D tensor, named as cuDNN's tensor formats.</summary>
public enum TensorFormat
{
    /// <summary>[N][C][H][W].</summary>
    NCHW,

    /// <summary>[N][H][W][C].</summary>
    NHWC,

    /// <summary>[N][ceil(C/4)][H][W][4]: channels packed by 4 (cuDNN INT8x4); padding channels are zero.</summary>
    NCHW_VECT_C,
}
