using ILGPUInt8.Calibration.Data;

namespace ILGPUInt8.Layers.Data;

/// <summary>
/// The Fashion-MNIST test subset shipped in Models/data and the input normalization of Models/fashion_cnn*.onnx:
/// x = (pixel / 255 − 0.2860) / 0.3530, NCHW [N, 1, 28, 28].
/// </summary>
public static class FashionMnist
{
    /// <summary>Mean of the training pixels scaled to [0, 1].</summary>
    public const float Mean = 0.2860f;

    /// <summary>Standard deviation of the training pixels scaled to [0, 1].</summary>
    public const float Std = 0.3530f;

    /// <summary>Image side.</summary>
    public const int Side = 28;

    /// <summary>The class names, by label.</summary>
    public static IReadOnlyList<string> Classes { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>Reads images and labels (IDX files, gzip or not); checks they agree.</summary>
    /// <param name="imagesPath">[N, 28, 28] unsigned bytes.</param>
    /// <param name="labelsPath">[N] labels 0–9.</param>
    public static (byte[] Images, byte[] Labels, int Count) Load(string imagesPath, string labelsPath)
    {
        var (imageDims, images) = ReadBytes(imagesPath);
        var (labelDims, labels) = ReadBytes(labelsPath);
        if (imageDims.Length != 3 || imageDims[1] != Side || imageDims[2] != Side)
        {
            throw new InvalidDataException($"'{imagesPath}' holds [{string.Join(", ", imageDims)}], not [N, 28, 28] images.");
        }
        if (labelDims.Length != 1 || labelDims[0] != imageDims[0])
        {
            throw new InvalidDataException($"'{labelsPath}' holds {labelDims.FirstOrDefault()} labels for {imageDims[0]} images.");
        }
        return (images, labels, imageDims[0]);
    }

    // An unsigned-byte IDX file (plain or .gz) through the Calibration project's reader.
    private static (int[] Dims, byte[] Data) ReadBytes(string path)
    {
        var array = IdxFile.Read(path);
        return array.Type == IdxType.UInt8
            ? ([.. array.Shape], array.RawData.ToArray())
            : throw new InvalidDataException($"'{path}' is not an unsigned-byte IDX file (element type {array.Type}).");
    }

    /// <summary>Normalized NCHW floats for images [first, first + count).</summary>
    public static float[] Normalize(ReadOnlySpan<byte> images, int first, int count)
    {
        const int pixels = Side * Side;
        var x = new float[(long)count * pixels];
        var source = images.Slice(first * pixels, count * pixels);
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = ((source[i] / 255f) - Mean) / Std;
        }
        return x;
    }
}
