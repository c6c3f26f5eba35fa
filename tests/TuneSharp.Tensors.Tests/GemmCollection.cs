// xunit collection that keeps the tests which change KernelPool.Threads / Gemm.UseVector512 from running concurrently.
namespace TuneSharp.Tensors.Tests;

[CollectionDefinition(Name)]
public sealed class GemmCollection
{
    public const string Name = "Gemm and KernelPool globals";
}
