// LoRA on embeddings (PEFT lora.Embedding): init, forward/backward against a composed twin, merge, adapter keys.
using TuneSharp.Autograd;
using TuneSharp.Autograd.Ops;
using TuneSharp.Nn;
using TuneSharp.Nn.Lora;
using TuneSharp.Nn.Peft;
using TuneSharp.Tensors;
using TuneSharp.Tensors.IO;
using TuneSharp.Testing;
using static TuneSharp.Nn.Tests.LoraTestUtil;

namespace TuneSharp.Nn.Tests;

public sealed class LoraEmbeddingTests
{
    private const int V = 30, C = 16;

    private static Embedding MakeEmbedding(float scale = 1f) =>
        new("model.embed_tokens", Variable.Parameter(Tensor.FromArrayBf16(Random(V * C, 42), V, C), false, "model.embed_tokens.weight"), scale);

    private static readonly int[] Ids = [3, 7, 3, 29, 0, 11];

    private static float[] Run(Embedding e)
    {
        using var tape = new Tape();
        using var _ = tape.NoGrad();
        return e.Forward(tape, Ids).Value.ToFloatArray();
    }

    private static (LoraModel, Embedding) Inject(float scale = 1f)
    {
        var emb = MakeEmbedding(scale);
        var lora = LoraModel.Inject(TinyModel(), new LoraConfig { R = 3, LoraAlpha = 6, TargetModules = ["q_proj", "embed_tokens"] }, seed: 1,
            embeddings: [("model.embed_tokens", emb)]);
        return (lora, emb);
    }

    [Fact]
    public void InitLikePeftKeepsBaseOutput()
    {
        var baseOut = Run(MakeEmbedding());
        var (lora, emb) = Inject();
        Assert.Single(lora.AdaptedEmbeddings);
        Assert.Equal((3, V), (emb.Lora!.A.Shape[0], emb.Lora.A.Shape[1]));
        Assert.Equal((C, 3), (emb.Lora.B.Shape[0], emb.Lora.B.Shape[1]));
        Assert.All(emb.Lora.A.Value.ToFloatArray(), v => Assert.Equal(0f, v));
        Assert.True(emb.Lora.B.Value.ToFloatArray().Select(Math.Abs).Average() > 0.5, "B ~ N(0, 1)");
        Assert.Equal(baseOut, Run(emb));
        Assert.Contains(lora.TrainableParameters(), p => p.Name == "model.embed_tokens.lora_embedding_A");
    }

    [Fact]
    public void ForwardAndGradientsMatchComposedTwin()
    {
        var (_, emb) = Inject(scale: 2f);
        FillRandom(emb.Lora!.A, 5, 0.5f);
        var a = emb.Lora.A;
        var b = emb.Lora.B;
        var dy = Random(Ids.Length * C, 9);
        float[] y, da, db;
        using (var tape = new Tape())
        {
            var o = tape.EmbeddingLora(Ids, a, b, emb.Lora.Scaling * emb.Scale);
            y = o.Value.ToFloatArray();
            tape.Backward(o, dy);
            da = a.Grad!.ToFloatArray();
            db = b.Grad!.ToFloatArray();
            a.ClearGrad();
            b.ClearGrad();
        }
        // Twin: one-hot X (N, V) → X·Aᵀ·Bᵀ·s through Linear ops.
        var x = new float[Ids.Length * V];
        for (int t = 0; t < Ids.Length; t++) x[t * V + Ids[t]] = 1;
        using (var tape = new Tape())
        {
            var h = tape.Linear(Variable.Constant(Tensor.FromArray(x, Ids.Length, V)), a);
            var o = tape.Scale(tape.Linear(h, b), emb.Lora.Scaling * emb.Scale);
            NumericAssert.Close(o.Value.ToFloatArray(), y, Tolerances.MatMulRtol, Tolerances.MatMulAtol, "embedding LoRA forward");
            tape.Backward(o, dy);
            NumericAssert.Close(a.Grad!.ToFloatArray(), da, Tolerances.MatMulRtol, Tolerances.MatMulAtol, "d lora_embedding_A");
            NumericAssert.Close(b.Grad!.ToFloatArray(), db, Tolerances.MatMulRtol, Tolerances.MatMulAtol, "d lora_embedding_B");
        }
    }

    [Fact]
    public void MergeMatchesAndUnmergeRestores()
    {
        var (lora, emb) = Inject(scale: 1.5f);
        FillRandom(emb.Lora!.A, 6, 0.3f);
        var before = Run(emb);
        var original = emb.Weight.Value.AsBytes().ToArray();
        lora.Merge();
        NumericAssert.Close(before, Run(emb), 1e-4, 1e-5, "merged embedding");
        lora.Unmerge();
        Assert.Equal(original, emb.Weight.Value.AsBytes().ToArray());
        Assert.Equal(before, Run(emb));
    }

    [Fact]
    public void AdapterKeysFollowPeft()
    {
        var dir = Path.Combine(Path.GetTempPath(), "lora-emb-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (lora, emb) = Inject();
            FillRandom(emb.Lora!.A, 7, 0.3f);
            PeftAdapter.Save(dir, lora);
            using (var f = SafeTensorsFile.Open(Path.Combine(dir, PeftAdapter.WeightsFileName)))
            {
                Assert.Contains("base_model.model.model.embed_tokens.lora_embedding_A", f.Names);
                Assert.Contains("base_model.model.model.embed_tokens.lora_embedding_B", f.Names);
            }
            var emb2 = MakeEmbedding();
            var loaded = PeftAdapter.Load(dir, TinyModel(), embeddings: [("model.embed_tokens", emb2)]);
            Assert.Equal(emb.Lora.A.Value.ToFloatArray(), emb2.Lora!.A.Value.ToFloatArray());
            Assert.Equal(Run(emb), Run(emb2));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }
}
