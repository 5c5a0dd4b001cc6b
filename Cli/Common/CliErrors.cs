using System.Reflection;
using System.Text.Json;
using ILGPU;
using ILGPU.Backends;
using ILGPU.Runtime;
using ILGPUInt8.Calibration.Tables;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Layers.Runtime;

namespace ILGPUInt8.Cli.Common;

/// <summary>An error as the user sees it: exit code (1 failure, 2 usage), kind, exception type and what to do.</summary>
/// <param name="ExitCode">1 for a failure, 2 for a usage error.</param>
/// <param name="Kind">usage, input, io, cluster, memory, overflow, device or internal.</param>
/// <param name="Type">The exception type's name.</param>
/// <param name="Message">What went wrong and what to do.</param>
public sealed record CliError(int ExitCode, string Kind, string Type, string Message)
{
    /// <summary>The JSON object printed on stdout under --json: <c>{"error": {exit_code, kind, type, message}}</c>.</summary>
    public string ToJson() => JsonOutput.Serialize(new { error = new { exit_code = ExitCode, kind = Kind, type = Type, message = Message } });
}

/// <summary>
/// Turns every exception that reaches the top into a <see cref="CliError"/>: usage errors exit 2, everything else 1, each
/// with a sentence saying what to do. Nothing escapes as a crash; <c>ILGPUINT8_TRACE=1</c> adds the stack trace.
/// </summary>
public static class CliErrors
{
    /// <summary>Set to 1 to print the stack trace of an error.</summary>
    public const string TraceVariable = "ILGPUINT8_TRACE";

    /// <summary>True when <see cref="TraceVariable"/> is 1.</summary>
    public static bool Trace => Environment.GetEnvironmentVariable(TraceVariable) == "1";

    /// <summary>The error for <paramref name="exception"/>.</summary>
    public static CliError Describe(Exception exception)
    {
        var ex = Unwrap(exception);
        var type = ex.GetType().Name;
        // An ArgumentException's message ends in " (Parameter 'name')", a detail of the code, not of the command line.
        var message = ex is ArgumentException { ParamName: { } parameter } argument
            ? argument.Message.Replace($" (Parameter '{parameter}')", string.Empty, StringComparison.Ordinal)
            : ex.Message;
        var trace = $"(set {TraceVariable}=1 for the stack trace)";
        return ex switch
        {
            CliUsageException => new(2, "usage", type, ex.Message),
            ClusterException => new(1, "cluster", type, ex.Message),
            DataParallelException => new(1, "device", type, $"{ex.Message} Leave the failing device out of --devices, or run on one device."),
            TimeoutException => new(1, "cluster", type, $"{ex.Message} Check that the silos are running (`ilgpu-int8 cluster host`)."),
            System.Net.Sockets.SocketException => new(1, "io", type, $"network error: {ex.Message} (a port in use, or a host that cannot be reached)."),
            OverflowException => new(1, "overflow", type,
                $"a size or value does not fit: {ex.Message} Use a smaller --batch or fewer --images (tensor sizes must fit 32-bit integers)."),
            OutOfMemoryException or InsufficientMemoryException => new(1, "memory", type,
                $"out of memory: {ex.Message} Use a smaller --batch or fewer --images, or a machine with more memory."),
            AcceleratorException or InternalCompilerException or CapabilityNotSupportedException or InvalidCodeGenerationException
                or NotSupportedIntrinsicException or InvalidKernelOperationException => new(1, "device", type,
                $"the device or ILGPU's compiler failed ({type}): {ex.Message} Try --device cpu; if it persists, report it {trace}."),
            FileNotFoundException or DirectoryNotFoundException => new(1, "io", type, $"{ex.Message} Check the path."),
            UnauthorizedAccessException => new(1, "io", type, $"permission denied: {ex.Message} Choose a path you can read or write."),
            PathTooLongException => new(1, "io", type, $"{ex.Message} Use a shorter path."),
            InvalidDataException or OnnxImportException or NetworkException or CalibrationTableMismatchException
                or FormatException or JsonException => new(1, "input", type, ex.Message),
            IOException => new(1, "io", type, $"input/output error: {ex.Message} Check the path, the free disk space and the permissions."),
            ArgumentException or InvalidOperationException or NotSupportedException or KeyNotFoundException or IndexOutOfRangeException
                => new(1, "input", type, $"{message} Check the model and the options against `--help`."),
            _ => new(1, "internal", type, $"internal error ({type}): {ex.Message} This is a bug: please report it {trace}."),
        };
    }

    /// <summary>Writes the error to <paramref name="error"/> (stderr) and, under --json, its JSON object to <paramref name="output"/>.</summary>
    public static int Report(CliError e, Exception? exception, TextWriter error, TextWriter output, bool json)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(output);
        error.WriteLine($"ilgpu-int8: error: {e.Message}");
        if (exception is not null && Trace)
        {
            error.WriteLine(exception.ToString());
        }

        if (json)
        {
            output.WriteLine(e.ToJson());
        }

        return e.ExitCode;
    }

    private static Exception Unwrap(Exception ex)
    {
        while (true)
        {
            switch (ex)
            {
                case AggregateException { InnerExceptions.Count: 1 } a:
                    ex = a.InnerExceptions[0];
                    break;
                case TargetInvocationException { InnerException: { } inner }:
                    ex = inner;
                    break;
                case TypeInitializationException { InnerException: { } inner }:
                    ex = inner;
                    break;
                default:
                    return ex;
            }
        }
    }
}
