namespace ILGPUInt8.Layers.Runtime;

/// <summary>
/// A step that can run one of several kernel variants (tactics): build-time tactic timing (<see cref="TacticTimer"/>)
/// times each candidate and keeps the fastest in the plan node's tactics. An INT8 step's candidates all give the same
/// bits; a float step's (FP16/TF32 convolutions) the same values within their kernels' tolerance, each summing in its own
/// order.
/// </summary>
internal interface ITunableStep
{
    /// <summary>The variants that can run this step at <paramref name="batch"/> (empty or one: nothing to choose).</summary>
    IReadOnlyList<string> Candidates(int batch);

    /// <summary>
    /// What the timing depends on, at <paramref name="batch"/>: the problem, the epilogue and the input's alignment (the
    /// timing cache's key together with the device).
    /// </summary>
    string TimingProblem(int batch);

    /// <summary>A variant every run uses instead of the node's tactics while it is timed (null: the tactics).</summary>
    string? Trial { get; set; }
}
