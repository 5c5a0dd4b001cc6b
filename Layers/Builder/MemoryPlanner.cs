using ILGPUInt8.Kernels.Ops;

namespace ILGPUInt8.Layers;

/// <summary>
/// Places every activation tensor in one arena (sizes for the maximum batch, 256-byte aligned). A tensor lives from the
/// step that writes it (network inputs: from the start) to the last step that reads it or a view of it (network outputs:
/// to the end). With reuse, tensors sorted by size (largest first) take the lowest offset that overlaps no placed tensor
/// whose lifetime overlaps theirs (greedy by size); without reuse, each gets its own bytes. Views (a reshape whose bytes
/// already match) share their source's bytes. <see cref="Verify"/> checks that no two live tensors overlap.
/// </summary>
internal static class MemoryPlanner
{
    public const long Alignment = 256;

    public static void Run(Plan plan, bool reuse)
    {
        foreach (var node in plan.Nodes)
        {
            if (node.Layer is ReshapeLayer)
            {
                var from = plan.Tensors[node.Inputs[0]].Dims.WithBatch(1);
                var to = plan.Tensors[node.Output].Dims.WithBatch(1);
                node.IsView = Reshape.IsView(from, to) && plan.Tensors[node.Inputs[0]].Constant is null;
                plan.Tensors[node.Output].AliasOf = node.IsView ? node.Inputs[0] : -1;
            }
        }

        var lifetimes = Lifetimes(plan);
        var placed = new List<(long Offset, long Size, int Start, int End)>();
        long arena = 0, unshared = 0;
        foreach (var (root, (start, end)) in lifetimes.OrderByDescending(kv => Size(plan, kv.Key)).ThenBy(kv => kv.Key))
        {
            var size = Size(plan, root);
            unshared += size;
            long offset = 0;
            if (reuse)
            {
                foreach (var p in placed.Where(p => p.Start <= end && start <= p.End).OrderBy(p => p.Offset))
                {
                    if (offset + size <= p.Offset)
                    {
                        break;
                    }

                    offset = Math.Max(offset, p.Offset + p.Size);
                }
            }
            else
            {
                offset = arena;
            }

            plan.Tensors[root].Offset = offset;
            placed.Add((offset, size, start, end));
            arena = Math.Max(arena, offset + size);
        }

        foreach (var t in plan.Tensors.Where(t => t.AliasOf >= 0))
        {
            t.Offset = plan.Root(t).Offset;
        }

        plan.ArenaBytes = arena;
        plan.UnsharedBytes = unshared;
    }

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
    private static Dictionary<int, (int Start, int End)> Lifetimes(Plan plan)
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

    private static long Size(Plan plan, int id) =>
        (plan.Tensors[id].ItemBytes * plan.MaxBatchSize + Alignment - 1) / Alignment * Alignment;
}
