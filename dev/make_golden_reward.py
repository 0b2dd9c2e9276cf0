#!/usr/bin/env python3
"""Makes the golden reward-model folders the io tests load: tiny sequence-classification models built, saved and run by transformers.

What it is: a ``GPT2ForSequenceClassification`` whose pad token is its EOS (as TRL sets GPT-2's) and a
``Qwen2ForSequenceClassification`` with untied embeddings and a separate pad token, both ``num_labels=1``, with
seeded random weights, saved with ``save_pretrained`` into ``io/src/test/resources/golden/reward_<name>/``, and
``scores.json``: token-id sequences (some ending in pad tokens, one of pad tokens only) and the score transformers
computes for each, one sequence per forward pass, in float32, from the folder as saved.

What it is not: part of the build. The Java tests read the committed output; run this again only to regenerate it.

Run from the repository root, in a virtualenv outside the repository:
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install torch transformers safetensors
    /tmp/venv/bin/python dev/make_golden_reward.py
"""
import json
import os
import shutil

import torch
import transformers
from transformers import GPT2Config, GPT2ForSequenceClassification, Qwen2Config, Qwen2ForSequenceClassification

OUT = os.path.join("io", "src", "test", "resources", "golden")
VOCAB = 96


def randomize(model, seed):
    """normal(0, 0.2) everywhere (the head too, so scores differ visibly), 1 + normal(0, 0.1) for norm weights."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=g)
            norm = name.endswith("norm.weight") or ".ln_" in name or "ln_f." in name
            p.copy_(1 + 0.1 * noise if norm and name.endswith("weight") else 0.2 * noise)
    return model


def sequences(pad):
    g = torch.Generator().manual_seed(20241127)
    seqs = [torch.randint(1, VOCAB, (n,), generator=g).tolist() for n in (9, 14, 4)]
    seqs.append(seqs[0][:6] + [pad])          # ends in the pad token: scored at the token before
    seqs.append(seqs[1][:5] + [pad, pad])     # two
    seqs.append([pad, pad, pad])              # only pad tokens: scored at the first
    return seqs


def save(model, name):
    folder = os.path.join(OUT, name)
    shutil.rmtree(folder, ignore_errors=True)
    model.save_pretrained(folder)
    reloaded = type(model).from_pretrained(folder, dtype=torch.float32, attn_implementation="eager").eval()
    seqs = sequences(model.config.pad_token_id)
    with torch.no_grad():
        scores = [reloaded(torch.tensor([ids])).logits[0, 0].item() for ids in seqs]
    data = {"made_by": "dev/make_golden_reward.py", "torch": torch.__version__, "transformers": transformers.__version__,
            "sequences": seqs, "scores": scores}
    with open(os.path.join(folder, "scores.json"), "w") as f:
        f.write("{\n" + ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in data.items()) + "\n}\n")


def main():
    torch.manual_seed(0)
    gpt2 = GPT2Config(vocab_size=VOCAB, n_positions=32, n_embd=32, n_layer=2, n_head=4, bos_token_id=0, eos_token_id=0,
                      pad_token_id=0, num_labels=1)
    save(randomize(GPT2ForSequenceClassification(gpt2), 11), "reward_gpt2")

    qwen2 = Qwen2Config(vocab_size=VOCAB, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
                        num_key_value_heads=1, max_position_embeddings=128, rms_norm_eps=1e-6, tie_word_embeddings=False,
                        pad_token_id=3, eos_token_id=2, num_labels=1)
    save(randomize(Qwen2ForSequenceClassification(qwen2), 12), "reward_qwen2")


if __name__ == "__main__":
    main()
