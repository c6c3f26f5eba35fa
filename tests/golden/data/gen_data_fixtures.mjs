// Writes the data-layer fixtures with tools nobody in this project wrote:
//  * Arrow IPC (file and stream formats) with apache-arrow (the Arrow project's JS implementation),
//  * Parquet with parquet-wasm (the Rust `parquet` crate compiled to WebAssembly),
//  * token ids for the response-marker cases with @lenml/tokenizers (a fork of transformers.js's tokenizers),
// then reads the Parquet files back with hyparquet (a third, independent reader) to write the expected rows.
// Run: cd tests/golden/data && npm ci && node gen_data_fixtures.mjs   (then python3 ../gen_response_masking.py)
// Tests never need node: the outputs below are committed.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  Field, Utf8, Int64, Float64, Int32, List, Struct, Dictionary, Bool,
  vectorFromArray, makeTable, Table, tableToIPC,
} from "apache-arrow";
import * as pw from "parquet-wasm/node";
import { parquetReadObjects } from "hyparquet";
import { TokenizerLoader } from "@lenml/tokenizers";

const here = path.dirname(fileURLToPath(import.meta.url));
const out = (...p) => { const f = path.join(here, ...p); fs.mkdirSync(path.dirname(f), { recursive: true }); return f; };

// ---------- chat rows: nested messages, nulls, dictionary-encoded strings ----------
const chatRows = [
  { id: 1, source: "exam", score: 0.5, note: "first", messages: [{ role: "user", content: "신용장 당사자가 아닌 것은?" }, { role: "assistant", content: "관세청" }], tags: ["trade", "exam"], ok: true },
  { id: 2, source: "glossary", score: null, note: null, messages: [{ role: "user", content: "What is a Bill of Lading?" }, { role: "assistant", content: "A receipt for shipped goods." }], tags: [], ok: false },
  { id: 3, source: "exam", score: 1.25, note: "", messages: [{ role: "system", content: null }, { role: "user", content: "FOB란?" }, { role: "assistant", content: "본선 인도 조건" }], tags: null, ok: null },
  { id: 4, source: "review", score: -2, note: "따옴표 \"와\" 줄바꿈\n포함", messages: [], tags: ["x"], ok: true },
  { id: 5, source: "glossary", score: 3.5, note: null, messages: [{ role: "user", content: "선하증권" }, { role: "assistant", content: "Bill of Lading" }, { role: "user", content: "영어로?" }, { role: "assistant", content: "B/L" }], tags: ["a", "b", "c"], ok: false },
  { id: 6, source: "exam", score: null, note: "six", messages: null, tags: ["six"], ok: true },
  { id: 7, source: "review", score: 7, note: "seven", messages: [{ role: "user", content: "방읾 넘무 조밥욤" }, { role: "assistant", content: "방이 너무 좁아요" }], tags: [], ok: true },
  { id: 8, source: "exam", score: 8.125, note: "eight 🚢", messages: [{ role: "user", content: "Incoterms 2020: how many rules?" }, { role: "assistant", content: "11" }], tags: ["end"], ok: false },
];
const messageType = new List(new Field("item", new Struct([new Field("role", new Utf8(), true), new Field("content", new Utf8(), true)]), true));
const chatTypes = {
  id: new Int64(), source: new Dictionary(new Utf8(), new Int32()), score: new Float64(), note: new Utf8(),
  messages: messageType, tags: new List(new Field("item", new Utf8(), true)), ok: new Bool(),
};
function arrowTable(rows, types) {
  const cols = {};
  for (const [name, type] of Object.entries(types)) {
    const values = rows.map(r => (name === "id" && r[name] != null) ? BigInt(r[name]) : r[name]);
    cols[name] = vectorFromArray(values, type);
  }
  return makeTable(cols);
}
// Several record batches: slices of one table concatenated (each slice becomes one batch; they share one dictionary,
// as the Arrow file format requires).
function batched(rows, types, size) {
  const whole = arrowTable(rows, types);
  let t = null;
  for (let i = 0; i < rows.length; i += size) {
    const part = whole.slice(i, Math.min(i + size, rows.length));
    t = t === null ? part : t.concat(part);
  }
  return t;
}
const chatTable = batched(chatRows, chatTypes, 3);
fs.writeFileSync(out("chat.arrow"), tableToIPC(chatTable, "file"));
fs.writeFileSync(out("chat_stream.arrows"), tableToIPC(chatTable, "stream"));

function toParquet(table, rowGroupSize, compression = pw.Compression.SNAPPY) {
  const wasmTable = pw.Table.fromIPCStream(tableToIPC(table, "stream"));
  const props = new pw.WriterPropertiesBuilder()
    .setMaxRowGroupSize(rowGroupSize).setCompression(compression).setDictionaryEnabled(true).build();
  return pw.writeParquet(wasmTable, props);
}
fs.writeFileSync(out("chat.parquet"), toParquet(chatTable, 3));
// Same rows, uncompressed, one row group per two rows (plain dictionary pages still on).
fs.writeFileSync(out("chat_uncompressed.parquet"), toParquet(chatTable, 2, pw.Compression.UNCOMPRESSED));

