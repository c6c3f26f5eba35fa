// The module tree (torch.nn.Module): every layer is a Module with its Hugging Face name, its own parameters and its
// children; named parameters, full fine-tuning copies, LoRA injection and checkpoint IO all derive from this walk.
using TuneSharp.Autograd;

namespace TuneSharp.Nn;

/// <summary>
/// A node of the model tree. <see cref="Name"/> is the full HF module path ("model.layers.0.self_attn.q_proj";
/// "" for the root), so parameter names are <c>Name + "." + local</c> ("….q_proj.weight") as in a state dict.
/// </summary>
public abstract class Module
{
    protected Module(string name)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
    }

    /// <summary>Full HF module path ("" for the root).</summary>
    public string Name { get; }

    /// <summary>Direct children in state-dict order.</summary>
    public virtual IEnumerable<Module> Children() => [];

    /// <summary>This module's own parameters by local name ("weight", "bias"), in state-dict order.</summary>
    protected virtual IEnumerable<(string LocalName, Variable Parameter)> OwnParameters() => [];

    /// <summary>Replaces one of <see cref="OwnParameters"/> (full fine-tuning copies, merged weights).</summary>
    protected virtual void SetParameter(string localName, Variable value) =>
        throw new InvalidOperationException($"{GetType().Name} '{Name}' has no parameter '{localName}'");

    /// <summary>This module and every descendant, pre-order (the order of a state dict).</summary>
    public IEnumerable<Module> Modules()
    {
        yield return this;
        foreach (var child in Children())
            foreach (var m in child.Modules())
                yield return m;
    }

    /// <summary>
    /// Every parameter by its HF tensor name, each variable once (a tied lm_head appears only as
    /// model.embed_tokens.weight, as torch's named_parameters deduplicates shared tensors). LoRA adapter weights are
    /// not base parameters and are listed by their <c>LoraModel</c>.
    /// </summary>
    public IEnumerable<(string Name, Variable Parameter)> NamedParameters()
    {
        var seen = new HashSet<Variable>(ReferenceEqualityComparer.Instance);
        foreach (var m in Modules())
            foreach (var (local, p) in m.OwnParameters())
                if (seen.Add(p)) yield return (Join(m.Name, local), p);
    }

    /// <summary>Total parameter count (shared tensors once).</summary>
    public long ParameterCount => NamedParameters().Sum(p => p.Parameter.Shape.ElementCount);

    /// <summary>
    /// Replaces every parameter by <paramref name="map"/>(name, value) throughout the tree. A variable shared by several
    /// modules (tied embeddings) is mapped once and stays shared.
    /// </summary>
    public void MapParameters(Func<string, Variable, Variable> map)
    {
        var done = new Dictionary<Variable, Variable>(ReferenceEqualityComparer.Instance);
        foreach (var m in Modules())
            foreach (var (local, p) in m.OwnParameters().ToList())
            {
                if (!done.TryGetValue(p, out var q)) done[p] = q = map(Join(m.Name, local), p);
                if (!ReferenceEquals(p, q)) m.SetParameter(local, q);
            }
    }

    /// <summary>The descendant (or this module) with the given full name.</summary>
    public Module GetModule(string name) =>
        Modules().FirstOrDefault(m => m.Name == name)
        ?? throw new KeyNotFoundException($"no module named \"{name}\" under \"{Name}\" (e.g. \"{Modules().Skip(1).FirstOrDefault()?.Name}\")");

    private static string Join(string prefix, string local) => prefix.Length == 0 ? local : prefix + "." + local;

    public override string ToString() => $"{GetType().Name} {Name}";
}
