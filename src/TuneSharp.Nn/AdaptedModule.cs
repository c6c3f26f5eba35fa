// A module that can carry named LoRA adapters on a side path (PEFT's adapter dict on LoraLayer): Linear and Embedding.
using TuneSharp.Nn.Lora;

namespace TuneSharp.Nn;

/// <summary>Named adapters by PEFT adapter name; <see cref="Lora"/> is the "default" one training and single-adapter generation use.</summary>
public abstract class AdaptedModule : Module
{
    private readonly Dictionary<string, LoraAdapter> _adapters = new(StringComparer.Ordinal);

    protected AdaptedModule(string name) : base(name) { }

    /// <summary>LoRA adapters on this module by adapter name.</summary>
    public IReadOnlyDictionary<string, LoraAdapter> Adapters => _adapters;

    /// <summary>The adapter named "default", if any.</summary>
    public LoraAdapter? Lora
    {
        get => GetAdapter(AdapterSelection.DefaultName);
        set => SetAdapter(AdapterSelection.DefaultName, value);
    }

    public LoraAdapter? GetAdapter(string name) => _adapters.GetValueOrDefault(name);

    /// <summary>Adds, replaces or (null) removes the adapter called <paramref name="name"/>.</summary>
    public void SetAdapter(string name, LoraAdapter? adapter)
    {
        if (adapter is null) _adapters.Remove(name);
        else _adapters[name] = adapter;
    }
}
