// Test assembly settings: AutogradMemory counters are process-wide, so tests that read them must not overlap others.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
