# Writes src/TuneSharp.Tokenizers/Normalizers/UnicodeNormalization.bin from Python's unicodedata (UCD), because .NET's
# string.Normalize is a no-op under InvariantGlobalization. Run with /usr/bin/python3 gen_unicode_norm.py.
# Layout (little-endian): "UNRM", u32 version, u32 nCcc, nCcc*(u32 cp, u8 ccc), u32 nDecomp,
# nDecomp*(u32 cp, u8 kind(0 canonical full, 1 compatibility full), u8 len, len*u32), u32 nComp, nComp*(u32 a, u32 b, u32 c).
import os, struct, sys, unicodedata as ud

def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../src/TuneSharp.Tokenizers/Normalizers/UnicodeNormalization.bin")
    ccc, decomp, comp = [], [], []
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF or 0xAC00 <= cp <= 0xD7A3:
            continue  # surrogates; Hangul syllables are algorithmic
        ch = chr(cp)
        c = ud.combining(ch)
        if c:
            ccc.append((cp, c))
        nfd = ud.normalize("NFD", ch)
        nfkd = ud.normalize("NFKD", ch)
        if nfd != ch:
            decomp.append((cp, 0, [ord(x) for x in nfd]))
        if nfkd != nfd:
            decomp.append((cp, 1, [ord(x) for x in nfkd]))
        raw = ud.decomposition(ch)
        if raw and not raw.startswith("<"):
            parts = [int(x, 16) for x in raw.split()]
            if len(parts) == 2 and ud.normalize("NFC", nfd) == ch:
                comp.append((parts[0], parts[1], cp))
    with open(out + ".tmp", "wb") as f:
        f.write(b"UNRM")
        f.write(struct.pack("<I", 1))
        f.write(struct.pack("<I", len(ccc)))
        for cp, c in ccc:
            f.write(struct.pack("<IB", cp, c))
        f.write(struct.pack("<I", len(decomp)))
        for cp, kind, seq in decomp:
            f.write(struct.pack("<IBB", cp, kind, len(seq)))
            f.write(struct.pack("<%dI" % len(seq), *seq))
        f.write(struct.pack("<I", len(comp)))
        for a, b, c in comp:
            f.write(struct.pack("<III", a, b, c))
    os.replace(out + ".tmp", out)
    print(f"unicode {ud.unidata_version}: {len(ccc)} ccc, {len(decomp)} decompositions, {len(comp)} compositions -> {out}")

if __name__ == "__main__":
    main()
