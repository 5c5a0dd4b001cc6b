using ILGPUInt8.Calibration.IO;

namespace ILGPUInt8.Cli.Common;

/// <summary>JSON files written by the commands (--export-times, --export-profile): atomically, temp file then rename.</summary>
public static class JsonFiles
{
    /// <summary>Serializes <paramref name="value"/> (<see cref="JsonOutput.Options"/>) to <paramref name="path"/>; returns the full path.</summary>
    public static string Write(string path, object value)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new CliUsageException($"'{path}' is a folder; give a file name.");
        }

        AtomicFile.WriteAllText(full, JsonOutput.Serialize(value));
        return full;
    }
}
