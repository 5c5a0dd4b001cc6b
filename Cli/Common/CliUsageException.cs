namespace ILGPUInt8.Cli.Common;

/// <summary>A usage error: printed as it is, exit code 2.</summary>
/// <param name="message">What was wrong and how to fix it.</param>
public sealed class CliUsageException(string message) : Exception(message);
