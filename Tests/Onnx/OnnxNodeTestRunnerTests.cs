using Xunit;
using static ILGPUInt8.Tests.Onnx.OnnxProtoBuilder;

namespace ILGPUInt8.Tests.Onnx;

/// <summary>The node-test runner itself: a test folder that holds a model but no data set fails instead of passing.</summary>
public sealed class OnnxNodeTestRunnerTests
{
    [Fact]
    public void Folder_without_data_sets_fails()
    {
        var directory = Directory.CreateTempSubdirectory("ilgpuint8-nodetest-").FullName;
        try
        {
            var model = Model(13, [Node("Relu", ["x"], ["y"])], [Value("x", 1, 4)], [Value("y", 1, 4)]);
            File.WriteAllBytes(Path.Combine(directory, "model.onnx"), model.Bytes());
            var failure = OnnxNodeTestRunner.Run(directory);
            Assert.NotNull(failure);
            Assert.Contains("no test_data_set_", failure, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
