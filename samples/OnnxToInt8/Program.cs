// ONNX file → INT8 engine → outputs. The QDQ model carries its own activation ranges, so no calibration is needed
// (for an FP32 model see ../CalibrationMethods). CUDA is used when present, else the CPU backend.
using ILGPUInt8.Layers.Builder;
using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Samples;

var path = args.Length > 0 ? args[0] : SampleData.ModelsFile("fashion_cnn_qdq.onnx");
const int Batch = 100;
var model = OnnxNetworkLoader.Load(path);
using var engine = EngineBuilder.Build(model.Network, new BuilderConfig { MaxBatchSize = Batch, Int8 = true });
using var context = engine.CreateExecutionContext();

var (images, labels) = SampleData.Images(0, Batch);
var probabilities = new float[Batch * 10];
context.Execute(images, probabilities, Batch);                    // spans: caller-owned input and output

Console.WriteLine($"{engine.BackendName}: {model.Network.Name}, {model.QdqRanges.Count} QDQ ranges");
Console.WriteLine(engine.Describe());
Console.WriteLine($"INT8 top-1 on {Batch} test images: {SampleData.Top1(probabilities, labels):P1}");
