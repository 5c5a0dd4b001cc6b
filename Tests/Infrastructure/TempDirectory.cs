namespace ILGPUInt8.Tests.Infrastructure;

/// <summary>A fresh temporary directory, deleted with everything in it on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    /// <summary>Creates the directory under the system's temporary folder.</summary>
    public TempDirectory() => Path = Directory.CreateTempSubdirectory("ilgpu-int8-test-").FullName;

    /// <summary>The directory's full path.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a file still open elsewhere leaves the folder behind, in the temporary folder.
        }
    }
}
