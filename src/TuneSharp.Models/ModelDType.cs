// Which dtype the large (2-D) weights of a loaded model are kept in.
namespace TuneSharp.Models;

/// <summary>
/// <see cref="Auto"/> keeps each tensor in its on-disk dtype, memory-mapped (no copy); the others convert 2-D
/// weights once at load (a full copy). Norm weights and biases are always held as F32 (they are tiny).
/// </summary>
public enum ModelDType
{
    Auto,
    Float32,
    BFloat16,
    Float16,
}
