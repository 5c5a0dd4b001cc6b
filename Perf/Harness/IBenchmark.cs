namespace ILGPUInt8.Perf.Harness;

/// <summary>One benchmark of the suite; found by reflection, run by name (<c>Perf NAME</c>) or with <c>all</c>.</summary>
public interface IBenchmark
{
    /// <summary>Command name, e.g. <c>ceilings</c>.</summary>
    string Name { get; }

    /// <summary>One line for <c>Perf --help</c>.</summary>
    string Description { get; }

    /// <summary>Runs and records its results in <paramref name="context"/>.</summary>
    void Run(BenchContext context);
}
