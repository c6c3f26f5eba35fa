// A binary min-heap of longs (the BPE merge queue: (rank << 32) | position, so ties go to the leftmost pair).
namespace TuneSharp.Tokenizers.Models;

internal sealed class MinHeap
{
    private long[] _items = new long[64];

    public int Count { get; private set; }

    public void Clear() => Count = 0;

    public void Push(long v)
    {
        if (Count == _items.Length) Array.Resize(ref _items, Count * 2);
        int i = Count++;
        while (i > 0)
        {
            int p = (i - 1) >> 1;
            if (_items[p] <= v) break;
            _items[i] = _items[p];
            i = p;
        }
        _items[i] = v;
    }

    public long Pop()
    {
        long top = _items[0];
        long last = _items[--Count];
        int i = 0;
        while (true)
        {
            int c = 2 * i + 1;
            if (c >= Count) break;
            if (c + 1 < Count && _items[c + 1] < _items[c]) c++;
            if (_items[c] >= last) break;
            _items[i] = _items[c];
            i = c;
        }
        if (Count > 0) _items[i] = last;
        return top;
    }
}
