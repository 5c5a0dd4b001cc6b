namespace ILGPUInt8.Layers.Builder;

/// <summary>
/// Places every activation tensor in one arena (sizes for the maximum batch, 256-byte aligned). A tensor lives from the
/// step that writes it (network inputs: from the start) to the last step that reads it or a view of it (network outputs:
/// to the end). With reuse, tensors sorted by size (largest first) take the lowest offset that overlaps no placed tensor
/// whose lifetime overlaps theirs (greedy by size); without reuse, each gets its own bytes. Views (a reshape whose bytes
/// already match) share their source's bytes. <see cref="PlanMemory.Verify"/> checks that no two live tensors overlap.
/// </summary>
internal static class MemoryPlanner
{
    /// <summary>Byte alignment of every tensor in the arena.</summary>
    public const long Alignment = PlanMemory.Alignment;

    public static void Run(Plan plan, bool reuse)
    {
        foreach (var node in plan.Nodes)
        {
            if (node.Inputs.Count > 0 && node.Layer.OutputIsView(plan.Tensors[node.Inputs[0]].Dims.WithBatch(1), plan.Tensors[node.Output].Dims.WithBatch(1)) is bool view)
            {
                // A view's bytes are its input's: same element type (an FP16 reshape to an engine output, float words, copies).
                var input = plan.Tensors[node.Inputs[0]];
                node.IsView = view && input.Constant is null && input.Type == plan.Tensors[node.Output].Type;
                plan.Tensors[node.Output].AliasOf = node.IsView ? node.Inputs[0] : -1;
            }
        }

        var lifetimes = PlanMemory.Lifetimes(plan);
        var placed = new List<(long Offset, long Size, int Start, int End)>();
        long arena = 0, unshared = 0;
        foreach (var (root, (start, end)) in lifetimes.OrderByDescending(kv => PlanMemory.Size(plan, kv.Key)).ThenBy(kv => kv.Key))
        {
            var size = PlanMemory.Size(plan, root);
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
}
