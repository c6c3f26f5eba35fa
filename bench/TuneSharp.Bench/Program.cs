// Benchmark entry point: `dotnet run -c Release --project bench/TuneSharp.Bench -- <mode> [--json]`.
namespace TuneSharp.Bench;

public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine("usage: TuneSharp.Bench <mode> [options]");
            Console.WriteLine("modes: " + string.Join(", ", BenchModes.All.Keys.Order()));
            return args.Length == 0 ? 2 : 0;
        }
        if (!BenchModes.All.TryGetValue(args[0], out var run))
        {
            Console.Error.WriteLine($"unknown mode '{args[0]}'; modes: {string.Join(", ", BenchModes.All.Keys.Order())}");
            return 2;
        }
        return run(args[1..]);
    }
}
