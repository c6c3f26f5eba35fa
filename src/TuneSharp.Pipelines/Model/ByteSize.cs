// Parses memory sizes like 512MB, 4GB, 2GiB, 1.5G (decimal and binary units) into bytes.
using System.Globalization;

namespace TuneSharp.Pipelines.Model;

public static class ByteSize
{
    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var t = text.Trim();
        int i = 0;
        while (i < t.Length && (char.IsDigit(t[i]) || t[i] == '.')) i++;
        if (i == 0 || !double.TryParse(t[..i], NumberStyles.Float, CultureInfo.InvariantCulture, out double n) || n < 0) return false;
        double scale = t[i..].Trim().ToUpperInvariant() switch
        {
            "" or "B" => 1,
            "K" or "KB" => 1e3, "KIB" => 1024,
            "M" or "MB" => 1e6, "MIB" => 1 << 20,
            "G" or "GB" => 1e9, "GIB" => 1 << 30,
            "T" or "TB" => 1e12, "TIB" => 1L << 40,
            _ => double.NaN,
        };
        if (double.IsNaN(scale)) return false;
        bytes = (long)(n * scale);
        return true;
    }

    public static string Format(long bytes) => bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):0.#}GiB" : $"{bytes / (double)(1 << 20):0.#}MiB";
}
