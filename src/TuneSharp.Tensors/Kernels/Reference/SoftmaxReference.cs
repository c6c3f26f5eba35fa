// Scalar twin of Kernels/Softmax (softmax, log-softmax, backward), generic over the float type; sums in double.
using System.Numerics;

namespace TuneSharp.Tensors.Kernels.Reference;

/// <summary>x, y, dy, dx: (rows, cols). Reductions accumulate in double so the twin is the more exact side.</summary>
public static class SoftmaxReference
{
    public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, int rows, int cols) where T : IFloatingPointIeee754<T>
    {
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * cols, cols);
            var yr = y.Slice(r * cols, cols);
            T max = RowMax(xr);
            double sum = 0;
            for (int i = 0; i < cols; i++)
            {
                yr[i] = T.Exp(xr[i] - max);
                sum += double.CreateTruncating(yr[i]);
            }
            T inv = T.One / T.CreateTruncating(sum);
            for (int i = 0; i < cols; i++) yr[i] *= inv;
        }
    }

    public static void LogSoftmax<T>(ReadOnlySpan<T> x, Span<T> y, int rows, int cols) where T : IFloatingPointIeee754<T>
    {
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * cols, cols);
            var yr = y.Slice(r * cols, cols);
            T max = RowMax(xr);
            double sum = 0;
            for (int i = 0; i < cols; i++) sum += double.CreateTruncating(T.Exp(xr[i] - max));
            T logSum = T.Log(T.CreateTruncating(sum));
            for (int i = 0; i < cols; i++) yr[i] = xr[i] - max - logSum;
        }
    }

    /// <summary>dx = y ⊙ (dy − Σ dy⊙y).</summary>
    public static void Backward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx, int rows, int cols) where T : IFloatingPointIeee754<T>
    {
        for (int r = 0; r < rows; r++)
        {
            int o = r * cols;
            double dot = 0;
            for (int i = 0; i < cols; i++) dot += double.CreateTruncating(y[o + i] * dy[o + i]);
            T d = T.CreateTruncating(dot);
            for (int i = 0; i < cols; i++) dx[o + i] = y[o + i] * (dy[o + i] - d);
        }
    }

    private static T RowMax<T>(ReadOnlySpan<T> row) where T : IFloatingPointIeee754<T>
    {
        T max = T.NegativeInfinity;
        foreach (var v in row) max = T.Max(max, v);
        return max;
    }
}
