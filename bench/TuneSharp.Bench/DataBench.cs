// `data` mode: streams a large generated Parquet file through the dataset reader and prints peak RSS against the file
// size, showing that row-group streaming keeps memory bounded (the file is never loaded whole).
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Parquet;
using Parquet.Schema;
using TuneSharp.Data.Loading;

namespace TuneSharp.Bench;

/// <summary>
/// Options: --size-mb N (1024: target file size), --row-group-mb N (32: text per row group), --path FILE (default
/// $TMPDIR/tunesharp-bench-data.parquet, reused when it exists with the same size), --keep (keep the file), --json.
/// The file holds instruction/input/output rows of random Latin and Hangul words (weakly compressible, Snappy).
/// Peak RSS is VmHWM, reset through /proc/self/clear_refs after generation, so it measures the read alone.
/// </summary>
[BenchMode("data")]
public static class DataBench
{
    public static int Run(string[] args)
    {
        int sizeMb = int.Parse(BenchUtil.Option(args, "--size-mb") ?? "1024", CultureInfo.InvariantCulture);
        int groupMb = int.Parse(BenchUtil.Option(args, "--row-group-mb") ?? "32", CultureInfo.InvariantCulture);
        string path = BenchUtil.Option(args, "--path") ?? Path.Combine(Path.GetTempPath(), $"tunesharp-bench-data-{sizeMb}mb.parquet");
        bool keep = BenchUtil.HasFlag(args, "--keep") || BenchUtil.Option(args, "--path") != null;
        bool json = BenchUtil.HasFlag(args, "--json");
        var sw = Stopwatch.StartNew();
        if (!File.Exists(path)) Generate(path, sizeMb * 1048576L, groupMb * 1048576L);
        double genS = sw.Elapsed.TotalSeconds;
        long fileBytes = new FileInfo(path).Length;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        ResetPeakRss();
        double baseRss = CurrentRssMb();
        sw.Restart();
        long rows = 0, chars = 0;
        foreach (var row in ParquetLoader.Stream(path))
        {
            rows++;
            foreach (var (_, v) in row) chars += v?.GetValue<string>().Length ?? 0;
        }
        double readS = sw.Elapsed.TotalSeconds;
        double peak = PeakRssMb();
        double fileMb = fileBytes / 1048576.0;
        if (json)
            Console.WriteLine(BenchUtil.JsonLine(("file_mb", fileMb), ("rows", rows), ("chars", chars), ("read_s", readS), ("read_mb_per_s", fileMb / readS),
                ("rss_before_mb", baseRss), ("peak_rss_mb", peak), ("generate_s", genS)));
        else
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"data: streamed {fileMb:F0} MB Parquet ({rows:N0} rows, {chars / 1e6:F0} M chars) in {readS:F1} s ({fileMb / readS:F1} MB/s); " +
                $"peak RSS {peak:F0} MB (before reading {baseRss:F0} MB) = {peak / fileMb:F2}× the file size; generated in {genS:F1} s"));
        if (!keep) File.Delete(path);
        return 0;
    }

    private static readonly string[] Words = MakeWords();

    private static string[] MakeWords()
    {
        var rng = new Random(5);
        var words = new string[4096];
        for (int i = 0; i < words.Length; i++)
        {
            var sb = new StringBuilder();
            int len = 2 + rng.Next(8);
            bool hangul = rng.Next(3) == 0;
            for (int k = 0; k < len; k++) sb.Append(hangul ? (char)(0xAC00 + rng.Next(11172)) : (char)('a' + rng.Next(26)));
            words[i] = sb.ToString();
        }
        return words;
    }

    private static void Generate(string path, long targetBytes, long groupBytes)
    {
        var fields = new[] { new DataField<string>("instruction"), new DataField<string>("input"), new DataField<string>("output") };
        var schema = new ParquetSchema(fields);
        var rng = new Random(11);
        string Text(int words)
        {
            var sb = new StringBuilder();
            for (int i = 0; i < words; i++) sb.Append(Words[rng.Next(Words.Length)]).Append(' ');
            return sb.ToString();
        }
        var tmp = path + ".tmp";
        using (var fs = File.Create(tmp))
        {
            var writer = ParquetWriter.CreateAsync(schema, fs).GetAwaiter().GetResult();
            try
            {
                while (fs.Length < targetBytes)
                {
                    var cols = new[] { new List<string>(), new List<string>(), new List<string>() };
                    long bytes = 0;
                    while (bytes < groupBytes)
                    {
                        var row = new[] { Text(10 + rng.Next(40)), rng.Next(3) == 0 ? Text(5 + rng.Next(20)) : "", Text(20 + rng.Next(200)) };
                        for (int c = 0; c < 3; c++) { cols[c].Add(row[c]); bytes += row[c].Length * 2; }
                    }
                    using var rg = writer.CreateRowGroup();
                    for (int c = 0; c < 3; c++) rg.WriteAsync(fields[c], cols[c], null).GetAwaiter().GetResult();
                }
            }
            finally { writer.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
        }
        File.Move(tmp, path, overwrite: true);
    }

    private static void ResetPeakRss()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static double StatusMb(string key)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith(key, StringComparison.Ordinal))
                    return double.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
        }
        catch (IOException) { }
        return double.NaN;
    }

    private static double PeakRssMb() => StatusMb("VmHWM:") is var v && !double.IsNaN(v) ? v : Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;

    private static double CurrentRssMb() => StatusMb("VmRSS:");
}
