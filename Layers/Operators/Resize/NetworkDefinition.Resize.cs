using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Network;

/// <summary>The network builder method of the Resize operator.</summary>
public sealed partial class NetworkDefinition
{
    /// <summary>
    /// Adds a spatial resize to <paramref name="outH"/> × <paramref name="outW"/> (scales: what the coordinates divide by;
    /// <paramref name="options"/>: cubic's coefficient and exclude_outside, tf_crop_and_resize's crop; ONNX's defaults if null).
    /// </summary>
    public ResizeLayer AddResize(Tensor input, int outH, int outW, float scaleH, float scaleW, ResizeMode mode = ResizeMode.Nearest,
        ResizeCoordinates coordinates = ResizeCoordinates.Asymmetric, NearestRounding rounding = NearestRounding.Floor, string? name = null, ResizeOptions? options = null) =>
        Add(new ResizeLayer(LayerName(name, LayerType.Resize), [input], outH, outW, scaleH, scaleW, mode, coordinates, rounding, options));
}
