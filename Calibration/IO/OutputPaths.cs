namespace ILGPUInt8.Calibration.IO;

/// <summary>
/// Checks, before any work starts, that outputs can be written: a file's folder exists or can be created and accepts a
/// new file, and the file itself is not a directory nor read-only; a folder output can be created and written into.
/// Each check leaves nothing behind but the folders it created. Errors are <see cref="IOException"/>s naming the path.
/// </summary>
public static class OutputPaths
{
    /// <summary>Checks that <paramref name="path"/> can be (re)written as a file; returns its full path.</summary>
    public static string CheckFile(string path, string what = "output")
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Full(path, what);
        if (Directory.Exists(full))
        {
            throw new IOException($"The {what} '{path}' is a directory, not a file.");
        }

        if (File.Exists(full) && new FileInfo(full).IsReadOnly)
        {
            throw new IOException($"The {what} '{path}' is read-only.");
        }

        Probe(Path.GetDirectoryName(full)!, path, what);
        return full;
    }

    /// <summary>Checks that <paramref name="folder"/> can be created (if needed) and written into; returns its full path.</summary>
    public static string CheckFolder(string folder, string what = "output folder")
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var full = Full(folder, what);
        if (File.Exists(full))
        {
            throw new IOException($"The {what} '{folder}' is a file, not a folder.");
        }

        Probe(full, folder, what);
        return full;
    }

    private static string Full(string path, string what)
    {
        try
        {
            return Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new IOException($"The {what} '{path}' is not a valid path: {ex.Message}", ex);
        }
    }

    // Creates the folder and a probe file in it (then deletes the probe): the only sure test of "can write here".
    private static void Probe(string folder, string shown, string what)
    {
        try
        {
            Directory.CreateDirectory(folder);
            var probe = Path.Combine(folder, $".probe.{Path.GetRandomFileName()}{AtomicFile.TempSuffix}");
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Cannot write the {what} '{shown}': {ex.Message}", ex);
        }
    }
}
