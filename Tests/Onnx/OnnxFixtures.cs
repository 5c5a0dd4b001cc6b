using System.Reflection;
using ILGPUInt8.Layers.Data;
using ILGPUInt8.Layers.Onnx.Reference;
using Xunit;

namespace ILGPUInt8.Tests.Onnx;

/// <summary>Paths of the committed models and data, the ResNet18 package file, and the ONNX node tests.</summary>
public static class OnnxFixtures
{
    private static string Metadata(string key) =>
        typeof(OnnxFixtures).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value ?? "";

    /// <summary>The repository root (from the build; beside the test binaries' ancestors otherwise).</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>Models/ in the repository.</summary>
    public static string ModelsDir => Path.Combine(RepositoryRoot, "Models");

    /// <summary>The FP32 Fashion-MNIST CNN (opset 13).</summary>
    public static string FashionCnn => Path.Combine(ModelsDir, "fashion_cnn.onnx");

    /// <summary>The QDQ Fashion-MNIST CNN made by torch's post-training quantization.</summary>
    public static string FashionCnnQdq => Path.Combine(ModelsDir, "fashion_cnn_qdq.onnx");

    /// <summary>ResNet18.onnx inside the NuGet package folder (may be absent where packages were not restored).</summary>
    public static string ResNet18 => Metadata("ResNet18Onnx");

    /// <summary>The ONNX node tests of Debian's libonnx-testdata.</summary>
    public const string NodeTestsDir = "/usr/share/libonnx-testdata/data/node";

    /// <summary>The first <paramref name="count"/> test images, normalized, and their labels.</summary>
    public static (float[] Images, byte[] Labels) FashionTestImages(int count)
    {
        var (images, labels, n) = FashionMnist.Load(
            Path.Combine(ModelsDir, "data", "fashion-t10k-3000-images.idx.gz"),
            Path.Combine(ModelsDir, "data", "fashion-t10k-3000-labels.idx.gz"));
        Assert.True(count <= n, $"only {n} images are shipped");
        return (FashionMnist.Normalize(images, 0, count), labels[..count]);
    }

    /// <summary>A reference input of shape [count, 1, 28, 28].</summary>
    internal static ReferenceTensor FashionInput(int count) => new([count, 1, 28, 28], FashionTestImages(count).Images);

    private static string FindRoot()
    {
        string fromBuild = Metadata("RepositoryRoot");
        if (Directory.Exists(Path.Combine(fromBuild, "Models")))
        {
            return fromBuild;
        }
        // A packed copy (the GPU machine) runs from elsewhere: look upwards from the binaries for Models/.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, "Models")))
            {
                return dir.FullName;
            }
        }
        return fromBuild;
    }
}
