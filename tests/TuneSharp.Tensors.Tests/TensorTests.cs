// Tensor semantics: views share storage, copies do not, dtype conversions, reference counting and shape errors.
namespace TuneSharp.Tensors.Tests;

public sealed class TensorTests
{
    /// <summary>A storage that counts how often it is freed, to observe reference counting from outside.</summary>
    private sealed class CountingStorage(int bytes) : TensorStorage
    {
        private readonly byte[] _bytes = new byte[bytes];

        public int Frees { get; private set; }

        public override long ByteLength => _bytes.Length;

        public override bool IsMemoryMapped => false;

        public override Span<byte> GetBytes(long offset, int length) => _bytes.AsSpan(checked((int)offset), length);

        protected override void Free() => Frees++;
    }

    private static float[] Iota(int n) => Enumerable.Range(0, n).Select(i => (float)i).ToArray();

    [Fact]
    public void ReshapeIsAViewSharingStorage()
    {
        using var t = Tensor.FromArray(Iota(12), 3, 4);
        using var r = t.Reshape(2, 6);
        using var inferred = t.Reshape(-1, 3);
        Assert.Same(t.Storage, r.Storage);
        Assert.Equal(new Shape(2, 6), r.Shape);
        Assert.Equal(new Shape(4, 3), inferred.Shape);
        r.Span[7] = 100f;
        Assert.Equal(100f, t.Span[7]);
        Assert.Equal(100f, inferred.Span[7]);
    }

    [Fact]
    public void ReshapeErrors()
    {
        using var t = Tensor.Zeros(3, 4);
        Assert.Throws<ArgumentException>(() => t.Reshape(5, 3));
        Assert.Throws<ArgumentException>(() => t.Reshape(-1, 5));
        Assert.Throws<ArgumentException>(() => t.Reshape(-1, 0));
        Assert.Throws<ArgumentException>(() => t.Reshape(-1, -1));
        Assert.Throws<ArgumentException>(() => t.Reshape(-2, 6));
    }

    [Fact]
    public void SliceIsAViewOfLeadingRows()
    {
        using var t = Tensor.FromArray(Iota(12), 4, 3);
        using var s = t.Slice(1, 2);
        Assert.Same(t.Storage, s.Storage);
        Assert.Equal(new Shape(2, 3), s.Shape);
        Assert.Equal([3f, 4f, 5f, 6f, 7f, 8f], s.ToFloatArray());
        s.Span[0] = -1f;
        Assert.Equal(-1f, t.Span[3]);
        using var empty = t.Slice(4, 0);
        Assert.Equal(0, empty.ElementCount);
        using var nested = s.Slice(1, 1);
        Assert.Equal([6f, 7f, 8f], nested.ToFloatArray());
    }

