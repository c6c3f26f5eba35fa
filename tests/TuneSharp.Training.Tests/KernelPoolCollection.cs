// Tests that change the process-wide kernel thread count run alone (xunit collection without parallelization).
namespace TuneSharp.Training.Tests;

[CollectionDefinition(nameof(KernelPoolCollection), DisableParallelization = true)]
public sealed class KernelPoolCollection;
