// Unicode normalization forms NFC/NFD/NFKC/NFKD (UAX #15) from embedded UCD tables; independent of ICU and invariant mode.
using System.Buffers.Binary;
using System.Text;

namespace TuneSharp.Tokenizers.Normalizers;

internal static class UnicodeNorm
{
    private static readonly Dictionary<int, byte> Ccc = new();
    private static readonly Dictionary<int, int[]> Canonical = new();
    private static readonly Dictionary<int, int[]> Compat = new();
    private static readonly Dictionary<long, int> Compose = new();
    // Per BMP char: bit0 = may change under NFC, bit1 NFD, bit2 NFKC, bit3 NFKD (quick "already normalized" check).
    private static readonly byte[] Unsafe = new byte[65536];

    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7, LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

    static UnicodeNorm()
    {
        using var s = typeof(UnicodeNorm).Assembly.GetManifestResourceStream("TuneSharp.Tokenizers.UnicodeNormalization.bin")
            ?? throw new InvalidOperationException("embedded Unicode normalization tables are missing");
        var data = new byte[s.Length];
        s.ReadExactly(data);
        if (!data.AsSpan(0, 4).SequenceEqual("UNRM"u8)) throw new InvalidOperationException("bad Unicode normalization table");
        int p = 8;
        int U32() { int v = (int)BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(p)); p += 4; return v; }
        int n = U32();
        for (int i = 0; i < n; i++) { int cp = U32(); Ccc[cp] = data[p++]; }
        n = U32();
        for (int i = 0; i < n; i++)
        {
            int cp = U32();
            byte kind = data[p++];
            int len = data[p++];
            var seq = new int[len];
            for (int k = 0; k < len; k++) seq[k] = U32();
            (kind == 0 ? Canonical : Compat)[cp] = seq;
        }
        n = U32();
        for (int i = 0; i < n; i++) { int a = U32(), b = U32(), c = U32(); Compose[((long)a << 32) | (uint)b] = c; }

        foreach (var cp in Ccc.Keys) if (cp < 65536) Unsafe[cp] |= 0b1111;
        foreach (var cp in Canonical.Keys) if (cp < 65536) Unsafe[cp] |= 0b1111;
        foreach (var cp in Compat.Keys) if (cp < 65536) Unsafe[cp] |= 0b1100;
        foreach (var key in Compose.Keys) { int b = (int)(key & 0xFFFFFFFF); if (b < 65536) Unsafe[b] |= 0b0101; }
        for (int c = SBase; c < SBase + SCount; c++) Unsafe[c] |= 0b1010; // syllables decompose under NFD/NFKD only
        for (int c = VBase; c < VBase + VCount; c++) Unsafe[c] |= 0b0101;  // jamo compose under NFC/NFKC
        for (int c = TBase + 1; c < TBase + TCount; c++) Unsafe[c] |= 0b0101;
        for (int c = 0xD800; c < 0xE000; c++) Unsafe[c] |= 0b1111;        // astral: take the slow path
    }

    private static int Bit(NormalizationForm f) => f switch
    {
        NormalizationForm.FormC => 1,
        NormalizationForm.FormD => 2,
        NormalizationForm.FormKC => 4,
        _ => 8,
    };

    /// <summary>True when no character of <paramref name="s"/> can change under the form (conservative).</summary>
    public static bool IsQuickNormalized(ReadOnlySpan<char> s, NormalizationForm form)
    {
        int bit = Bit(form);
        foreach (var c in s) if ((Unsafe[c] & bit) != 0) return false;
        return true;
    }

    public static string Normalize(string s, NormalizationForm form)
    {
        if (IsQuickNormalized(s, form)) return s;
        bool compat = form is NormalizationForm.FormKC or NormalizationForm.FormKD;
        bool compose = form is NormalizationForm.FormC or NormalizationForm.FormKC;
        var cps = new List<int>(s.Length + 8);
        foreach (var r in s.EnumerateRunes()) Decompose(r.Value, compat, cps);
        Reorder(cps);
        if (compose) ComposeInPlace(cps);
        var sb = new StringBuilder(cps.Count + 4);
        foreach (var cp in cps) sb.Append(new Rune(cp).ToString());
        return sb.ToString();
    }

    private static int CccOf(int cp) => Ccc.TryGetValue(cp, out var c) ? c : 0;

    private static void Decompose(int cp, bool compat, List<int> output)
    {
        if (cp >= SBase && cp < SBase + SCount)
        {
            int si = cp - SBase;
            output.Add(LBase + si / NCount);
            output.Add(VBase + si % NCount / TCount);
            if (si % TCount != 0) output.Add(TBase + si % TCount);
            return;
        }
        if (compat && Compat.TryGetValue(cp, out var k)) { output.AddRange(k); return; }
        if (Canonical.TryGetValue(cp, out var d)) { output.AddRange(d); return; }
        output.Add(cp);
    }

    /// <summary>Canonical ordering: stable sort of each run of non-starters by combining class.</summary>
    private static void Reorder(List<int> cps)
    {
        for (int i = 1; i < cps.Count; i++)
        {
            int cc = CccOf(cps[i]);
            if (cc == 0) continue;
            int j = i;
            while (j > 0)
            {
                int pc = CccOf(cps[j - 1]);
                if (pc <= cc) break;
                (cps[j - 1], cps[j]) = (cps[j], cps[j - 1]);
                j--;
            }
        }
    }

    private static int TryCompose(int a, int b)
    {
        if (a >= LBase && a < LBase + LCount && b >= VBase && b < VBase + VCount)
            return SBase + ((a - LBase) * VCount + (b - VBase)) * TCount;
        if (a >= SBase && a < SBase + SCount && (a - SBase) % TCount == 0 && b > TBase && b < TBase + TCount)
            return a + (b - TBase);
        return Compose.TryGetValue(((long)a << 32) | (uint)b, out var c) ? c : -1;
    }

    private static void ComposeInPlace(List<int> cps)
    {
        if (cps.Count == 0) return;
        var result = new List<int>(cps.Count);
        int starter = -1, lastCcc = 0;
        foreach (var c in cps)
        {
            int cc = CccOf(c);
            if (starter >= 0)
            {
                bool adjacent = result.Count - 1 == starter;
                if (adjacent || (lastCcc != 0 && lastCcc < cc))
                {
                    int comp = TryCompose(result[starter], c);
                    if (comp >= 0) { result[starter] = comp; continue; }
                }
            }
            if (cc == 0) { starter = result.Count; lastCcc = 0; }
            else lastCcc = cc;
            result.Add(c);
        }
        cps.Clear();
        cps.AddRange(result);
    }
}
