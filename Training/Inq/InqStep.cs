namespace ILGPUInt8.Training.Inq;

/// <summary>One row of INQ's progress table.</summary>
/// <param name="Portion">Share of each layer's weights fixed at powers of two (0: the float model before INQ).</param>
/// <param name="Top1">Test top-1 in [0, 1] after the step's retraining.</param>
/// <param name="TrainLoss">Mean training loss of the step's retraining (NaN when nothing trained).</param>
/// <param name="Seconds">Wall time of the step (quantize, retrain, evaluate).</param>
public readonly record struct InqStep(double Portion, double Top1, double TrainLoss, double Seconds);
