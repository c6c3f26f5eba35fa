// Paths of the committed data fixtures in tests/golden/data (written by gen_data_fixtures.mjs and gen_response_masking.py).
using TuneSharp.Testing;

namespace TuneSharp.Data.Tests;

internal static class GoldenData
{
    public static string Path(params string[] parts) => System.IO.Path.Combine([SharedAssets.RepoRoot, "tests", "golden", "data", .. parts]);
}
