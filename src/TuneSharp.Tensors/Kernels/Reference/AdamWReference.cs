// Scalar twin of Kernels/AdamW: torch.optim.AdamW _single_tensor_adamw written out element by element, generic over T.
using System.Numerics;

namespace TuneSharp.Tensors.Kernels.Reference;

public static class AdamWReference
{
    /// <summary>One step (t ≥ 1) updating param, m and v in place; scalars rounded to T where torch rounds them to the tensor dtype.</summary>
    public static void Step<T>(Span<T> param, ReadOnlySpan<T> grad, Span<T> m, Span<T> v, double lr, double beta1, double beta2, double eps, double weightDecay, long step)
        where T : IFloatingPointIeee754<T>
    {
        T decay = T.CreateTruncating(1 - lr * weightDecay);
        T b1 = T.CreateTruncating(beta1), omb1 = T.CreateTruncating(1 - beta1);
        T b2 = T.CreateTruncating(beta2), omb2 = T.CreateTruncating(1 - beta2);
        double bc1 = 1 - Math.Pow(beta1, step), bc2 = 1 - Math.Pow(beta2, step);
        T bc2Sqrt = T.CreateTruncating(Math.Sqrt(bc2));
        T epsT = T.CreateTruncating(eps);
        T negStep = T.CreateTruncating(-(lr / bc1));
        for (int i = 0; i < param.Length; i++)
        {
            T p = param[i] * decay;                               // param.mul_(1 - lr*wd)
            T mi = T.FusedMultiplyAdd(grad[i], omb1, m[i] * b1);  // exp_avg.mul_(β1).add_(grad, alpha=1-β1)
            T vi = v[i] * b2 + omb2 * grad[i] * grad[i];          // exp_avg_sq.mul_(β2).addcmul_(grad, grad, value=1-β2)
            T denom = T.Sqrt(vi) / bc2Sqrt + epsT;                // (exp_avg_sq.sqrt() / √bc2).add_(eps)
            param[i] = p + negStep * (mi / denom);                // param.addcdiv_(exp_avg, denom, value=-step_size)
            m[i] = mi;
            v[i] = vi;
        }
    }
}
