namespace ILGPUInt8.Training;

/// <summary>
/// SGD with momentum and weight decay (PyTorch's form): g = ∂loss/∂w + λ·w (λ only where <see cref="Parameter.Decay"/>),
/// v ← μ·v + g, w ← w − η·v. Frozen elements (<see cref="Parameter.Frozen"/>) keep their value and get no momentum.
/// </summary>
/// <param name="LearningRate">η.</param>
/// <param name="Momentum">μ.</param>
/// <param name="WeightDecay">λ.</param>
public sealed record SgdMomentum(float LearningRate, float Momentum = 0.9f, float WeightDecay = 5e-4f)
{
    /// <summary>Applies one update to every parameter from its current gradient.</summary>
    public void Step(IEnumerable<Parameter> parameters)
    {
        foreach (var p in parameters)
        {
            float decay = p.Decay ? WeightDecay : 0f;
            var frozen = p.Frozen;
            for (var i = 0; i < p.Value.Length; i++)
            {
                if (frozen is not null && frozen[i])
                {
                    continue;
                }

                float g = p.Grad[i] + (decay * p.Value[i]);
                float v = p.Velocity[i] = (Momentum * p.Velocity[i]) + g;
                p.Value[i] -= LearningRate * v;
            }
        }
    }
}
