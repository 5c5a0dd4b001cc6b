using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Training.Inq;

/// <summary>How <see cref="IncrementalQuantizer"/> runs.</summary>
public sealed record InqOptions
{
    /// <summary>Bit width b of the weights (2–8; see <see cref="PowerOfTwo"/>).</summary>
    public int Bits { get; init; } = 5;

    /// <summary>Accumulated portions of each layer's weights fixed at powers of two, step by step (the paper's 50 → 75 → 87.5 → 100 %).</summary>
    public IReadOnlyList<double> Portions { get; init; } = [0.5, 0.75, 0.875, 1.0];

    /// <summary>Retraining epochs after each step (after the last one only biases and batch-norm γ, β still train).</summary>
    public double EpochsPerStep { get; init; } = 1;

    /// <summary>Mini-batch size.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>SGD learning rate at the start of each step's retraining (it decays linearly to a tenth over the step).</summary>
    public float LearningRate { get; init; } = 0.01f;

    /// <summary>SGD momentum.</summary>
    public float Momentum { get; init; } = 0.9f;

    /// <summary>Weight decay of the weights still in floating point.</summary>
    public float WeightDecay { get; init; } = 5e-4f;

    /// <summary>Seed of the shuffles.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>
    /// Where the GEMMs run (<see cref="TrainingDevice.Open"/>: Cpu the host SGEMM, Cuda the GPU, Auto CUDA when present),
    /// or null for the network's own <see cref="TrainableNetwork.Device"/>. The weights come out bit-identical on each.
    /// </summary>
    public DeviceKind? Device { get; init; }

    /// <summary>Throws for settings out of range.</summary>
    public void Validate()
    {
        _ = PowerOfTwo.ForLayer(1f, Bits);
        if (Portions.Count == 0 || Portions[^1] != 1.0 || Portions.Any(p => !(p > 0 && p <= 1)) || Portions.Zip(Portions.Skip(1)).Any(q => q.Second <= q.First))
        {
            throw new ArgumentException($"Portions ({string.Join(", ", Portions)}) must increase within (0, 1] and end at 1.", nameof(Portions));
        }

        if (!(EpochsPerStep >= 0) || BatchSize < 1 || !(LearningRate > 0) || Momentum is < 0 or >= 1 || WeightDecay < 0)
        {
            throw new ArgumentException($"Invalid INQ training settings: epochs {EpochsPerStep}, batch {BatchSize}, learning rate {LearningRate}, momentum {Momentum}, weight decay {WeightDecay}.");
        }
    }
}
