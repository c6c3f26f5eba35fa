// Who frees a variable's value: the autograd counter (owned allocations), a plain Dispose (views), or nobody (caller's tensors).
namespace TuneSharp.Autograd;

internal enum ValueOwnership
{
    /// <summary>The caller's tensor: autograd never disposes it.</summary>
    External,

    /// <summary>Allocated through <see cref="AutogradMemory.Allocate"/>; freed with <see cref="AutogradMemory.Free"/>.</summary>
    Counted,

    /// <summary>A view (reshape) the variable owns; freed with Dispose, uncounted.</summary>
    View,
}
