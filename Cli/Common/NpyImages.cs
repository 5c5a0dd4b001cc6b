using ILGPUInt8.Calibration.Data;

namespace ILGPUInt8.Cli.Common;

/// <summary>
/// Labelled images as NumPy files, for eval and report beside IDX: one <c>.npy</c> of images ([n, h, w] or [n, c, h, w];
/// uint8 pixels are scaled by 1/255 and normalized like IDX, float32 values are taken as they are), or a folder of
/// <c>.npy</c> files (sorted by name, each one image [h, w] / [c, h, w] or a batch [n, ...]) with the labels in a
/// <c>*labels*.npy</c> of shape [n] (uint8, int8, int32, int64 — NumPy's default — float32 or float64 holding whole
/// non-negative class numbers).
/// Both are read into an <see cref="IdxArray"/> so the rest of the pipeline is the IDX one.
/// </summary>
public static class NpyImages
{
    /// <summary>True when <paramref name="path"/> is a .npy file.</summary>
    public static bool IsNpy(string path) => path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase);

    /// <summary>The labels file of a folder of .npy images (<c>*labels*.npy</c>), or null.</summary>
    public static string? LabelsIn(string folder) =>
        Directory.GetFiles(folder, "*.npy").Where(f => Path.GetFileName(f).Contains("labels", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal).FirstOrDefault();

    /// <summary>The image files of a folder of .npy images: every .npy but the labels, sorted by name.</summary>
    public static string[] ImagesIn(string folder) =>
        [.. Directory.GetFiles(folder, "*.npy").Where(f => !Path.GetFileName(f).Contains("labels", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal)];

    /// <summary>Reads a .npy file, or a folder of .npy images stacked along a new first dimension, as an IDX array.</summary>
    public static IdxArray Read(string path)
    {
        if (Directory.Exists(path))
        {
            return ReadFolder(path);
        }

        var array = NpyFile.Read(path);
        return ToIdx(array, path);
    }

    private static IdxArray ReadFolder(string folder)
    {
        var files = ImagesIn(folder);
        if (files.Length == 0)
        {
            throw new FileNotFoundException($"No .npy images in '{folder}'.");
        }

        var arrays = files.Select(f => (File: f, Array: NpyFile.Read(f))).ToList();
        var first = arrays[0].Array;
        // One image per file ([h, w] or [c, h, w]) gets a batch dimension; files of batches keep theirs.
        var single = first.Shape.Count is 2 || (first.Shape.Count == 3 && arrays.Count > 1 && first.Shape[0] <= 4);
        var item = single ? first.Shape.ToArray() : first.Shape.Skip(1).ToArray();
        var count = 0;
        foreach (var (file, a) in arrays)
        {
            var itemShape = single ? a.Shape.ToArray() : a.Shape.Skip(1).ToArray();
            if (a.DType != first.DType || !itemShape.SequenceEqual(item))
            {
                throw new InvalidDataException($"'{file}' holds {a.DType} [{string.Join(", ", a.Shape)}]; the first file '{arrays[0].File}' holds {first.DType} [{string.Join(", ", first.Shape)}]: all images must match.");
            }

            count = checked(count + (single ? 1 : a.Shape[0]));
        }

        int[] shape = [count, .. item];
        if (first.DType == NpyDType.UInt8)
        {
            var bytes = arrays.SelectMany(a => (byte[])a.Array.Data).ToArray();
            return new IdxArray(IdxType.UInt8, shape, bytes);
        }

        return IdxArray.FromValues(IdxType.Float32, shape, [.. arrays.SelectMany(a => a.Array.ToFloat()).Select(v => (double)v)]);
    }

    private static IdxArray ToIdx(NpyArray array, string path) => array.DType switch
    {
        NpyDType.UInt8 => new IdxArray(IdxType.UInt8, [.. array.Shape], (byte[])array.Data),
        NpyDType.Int8 => IdxArray.FromValues(IdxType.Int8, [.. array.Shape], [.. ((sbyte[])array.Data).Select(v => (double)v)]),
        NpyDType.Float32 => IdxArray.FromValues(IdxType.Float32, [.. array.Shape], [.. ((float[])array.Data).Select(v => (double)v)]),
        NpyDType.Float16 => IdxArray.FromValues(IdxType.Float32, [.. array.Shape], array.ToDouble()),
        NpyDType.Int32 => IdxArray.FromValues(IdxType.Int32, [.. array.Shape], array.ToDouble()),
        // int64 (NumPy's default integer, e.g. labels) and float64 as IDX float64: exact for |v| ≤ 2⁵³.
        NpyDType.Int64 or NpyDType.Float64 => IdxArray.FromValues(IdxType.Float64, [.. array.Shape], array.ToDouble()),
        _ => throw new InvalidDataException($"'{path}': unsupported element type {array.DType}."),
    };
}
