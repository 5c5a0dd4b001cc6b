namespace ILGPUInt8.Layers.Plans;

/// <summary>
/// The memory facts of a plan that the builder's <c>MemoryPlanner</c> places tensors by and the engine checks before it
/// allocates: each root activation's lifetime (first step that writes it, network inputs from the start, to the last
/// step that reads it or a view of it, network outputs to the end), its aligned size, and that no two live tensors share
/// bytes (<see cref="Verify"/>).
/// </summary>
internal static class PlanMemory
{
    /// <summary>Byte alignment of every tensor in the arena.</summary>
    public const long Alignment = 256;

    /// <summary>Throws when two tensors with overlapping lifetimes share bytes.</summary>
    public static void Verify(Plan plan)
    {
        var lifetimes = Lifetimes(plan).ToList();
        for (var i = 0; i < lifetimes.Count; i++)
        {
            for (var j = i + 1; j < lifetimes.Count; j++)
            {
                var (a, (sa, ea)) = lifetimes[i];
                var (b, (sb, eb)) = lifetimes[j];
                long oa = plan.Tensors[a].Offset, ob = plan.Tensors[b].Offset;
                if (sa <= eb && sb <= ea && oa < ob + Size(plan, b) && ob < oa + Size(plan, a))
                {
                    throw new InvalidOperationException(
                        $"Memory plan aliases live tensors '{plan.Tensors[a].Name}' [{oa}, {oa + Size(plan, a)}) steps {sa}..{ea} and '{plan.Tensors[b].Name}' [{ob}, {ob + Size(plan, b)}) steps {sb}..{eb}.");
                }
            }

            if (plan.Tensors[lifetimes[i].Key].Offset + Size(plan, lifetimes[i].Key) > plan.ArenaBytes)
            {
                throw new InvalidOperationException($"Tensor '{plan.Tensors[lifetimes[i].Key].Name}' ends past the arena.");
            }
        }
    }

    /// <summary>Root activation tensor → (first step, last step) it must stay intact.</summary>
    public static Dictionary<int, (int Start, int End)> Lifetimes(Plan plan)
    {
        var life = new Dictionary<int, (int Start, int End)>();
        void Touch(int id, int step)
        {
            var t = plan.Tensors[id];
            if (t.Constant is not null)
            {
                return;
            }

            var root = plan.Root(t).Id;
            life[root] = life.TryGetValue(root, out var l) ? (Math.Min(l.Start, step), Math.Max(l.End, step)) : (step, step);
        }

        foreach (var id in plan.Inputs)
        {
            Touch(id, -1);
        }

        for (var i = 0; i < plan.Nodes.Count; i++)
        {
            Touch(plan.Nodes[i].Output, i);
            foreach (var id in plan.Nodes[i].Inputs)
            {
                Touch(id, i);
            }
        }

        foreach (var id in plan.Outputs)
        {
            Touch(id, plan.Nodes.Count);
        }

        return life;
    }

    /// <summary>Bytes of tensor <paramref name="id"/> at the maximum batch, rounded up to <see cref="Alignment"/>.</summary>
    public static long Size(Plan plan, int id) =>
        (plan.Tensors[id].ItemBytes * plan.MaxBatchSize + Alignment - 1) / Alignment * Alignment;
}
