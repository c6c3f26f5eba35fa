// Scalar twin of Kernels/RmsNorm (HF LlamaRMSNorm / GemmaRMSNorm), generic over the float type; row sums in double.
using System.Numerics;

namespace TuneSharp.Tensors.Kernels.Reference;

/// <summary>x, y, dy, dx: (rows, C); weight, dweight: (C); rstd: (rows). Same formulas as the kernel.</summary>
public static class RmsNormReference
{
    public static void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weight, Span<T> y, Span<T> rstd, int rows, int cols, T eps, bool addOneToWeight = false)
        where T : IFloatingPointIeee754<T>
    {
        T o = addOneToWeight ? T.One : T.Zero;
        for (int r = 0; r < rows; r++)
        {
            int b = r * cols;
            double ss = 0;
            for (int i = 0; i < cols; i++) ss += double.CreateTruncating(x[b + i] * x[b + i]);
            T rs = T.One / T.Sqrt(T.CreateTruncating(ss) / T.CreateTruncating(cols) + eps);
            if (!rstd.IsEmpty) rstd[r] = rs;
            for (int i = 0; i < cols; i++) y[b + i] = x[b + i] * rs * (weight[i] + o);
        }
    }

    /// <summary>dx overwritten; dweight accumulated (skipped when empty).</summary>
    public static void Backward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> rstd, Span<T> dx, Span<T> dweight,
        int rows, int cols, bool addOneToWeight = false) where T : IFloatingPointIeee754<T>
    {
        T o = addOneToWeight ? T.One : T.Zero;
        if (!dweight.IsEmpty)
            for (int c = 0; c < cols; c++)
            {
                T acc = dweight[c];
                for (int r = 0; r < rows; r++) acc += dy[r * cols + c] * (x[r * cols + c] * rstd[r]);
                dweight[c] = acc;
            }
        for (int r = 0; r < rows; r++)
        {
            int b = r * cols;
            T rs = rstd[r];
            double dot = 0;
            for (int i = 0; i < cols; i++) dot += double.CreateTruncating(dy[b + i] * (weight[i] + o) * x[b + i]);
            T coef = rs * rs * rs * T.CreateTruncating(dot) / T.CreateTruncating(cols);
            for (int i = 0; i < cols; i++) dx[b + i] = rs * ((weight[i] + o) * dy[b + i]) - coef * x[b + i];
        }
    }
}
