namespace ILGPUInt8.Cli.Common;

/// <summary>
/// What the default demo runs on: the committed Fashion-MNIST CNN and test subset, copied next to the executable
/// (<c>models/</c>), and the full Fashion-MNIST of Debian's <c>dataset-fashion-mnist</c> when it is installed.
/// </summary>
public static class DemoAssets
{
    /// <summary>Where Debian's dataset-fashion-mnist puts the IDX files.</summary>
    public const string DebianFashionMnist = "/usr/share/datasets/fashion-mnist";

    /// <summary>Mean of the Fashion-MNIST training pixels in [0, 1] (the model's input normalization).</summary>
    public const float Mean = 0.2860f;

    /// <summary>Their standard deviation.</summary>
    public const float Std = 0.3530f;

    /// <summary>The FP32 model.</summary>
    public static string Model => Path.Combine(AppContext.BaseDirectory, "models", "fashion_cnn.onnx");

    /// <summary>The QDQ model quantized by torch (the peer).</summary>
    public static string QdqModel => Path.Combine(AppContext.BaseDirectory, "models", "fashion_cnn_qdq.onnx");

    /// <summary>The shipped 3000 test images and labels.</summary>
    public static IdxPair ShippedTest => new(
        Path.Combine(AppContext.BaseDirectory, "models", "data", "fashion-t10k-3000-images.idx.gz"),
        Path.Combine(AppContext.BaseDirectory, "models", "data", "fashion-t10k-3000-labels.idx.gz"));

    /// <summary>The input normalization of the model.</summary>
    public static Normalization Normalization => new(Mean, Std);
}
