// Scope that switches a tape to no-grad mode (evaluation, generation, checkpoint forward) and restores it on Dispose.
namespace TuneSharp.Autograd;

/// <summary>Returned by <see cref="Tape.NoGrad"/>; use with <c>using</c>.</summary>
public readonly struct NoGradScope : IDisposable
{
    private readonly Tape? _tape;
    private readonly bool _previous;

    internal NoGradScope(Tape tape, bool previous)
    {
        _tape = tape;
        _previous = previous;
    }

    public void Dispose()
    {
        if (_tape != null) _tape.GradEnabled = _previous;
    }
}
