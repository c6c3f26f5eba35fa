// Kernel tests change process-wide settings (KernelPool.Threads, Gemm.UseVector512) and KernelPool runs a call
// serially when another thread is inside it, so test classes here run one at a time to stay deterministic.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
