// One fuzzed format: valid seed files, how to mutate them, and the product call that reads a mutated copy.
namespace TuneSharp.Fuzz;

/// <param name="Name">Format name printed in the table.</param>
/// <param name="Seeds">Valid files: the file name the mutated copy is written under, and its bytes.</param>
/// <param name="Text">Text-aware mutations apply.</param>
/// <param name="Jinja">Hostile template fragments are spliced in too.</param>
/// <param name="Prepare">Writes companion files (unmutated) into the case folder once per format.</param>
/// <param name="Read">Reads the case folder / file through the product's API; returns normally or throws.</param>
internal sealed record FuzzTarget(string Name, IReadOnlyList<(string FileName, byte[] Bytes)> Seeds, bool Text, bool Jinja,
    Action<string> Prepare, Action<string, string> Read);
