#!/usr/bin/env python3
"""Checks that a reward model align4j saved loads in transformers (or PEFT) and scores as align4j scores it.

What it is: a manual cross-check, run once per change to the reward model's saving. Give it an output folder of
``align4j reward`` (a sequence-classification folder, or a PEFT adapter of task SEQ_CLS) and the output of
``align4j score --reward-model FOLDER --input rows.jsonl --output scored.jsonl`` over prompt/completion rows. Each row
is tokenized as align4j tokenizes it (``tokenizer(prompt + completion + eos_token)``), scored by transformers one row
per forward pass, and compared; it prints the largest absolute difference (float32 summation order: ~1e-6).
An adapter's base config records no pad token (TRL sets it in memory only), so it is set as TRL sets it: the
tokenizer's pad token, else its EOS.

What it is not: part of the build or the tests (Python is never needed there).

Run in a virtualenv outside the repository:
    /tmp/venv/bin/pip install torch transformers peft
    /tmp/venv/bin/python dev/check_reward_model.py OUT_FOLDER scored.jsonl
"""
import json
import os
import sys

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer


def main(folder, scored):
    if os.path.isfile(os.path.join(folder, "adapter_config.json")):
        from peft import AutoPeftModelForSequenceClassification
        model = AutoPeftModelForSequenceClassification.from_pretrained(folder, num_labels=1, dtype=torch.float32)
    else:
        model = AutoModelForSequenceClassification.from_pretrained(folder, dtype=torch.float32)
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    if model.config.pad_token_id is None:
        model.config.pad_token_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    worst, n = 0.0, 0
    for line in open(scored):
        row = json.loads(line)
        ids = tokenizer(row["prompt"] + row["completion"] + tokenizer.eos_token).input_ids
        with torch.no_grad():
            score = model(input_ids=torch.tensor([ids])).logits[0, 0].item()
        worst = max(worst, abs(score - row["score"]))
        n += 1
    print(f"{type(model).__name__}: {n} rows, largest |transformers - align4j| = {worst:.3g}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
