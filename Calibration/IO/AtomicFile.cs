using System.Text;

namespace ILGPUInt8.Calibration.IO;

/// <summary>
/// Crash-safe file writes: the content goes to a temporary file in the target's folder (<c>.NAME.RANDOM.tmp</c>), is
/// flushed to disk, then renamed over the target. A reader, or a process killed at any point, sees either the old
/// complete file or the new complete file, never a truncated one (rename within one folder is atomic on POSIX file
/// systems and NTFS). A failed write deletes its temporary file and leaves the target as it was.
/// </summary>
public static class AtomicFile
{
    /// <summary>The suffix of temporary files (a leftover one is the trace of a process killed mid-write).</summary>
    public const string TempSuffix = ".tmp";

    /// <summary>Writes the bytes <paramref name="write"/> puts into the stream as the new content of <paramref name="path"/>.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new IOException($"Cannot write '{path}': it is a directory.");
        }

        var folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        var temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Path.GetRandomFileName()}{TempSuffix}");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Writes <paramref name="bytes"/> atomically.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 (no byte-order mark) atomically.</summary>
    public static void WriteAllText(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Write(path, s => s.Write(new UTF8Encoding(false).GetBytes(text)));
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