    [Fact]
    public void SliceErrors()
    {
        using var t = Tensor.Zeros(4, 3);
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Slice(-1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Slice(3, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Slice(0, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Slice(1, int.MaxValue));
        using var scalar = Tensor.FromArray([1f]);
        Assert.Throws<InvalidOperationException>(() => scalar.Slice(0, 1));
    }

    [Fact]
    public void Transpose2DCopies()
    {
        using var t = Tensor.FromArray(Iota(6), 2, 3);
        using var tt = t.Transpose2D();
        Assert.NotSame(t.Storage, tt.Storage);
        Assert.Equal(new Shape(3, 2), tt.Shape);
        Assert.Equal([0f, 3f, 1f, 4f, 2f, 5f], tt.ToFloatArray());
        tt.Span[0] = 9f;
        Assert.Equal(0f, t.Span[0]);

        using var batched = Tensor.FromArray(Iota(12), 2, 2, 3);
        using var bt = batched.Transpose2D();
        Assert.Equal(new Shape(2, 3, 2), bt.Shape);
        Assert.Equal([0f, 3f, 1f, 4f, 2f, 5f, 6f, 9f, 7f, 10f, 8f, 11f], bt.ToFloatArray());

        using var bf = Tensor.FromArrayBf16([1f, 2f, 3f, 4f, 5f, 6f], 3, 2);
        using var bft = bf.Transpose2D();
        Assert.Equal(DType.BF16, bft.DType);
        Assert.Equal([1f, 3f, 5f, 2f, 4f, 6f], bft.ToFloatArray());

        using var v = Tensor.Zeros(3);
        Assert.Throws<InvalidOperationException>(() => v.Transpose2D());
    }

    [Fact]
    public void CloneAndToAreIndependentCopies()
    {
        using var t = Tensor.FromArray([1f, 2f], 2);
        using var c = t.Clone();
        using var same = t.To(DType.F32);
        c.Span[0] = 5f;
        same.Span[1] = 6f;
        Assert.Equal([1f, 2f], t.ToFloatArray());
    }

    [Fact]
    public void DTypeConversionsRoundTrip()
    {
        // Values exactly representable in BF16 and F16 survive F32 → X → F32 → X unchanged.
        float[] exact = [0f, -0f, 1f, -2.5f, 0.5f, 1024f, float.PositiveInfinity, float.NegativeInfinity];
        using var f = Tensor.FromArray(exact, exact.Length);
        using var b = f.To(DType.BF16);
        using var h = f.To(DType.F16);
        Assert.Equal(exact, b.ToFloatArray());
        Assert.Equal(exact, h.ToFloatArray());
        using var bh = b.To(DType.F16);
        using var hb = h.To(DType.BF16);
        Assert.Equal(exact, bh.ToFloatArray());
        Assert.Equal(exact, hb.ToFloatArray());
        Assert.True(BitConverter.SingleToInt32Bits(b.ToFloatArray()[1]) < 0); // -0 keeps its sign

        using var nan = Tensor.FromArray([float.NaN], 1);
        using var nanB = nan.To(DType.BF16);
        using var nanH = nan.To(DType.F16);
        Assert.True(float.IsNaN(nanB.ToFloatArray()[0]));
        Assert.True(float.IsNaN(nanH.ToFloatArray()[0]));
    }

    [Fact]
    public void BFloat16ConversionRoundsToNearestEven()
    {
        // 1 + 2^-8 is halfway between BF16 1.0 and 1.0078125: ties go to the even mantissa (1.0);
        // 1 + 3·2^-8 is halfway between 1.0078125 and 1.015625: ties go to 1.015625.
        using var t = Tensor.FromArray([1f + 1f / 256, 1f + 3f / 256, 1f + 1f / 256 + 1f / 65536], 3);
        using var b = t.To(DType.BF16);
        Assert.Equal([1f, 1.015625f, 1.0078125f], b.ToFloatArray());
    }

    [Fact]
    public void TypedSpansCheckTheDType()
    {
        using var f = Tensor.Zeros(2);
        using var b = Tensor.Zeros(DType.BF16, 2);
        using var h = Tensor.Zeros(DType.F16, 2);
        Assert.Equal(2, f.AsSpan<float>().Length);
        Assert.Equal(2, b.AsSpan<BFloat16>().Length);
        Assert.Equal(2, b.AsSpan<ushort>().Length);
        Assert.Equal(2, h.AsSpan<Half>().Length);
        Assert.Throws<InvalidOperationException>(() => b.Span.Length);
        Assert.Throws<InvalidOperationException>(() => f.AsSpan<Half>().Length);
        Assert.Throws<InvalidOperationException>(() => h.AsSpan<BFloat16>().Length);
        Assert.Equal(4, b.ByteLength);
    }

    [Fact]
    public void FactoriesCheckShapes()
    {
        Assert.Throws<ArgumentException>(() => Tensor.FromArray([1f, 2f, 3f], 2, 2));
        Assert.Throws<ArgumentException>(() => Tensor.FromArrayBf16([1f], 2));
        Assert.Throws<ArgumentException>(() => Tensor.Zeros(-1, 2));
        using var z = Tensor.Zeros(DType.BF16, 3, 0, 2);
        Assert.Equal(0, z.ElementCount);
        Assert.Equal(0, z.AsBytes().Length);
        using var zeros = Tensor.Zeros(5);
        Assert.All(zeros.ToFloatArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void DisposeInvalidatesOnlyThatTensor()
    {
        var t = Tensor.FromArray(Iota(8), 8);
        var view = t.Reshape(2, 4);
        t.Dispose();
        t.Dispose(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => t.Storage);
        Assert.Throws<ObjectDisposedException>(() => t.Span.Length);
        // The view keeps the pooled array: new allocations of the same size must not reuse it.
        var others = Enumerable.Range(0, 4).Select(_ => Tensor.FromArray(Enumerable.Repeat(-7f, 8).ToArray(), 8)).ToList();
        Assert.Equal(Iota(8), view.ToFloatArray());
        foreach (var o in others) o.Dispose();
        view.Dispose();
    }

    [Fact]
    public void StorageIsFreedOnceWhenTheCreatorAndEveryTensorHaveLetGo()
    {
        var storage = new CountingStorage(32);
        var t = Tensor.FromStorage(storage, 0, new Shape(2, 4), DType.F32);
        var view = t.Reshape(8);
        var slice = t.Slice(1, 1);
        storage.Dispose();
        storage.Dispose(); // the creator's reference goes once
        t.Dispose();
        view.Dispose();
        Assert.Equal(0, storage.Frees);
        slice.Dispose();
        Assert.Equal(1, storage.Frees);
    }

    [Fact]
    public void FromStorageChecksTheRegionAndReturnsTheReferenceOnFailure()
    {
        var storage = new CountingStorage(16);
        Assert.Throws<ArgumentException>(() => Tensor.FromStorage(storage, 8, new Shape(3), DType.F32));
        Assert.Throws<ArgumentException>(() => Tensor.FromStorage(storage, -4, new Shape(1), DType.F32));
        using (var ok = Tensor.FromStorage(storage, 8, new Shape(2), DType.F32))
        {
            ok.Span[1] = 2f;
            Assert.Equal(2f, BitConverter.ToSingle(storage.GetBytes(12, 4)));
        }
        storage.Dispose();
        Assert.Equal(1, storage.Frees); // the failed calls did not leak references
    }

    [Fact]
    public void ScalarTensors()
    {
        using var s = Tensor.FromArray([4f]);
        Assert.Equal(0, s.Rank);
        Assert.Equal(1, s.ElementCount);
        using var r = s.Reshape(1, 1);
        Assert.Equal(new Shape(1, 1), r.Shape);
        Assert.Contains("()", s.ToString());
    }
}
