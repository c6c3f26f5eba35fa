// A two-layer Llama-style decoder built from the ops (LoRA on q/v, frozen BF16 base weights, tied embeddings) for composite tests.
using TuneSharp.Autograd;
using TuneSharp.Autograd.Ops;
using TuneSharp.Tensors;
using TuneSharp.Tensors.Kernels;

namespace TuneSharp.Autograd.Tests;

internal sealed class TinyTransformer : IDisposable
{
    public const int B = 2, T = 6, C = 16, Nh = 4, Nkv = 2, Hs = 4, I = 24, V = 19, R = 2, Layers = 2;
    private const float Eps = 1e-5f, LoraScale = 2f, LoraDropout = 0.1f;

    private readonly List<Variable> _all = [];
    private readonly Variable _embed, _normF;
    private readonly Layer[] _layers;
    private readonly RopeTable _rope;

    public int[] Ids { get; }

    public int[] Labels { get; }

    public TinyTransformer(int seed = 11)
    {
        int s = seed;
        _embed = Frozen("embed", s++, V, C);
        _normF = Trainable("norm_f", s++, 0.3f, C);
        _layers = new Layer[Layers];
        for (int l = 0; l < Layers; l++)
        {
            _layers[l] = new Layer(
                Trainable($"l{l}.ln1", s++, 0.3f, C),
                Frozen($"l{l}.wq", s++, Nh * Hs, C), Trainable($"l{l}.qa", s++, 0.4f, R, C), Trainable($"l{l}.qb", s++, 0.4f, Nh * Hs, R),
                Trainable($"l{l}.wk", s++, 0.4f, Nkv * Hs, C),
                Frozen($"l{l}.wv", s++, Nkv * Hs, C), Trainable($"l{l}.va", s++, 0.4f, R, C), Trainable($"l{l}.vb", s++, 0.4f, Nkv * Hs, R),
                Trainable($"l{l}.wo", s++, 0.4f, C, Nh * Hs),
                Trainable($"l{l}.ln2", s++, 0.3f, C),
                Frozen($"l{l}.wg", s++, I, C), Trainable($"l{l}.wu", s++, 0.4f, I, C), Trainable($"l{l}.wd", s++, 0.3f, C, I));
        }
        var rng = new Random(seed);
        Ids = Enumerable.Range(0, B * T).Select(_ => rng.Next(V)).ToArray();
        Labels = Ids.Skip(1).Append(-100).ToArray();
        Labels[T - 1] = -100;
        Labels[2] = -100;
        var positions = Enumerable.Range(0, B * T).Select(i => i % T).ToArray();
        _rope = new RopeTable(positions, Rope.InverseFrequencies(Hs, 10000.0));
    }

    public IReadOnlyList<Variable> Parameters => _all;

    public Variable[] Trainables => _all.Where(p => p.RequiresGrad).ToArray();

    public Variable[] FrozenOnes => _all.Where(p => !p.RequiresGrad).ToArray();

    /// <summary>Loss of the batch; each decoder layer optionally under gradient checkpointing.</summary>
    public Variable Loss(Tape tape, bool checkpoint)
    {
        var x = tape.Embedding(Ids, _embed, scale: MathF.Sqrt(C));
        foreach (var layer in _layers)
            x = checkpoint ? tape.Checkpoint(layer.Forward(_rope), x) : layer.Forward(_rope)(tape, x);
        var h = tape.RmsNorm(x, _normF, Eps, addOneToWeight: true);
        return tape.LmHeadCrossEntropy(h, _embed, Labels, softCap: 5f);
    }

    private Variable Trainable(string name, int seed, float scale, params int[] shape)
    {
        var p = GradCheck.Param(name, seed, scale, shape);
        _all.Add(p);
        return p;
    }

    private Variable Frozen(string name, int seed, params int[] shape)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        var p = Variable.Parameter(Tensor.FromArrayBf16(GradCheck.Random(n, seed, 0.5f), shape), trainable: false, name);
        _all.Add(p);
        return p;
    }

    private sealed record Layer(Variable Ln1, Variable Wq, Variable Qa, Variable Qb, Variable Wk, Variable Wv, Variable Va, Variable Vb,
        Variable Wo, Variable Ln2, Variable Wg, Variable Wu, Variable Wd)
    {
        public Func<Tape, Variable, Variable> Forward(RopeTable rope) => (t, x) =>
        {
            var n1 = t.RmsNorm(x, Ln1, Eps);
            var q = LoraLinear(t, n1, Wq, Qa, Qb);
            var k = t.Linear(n1, Wk);
            var v = LoraLinear(t, n1, Wv, Va, Vb);
            q = t.Rope(t.Reshape(q, B, T, Nh, Hs), rope, Nh);
            k = t.Rope(t.Reshape(k, B, T, Nkv, Hs), rope, Nkv);
            v = t.Reshape(v, B, T, Nkv, Hs);
            var a = t.Attention(q, k, v, new AttentionShape(B, T, T, Nh, Nkv, Hs));
            var x2 = t.Add(x, t.Linear(t.Reshape(a, B * T, Nh * Hs), Wo));
            var n2 = t.RmsNorm(x2, Ln2, Eps);
            var m = t.SwiGlu(t.Linear(n2, Wg), t.Linear(n2, Wu));
            return t.Add(x2, t.Linear(m, Wd));
        };

        // PEFT: base(x) + lora_B(lora_A(dropout(x))) · (alpha / r).
        private static Variable LoraLinear(Tape t, Variable x, Variable w, Variable a, Variable b) =>
            t.Add(t.Linear(x, w), t.Scale(t.Linear(t.Linear(t.Dropout(x, LoraDropout), a), b), LoraScale));
    }

    public void Dispose() => _rope.Dispose();
}
