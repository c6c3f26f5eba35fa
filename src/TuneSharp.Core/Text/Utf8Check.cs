// Strict UTF-8 check of a whole file, streamed in chunks: where the first invalid byte sequence is (offset, line, column), so loaders refuse instead of replacing it with U+FFFD.
using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace TuneSharp.Text;

public static class Utf8Check
{
    /// <summary>The position of the first invalid UTF-8 sequence, or null when the file is valid UTF-8 (a leading BOM is fine).</summary>
    public static (long Offset, long Line, long Column)? FindInvalid(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        var chars = ArrayPool<char>.Shared.Rent(1 << 20);
        try
        {
            long consumed = 0, line = 1, lineStart = 0;
            int carry = 0;
            while (true)
            {
                int read = stream.Read(buffer, carry, buffer.Length - carry);
                int available = carry + read;
                bool final = read == 0;
                if (available == 0) return null;
                var status = Utf8.ToUtf16(buffer.AsSpan(0, available), chars, out int bytesRead, out _, replaceInvalidSequences: false, isFinalBlock: final);
                for (int i = 0; i < bytesRead; i++)
                    if (buffer[i] == (byte)'\n') { line++; lineStart = consumed + i + 1; }
                if (status == System.Buffers.OperationStatus.InvalidData)
                {
                    long offset = consumed + bytesRead;
                    return (offset, line, offset - lineStart + 1);
                }
                consumed += bytesRead;
                if (final) return null;
                carry = available - bytesRead;
                Buffer.BlockCopy(buffer, bytesRead, buffer, 0, carry);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    /// <summary>A fix-it sentence for an invalid file.</summary>
    public static string Describe((long Offset, long Line, long Column) at) =>
        $"is not valid UTF-8: invalid byte sequence at line {at.Line}, column {at.Column} (byte offset {at.Offset}). "
        + "The file is probably in another encoding (CP949/EUC-KR, Latin-1, UTF-16); re-save it as UTF-8";
}
