namespace ILGPUInt8.Cli.Common;

/// <summary>The cluster cannot be used: no silo answered, or a silo could not start. Exit code 1, kind "cluster".</summary>
/// <param name="message">What failed and what to check.</param>
/// <param name="inner">The cause, or null.</param>
public sealed class ClusterException(string message, Exception? inner = null) : Exception(message, inner);
