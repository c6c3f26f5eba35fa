"""Labels of TRL's DataCollatorForCompletionOnlyLM for the cases in data/response_marker_inputs.json.

A faithful re-implementation of `DataCollatorForCompletionOnlyLM.torch_call` from huggingface/trl
(trl/trainer/utils.py, v0.8-v0.11; the class was removed in 0.20 in favour of completion_only_loss), per row:

  labels = input_ids (DataCollatorForLanguageModeling; its pad->-100 step is a no-op here, see below)
  without instruction_template:
      for every idx where labels[idx] == response_ids[0]:
          if labels[idx : idx + len(response_ids)] == response_ids: start = idx        # the LAST match wins
      not found -> warn "Could not find response key ..." and labels[:] = -100
      else        labels[: start + len(response_ids)] = -100
  with instruction_template:
      response_idxs = [idx + len(response_ids) for every match of response_ids]       # ends of the markers
      none -> warn, labels[:] = -100
      human_idxs = [idx for every match of instruction_ids]                           # starts of the markers
      none -> warn, labels[:] = -100
      if both non-empty and human_idxs[0] > response_idxs[0]: human_idxs = [0] + human_idxs
      for k, (start, end) in enumerate(zip(human_idxs, response_idxs)):
          labels[start:end] = -100 if k != 0 else labels[:end] = -100
      if len(response_idxs) < len(human_idxs): labels[human_idxs[-1]:] = -100

Matching runs on the labels row, so it sees ids, never text: a marker string is encoded alone
(`tokenizer.encode(template, add_special_tokens=False)`, done by gen_data_fixtures.mjs), which is why a marker that
tokenizes differently in context is "not found" and TRL's documented workaround passes ids cut from an in-context
encoding. Rows are unpadded and no case's pad id occurs in its rows (the seeds set a dedicated pad token), so the
pad->-100 step of DataCollatorForLanguageModeling changes nothing and is not modelled.

Run: python3 tests/golden/gen_response_masking.py   (plain Python 3, no packages)
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
IGNORE = -100


def find_all(labels, ids):
    """Start indices where `ids` occurs in `labels` (TRL: np.where(labels == ids[0]) then a slice compare)."""
    return [i for i, v in enumerate(labels) if v == ids[0] and labels[i:i + len(ids)] == ids]


def mask(input_ids, response_ids, instruction_ids=None):
    labels = list(input_ids)
    warnings = []
    if instruction_ids is None:
        start = None
        for idx in find_all(labels, response_ids):
            start = idx
        if start is None:
            warnings.append("response")
            labels = [IGNORE] * len(labels)
        else:
            end = start + len(response_ids)
            labels[:end] = [IGNORE] * end
        return labels, warnings

    response_idxs = [idx + len(response_ids) for idx in find_all(labels, response_ids)]
    if not response_idxs:
        warnings.append("response")
        labels = [IGNORE] * len(labels)
    human_idxs = find_all(labels, instruction_ids)
    if not human_idxs:
        warnings.append("instruction")
        labels = [IGNORE] * len(labels)
    if human_idxs and response_idxs and human_idxs[0] > response_idxs[0]:
        human_idxs = [0] + human_idxs
    for k, (start, end) in enumerate(zip(human_idxs, response_idxs)):
        if k != 0:
            labels[start:end] = [IGNORE] * (end - start)
        else:
            labels[:end] = [IGNORE] * end
    if len(response_idxs) < len(human_idxs):
        cut = human_idxs[-1]
        labels[cut:] = [IGNORE] * (len(labels) - cut)
    return labels, warnings


def main():
    with open(os.path.join(HERE, "data", "response_marker_inputs.json"), encoding="utf-8") as f:
        cases = json.load(f)
    for case in cases:
        for row in case["rows"]:
            row["labels"], row["warnings"] = mask(row["input_ids"], case["response_ids"], case.get("instruction_ids"))
    with open(os.path.join(HERE, "data", "response_marker_expected.json"), "w", encoding="utf-8") as f:
        json.dump(cases, f, ensure_ascii=False, indent=1)
    for case in cases:
        print(case["name"], [sum(1 for v in r["labels"] if v != IGNORE) for r in case["rows"]], [r["warnings"] for r in case["rows"]])


if __name__ == "__main__":
    main()
