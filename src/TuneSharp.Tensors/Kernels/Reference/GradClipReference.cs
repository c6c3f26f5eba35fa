// Scalar twin of Kernels/GradClip: plain double accumulation of squares, then torch's clip_grad_norm_ coefficient.
namespace TuneSharp.Tensors.Kernels.Reference;

public static class GradClipReference
{
    /// <summary>√(Σ g²) over all arrays.</summary>
    public static double GlobalNorm(IReadOnlyList<float[]> grads)
    {
        double sum = 0;
        foreach (var g in grads)
            foreach (var v in g) sum += (double)v * v;
        return Math.Sqrt(sum);
    }

    /// <summary>Scales every array by min(1, maxNorm/(norm+1e-6)) when the norm is finite; returns the norm.</summary>
    public static double ClipByGlobalNorm(IReadOnlyList<float[]> grads, double maxNorm)
    {
        double total = GlobalNorm(grads);
        if (!double.IsFinite(total)) return total;
        float coef = MathF.Min((1f / ((float)total + 1e-6f)) * (float)maxNorm, 1f);
        if (coef < 1f)
            foreach (var g in grads)
                for (int i = 0; i < g.Length; i++) g[i] *= coef;
        return total;
    }
}