// ---------- alpaca rows for the HF folder layouts ----------
const alpaca = (n, split) => Array.from({ length: n }, (_, i) => ({
  instruction: `${split} 질문 ${i + 1}: 물의 끓는점은?`, input: i % 3 === 0 ? "섭씨로" : "", output: `${split} 답 ${i + 1}: 100°C`,
}));
const alpacaTypes = { instruction: new Utf8(), input: new Utf8(), output: new Utf8() };
const train = alpaca(7, "train"), test = alpaca(3, "test");
// Hub layout (what `push_to_hub` writes): data/<split>-0000k-of-0000n.parquet + README.md front matter.
fs.writeFileSync(out("hf_hub", "data", "train-00000-of-00002.parquet"), toParquet(arrowTable(train.slice(0, 4), alpacaTypes), 2));
fs.writeFileSync(out("hf_hub", "data", "train-00001-of-00002.parquet"), toParquet(arrowTable(train.slice(4), alpacaTypes), 2));
fs.writeFileSync(out("hf_hub", "data", "test-00000-of-00001.parquet"), toParquet(arrowTable(test, alpacaTypes), 10));
fs.writeFileSync(out("hf_hub", "README.md"),
  "---\ndataset_info:\n  features:\n  - name: instruction\n    dtype: string\n  - name: input\n    dtype: string\n  - name: output\n    dtype: string\n" +
  "configs:\n- config_name: default\n  data_files:\n  - split: train\n    path: data/train-*\n  - split: test\n    path: data/test-*\n---\n# tiny alpaca\n");

// save_to_disk layout: dataset_dict.json + <split>/{data-0000k-of-0000n.arrow (IPC *stream* format), dataset_info.json, state.json}.
function saveToDisk(split, rows, shards) {
  const per = Math.ceil(rows.length / shards);
  const files = [];
  for (let k = 0; k < shards; k++) {
    const name = `data-${String(k).padStart(5, "0")}-of-${String(shards).padStart(5, "0")}.arrow`;
    fs.writeFileSync(out("hf_disk", split, name), tableToIPC(batched(rows.slice(k * per, (k + 1) * per), alpacaTypes, 2), "stream"));
    files.push({ filename: name });
  }
  fs.writeFileSync(out("hf_disk", split, "state.json"), JSON.stringify({
    _data_files: files, _fingerprint: "0123456789abcdef", _format_columns: null, _format_kwargs: {}, _format_type: null,
    _output_all_columns: false, _split: split,
  }, null, 2));
  fs.writeFileSync(out("hf_disk", split, "dataset_info.json"), JSON.stringify({
    citation: "", description: "", features: {
      instruction: { dtype: "string", _type: "Value" }, input: { dtype: "string", _type: "Value" }, output: { dtype: "string", _type: "Value" },
    }, homepage: "", license: "",
  }, null, 2));
}
saveToDisk("train", train, 2);
saveToDisk("test", test, 1);
fs.writeFileSync(out("hf_disk", "dataset_dict.json"), JSON.stringify({ splits: ["train", "test"] }));

// ---------- expected rows, read back by an independent reader (hyparquet) ----------
const bigintSafe = (_k, v) => (typeof v === "bigint" ? Number(v) : v);
const readBack = await parquetReadObjects({ file: toArrayBuffer(fs.readFileSync(out("chat.parquet"))) });
// hyparquet leaves a null list out of its row object; write every column, null when absent.
const columns = Object.keys(chatTypes);
const expected = readBack.map(r => Object.fromEntries(columns.map(c => [c, r[c] === undefined ? null : r[c]])));
fs.writeFileSync(out("chat_expected.json"), JSON.stringify(expected, bigintSafe, 1));
function toArrayBuffer(buf) { return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength); }

// ---------- token ids for the response-marker (DataCollatorForCompletionOnlyLM) cases ----------
const tokDir = name => path.join(here, "..", "..", "..", "..", "shared", "assets", "tokenizers", name);
const tokenizers = {};
function tok(name) {
  if (!tokenizers[name]) {
    const d = tokDir(name);
    const cfg = fs.existsSync(path.join(d, "tokenizer_config.json")) ? JSON.parse(fs.readFileSync(path.join(d, "tokenizer_config.json"))) : {};
    tokenizers[name] = TokenizerLoader.fromPreTrained({ tokenizerJSON: JSON.parse(fs.readFileSync(path.join(d, "tokenizer.json"))), tokenizerConfig: cfg });
  }
  return tokenizers[name];
}
const alpacaText = (q, a, eos) =>
  `Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\n${q}\n\n### Response:\n${a}${eos}`;
