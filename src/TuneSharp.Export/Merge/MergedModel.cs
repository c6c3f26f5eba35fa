// A base model with a PEFT LoRA adapter folded in (PEFT merge_and_unload), plus what the merge did, for the writers.
using TuneSharp.Models;
using TuneSharp.Nn.Lora;

namespace TuneSharp.Export.Merge;

/// <param name="Model">The merged model (F32 weights where adapters were merged).</param>
/// <param name="BaseFolder">The HF folder the base weights were read from.</param>
/// <param name="AdapterFolder">The adapter folder, or null when no adapter was given.</param>
/// <param name="Adapter">The adapter's config, or null.</param>
/// <param name="Notes">Lines for the user and the model card (e.g. the QLoRA note).</param>
public sealed record MergedModel(CausalLM Model, string BaseFolder, string? AdapterFolder, LoraConfig? Adapter, IReadOnlyList<string> Notes) : IDisposable
{
    /// <summary>False when lm_head and embed_tokens hold different weights (an lm_head or embedding adapter was merged into a tied model).</summary>
    public bool Tied => ReferenceEquals(Model.LmHead.Weight, Model.EmbedTokens.Weight);

    /// <summary>Every tensor to write, by HF name: lm_head.weight appears when the merge untied it.</summary>
    public IReadOnlyList<(string Name, Tensors.Tensor Tensor)> Tensors()
    {
        var list = Model.NamedParameters().Select(p => (p.Name, p.Parameter.Value)).ToList();
        if (Model.Config.TieWordEmbeddings && !Tied && !list.Any(p => p.Name == "lm_head.weight")) list.Add(("lm_head.weight", Model.LmHead.Weight.Value));
        return list;
    }

    public void Dispose() => Model.Dispose();
}
