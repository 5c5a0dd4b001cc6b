using System.Collections.Concurrent;

namespace ILGPUInt8.Cluster.Results;

/// <summary>
/// Result files written whole or not at all: the bytes go to a temporary file beside the target (<c>.tmp-NAME-GUID</c>,
/// flushed to disk), which is then renamed onto the target. <see cref="CommitOnce"/> renames without replacing
/// (File.Move without overwrite: link + unlink on Unix, so of two writers racing for one name exactly one wins and the
/// other's bytes are dropped): a shard's result is written once even when a silo thought dead finishes it after its
/// retry. Readers never see a partial file; a crash leaves at most a temporary file, which readers ignore.
/// </summary>
public static class AtomicFile
{
    /// <summary>Prefix of temporary files (readers skip names starting with it).</summary>
    public const string TempPrefix = ".tmp-";

    private static readonly ConcurrentDictionary<string, int> CommitCounts = new(StringComparer.Ordinal);

    /// <summary>Successful <see cref="CommitOnce"/> calls per full path in this process (for tests and diagnostics).</summary>
    internal static IReadOnlyDictionary<string, int> Commits => CommitCounts;

    /// <summary>
    /// Writes <paramref name="path"/> unless it exists: true when this call created it, false when another writer had
    /// (its content is then left as it is).
    /// </summary>
    public static bool CommitOnce(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        if (File.Exists(full))
        {
            return false;
        }

        var temp = WriteTemp(full, write);
        try
        {
            File.Move(temp, full, overwrite: false);
            CommitCounts.AddOrUpdate(full, 1, (_, n) => n + 1);
            return true;
        }
        catch (IOException) when (File.Exists(full))
        {
            return false;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Writes <paramref name="path"/>, replacing what was there in one rename.</summary>
    public static void Replace(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var temp = WriteTemp(full, write);
        try
        {
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Writes text to <paramref name="path"/> through <see cref="Replace"/>.</summary>
    public static void ReplaceText(string path, string text) =>
        Replace(path, s =>
        {
            using var writer = new StreamWriter(s, leaveOpen: true);
            writer.Write(text);
        });

    private static string WriteTemp(string full, Action<Stream> write)
    {
        var folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        var temp = Path.Combine(folder, $"{TempPrefix}{Path.GetFileName(full)}-{Guid.NewGuid():N}");
        try
        {
            using var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None);
            write(stream);
            stream.Flush(flushToDisk: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        return temp;
    }
}
