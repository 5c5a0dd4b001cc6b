namespace ILGPUInt8.Calibration.Tables;

/// <summary>What a calibration table must match: the model's hash (null: not checked) and its calibrated tensor names.</summary>
/// <param name="Hash">Hash of the model (e.g. <see cref="Hashing.Sha256Hex(ReadOnlySpan{byte})"/> of its file), or null.</param>
/// <param name="TensorNames">Names of every tensor that needs a scale.</param>
public sealed record ModelSignature(string? Hash, IReadOnlyCollection<string> TensorNames);