const dialog = turns => turns.map(([who, s]) => `### ${who}: ${s}`).join("\n");
// Each case: tokenizer, texts, templates as strings, or as ids taken from a template encoded in context (TRL's documented
// workaround: encode "\n### Assistant:" and drop the ids of the leading context).
const cases = [
  { name: "alpaca_llama3", tokenizer: "llama3", response_template: "### Response:\n",
    texts: [alpacaText("물의 끓는점은?", "100°C", "<|end_of_text|>"), alpacaText("Name a primary colour.", "Red.", "<|end_of_text|>"),
      "### Response:\nfirst\n### Response:\nsecond (the last marker wins)", "no marker at all here"] },
  { name: "alpaca_smollm2", tokenizer: "smollm2", response_template: "### Response:\n",
    texts: [alpacaText("What is 2+2?", "4", "<|endoftext|>"), alpacaText("수도는?", "서울", "")] },
  { name: "alpaca_qwen3_no_newline_marker", tokenizer: "qwen3", response_template: "### Response:",
    texts: [alpacaText("Say hi", "hi", "<|endoftext|>"), alpacaText("한국의 수도는?", "서울입니다.", "<|endoftext|>")] },
  // SentencePiece-style: alone the marker gets a leading ▁; in context after "\n" it does not, so the string never matches
  // (TRL warns and masks the row) while the in-context ids do.
  { name: "context_string_tinystories", tokenizer: "tinystories-656k", response_template: "Answer:",
    texts: ["Tom had a dog.\nAnswer: The dog was big.", "Answer: at the start"] },
  { name: "context_ids_tinystories", tokenizer: "tinystories-656k", response_template_in_context: ["dog.\nBot", "dog"],
    texts: ["Tom had a dog.\nBot: The dog was big.", "Lily saw a cat.\nBot: It was red.\nBot: It ran."] },
  { name: "context_string_llama3", tokenizer: "llama3", response_template: " Assistant:",
    texts: ["### Human: hi\n### Assistant: hello", "User said hi. Assistant: hello"] },
  { name: "multi_turn_llama3", tokenizer: "llama3", instruction_template: "### Human:", response_template: "### Assistant:",
    texts: [
      dialog([["Human", "무역 용어 하나 알려줘"], ["Assistant", "선하증권"], ["Human", "영어로?"], ["Assistant", "Bill of Lading"]]),
      dialog([["Assistant", "I start"], ["Human", "then me"], ["Assistant", "and me again"]]),
      dialog([["Human", "one"], ["Assistant", "two"], ["Human", "trailing human"]]),
      "### Human: no reply marker anywhere",
      "### Assistant: no human marker anywhere",
    ] },
  // "More.\nBot" tokenizes as "e.\n" + "B" "ot", so that marker is missed: fewer responses than instructions.
  { name: "multi_turn_tinystories_ids", tokenizer: "tinystories-656k",
    instruction_template_in_context: ["story.\nUser", "story"], response_template_in_context: ["dog.\nBot", "dog"],
    texts: ["Hi.\nUser: Tell me a story.\nBot: Once there was a cat.\nUser: More.\nBot: The cat slept.", "Hi.\nUser: a\nBot: b"] },
];
function templateIds(t, spec) {
  // ids of the template encoded after its context, minus the ids of the context alone (TRL docs' [2:] slicing, computed).
  const [withContext, context] = spec;
  const all = t.encode(withContext, { add_special_tokens: false });
  const ctx = t.encode(context, { add_special_tokens: false });
  for (let i = 0; i < ctx.length; i++) if (all[i] !== ctx[i]) throw new Error(`context ids are not a prefix for ${JSON.stringify(withContext)}`);
  return all.slice(ctx.length);
}
const caseOut = cases.map(c => {
  const t = tok(c.tokenizer);
  const o = { name: c.name, tokenizer: c.tokenizer };
  if (c.response_template !== undefined) { o.response_template = c.response_template; o.response_ids = t.encode(c.response_template, { add_special_tokens: false }); }
  else { o.response_template_in_context = c.response_template_in_context; o.response_ids = templateIds(t, c.response_template_in_context); o.response_as_ids = true; }
  if (c.instruction_template !== undefined) { o.instruction_template = c.instruction_template; o.instruction_ids = t.encode(c.instruction_template, { add_special_tokens: false }); }
  else if (c.instruction_template_in_context) { o.instruction_template_in_context = c.instruction_template_in_context; o.instruction_ids = templateIds(t, c.instruction_template_in_context); o.instruction_as_ids = true; }
  // SFTTrainer tokenizes the text field with the tokenizer's special tokens (e.g. BOS).
  o.rows = c.texts.map(text => ({ text, input_ids: t.encode(text, { add_special_tokens: true }) }));
  o.pad_token_id = t.pad_token_id ?? null;
  return o;
});
fs.writeFileSync(out("response_marker_inputs.json"), JSON.stringify(caseOut, null, 1));
console.log("wrote fixtures to", here);
