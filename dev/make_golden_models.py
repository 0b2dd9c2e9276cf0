#!/usr/bin/env python3
"""Makes the golden model folders the io tests load: tiny random models built, saved and run by transformers.

What it is: for each architecture align4j loads (gpt2, llama, qwen2, qwen3, mistral) a tiny model made by
transformers itself, with seeded random weights, saved with ``save_pretrained`` into
``io/src/test/resources/golden/<name>/`` (config.json, model.safetensors or shards + index), and
``logprobs.json``: a few token-id sequences and, for each, the per-token log-probs
``log_softmax(logits)[t, ids[t + 1]]`` that transformers computes in float32 from the folder as saved
(reloaded with ``from_pretrained(dtype=torch.float32)``, eager attention). Variants: llama saved as
bfloat16 (its log-probs come from the bfloat16 weights widened to float32, so the Java test keeps the
float32 tolerance), the same llama sharded (``max_shard_size="40KB"``), and a GPT-2 saved as the Hub's
``openai-community/gpt2`` is laid out: ``GPT2Model`` names without the ``transformer.`` prefix plus the
causal-mask buffers ``h.N.attn.bias`` / ``h.N.attn.masked_bias`` that older transformers saved.

What it is not: part of the build. The Java tests read the committed output; run this again only to
regenerate it (the numbers depend on torch's RNG, so a new run changes the files).

Run from the repository root, in a virtualenv outside the repository:
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install torch transformers safetensors
    /tmp/venv/bin/python dev/make_golden_models.py
Made with torch 2.13.0+cpu, transformers 5.18.0, safetensors 0.8.0 (recorded in each logprobs.json).
"""
import json
import os
import shutil

import safetensors
import safetensors.torch
import torch
import transformers
from transformers import (GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM, MistralConfig,
                          MistralForCausalLM, Qwen2Config, Qwen2ForCausalLM, Qwen3Config, Qwen3ForCausalLM)

OUT = os.path.join("io", "src", "test", "resources", "golden")
VOCAB = 96
# Token ids, drawn once with a fixed seed; every sequence fits the smallest context (GPT-2's 32 positions)
# and Mistral's sliding window (24).
_g = torch.Generator().manual_seed(20240607)
SEQUENCES = [torch.randint(0, VOCAB, (n,), generator=_g).tolist() for n in (11, 16, 5)]


def is_norm(name):
    return name.endswith("norm.weight") or ".ln_" in name or name.startswith("ln_") or "ln_f." in name


def randomize(model, seed):
    """Weights with visible structure (transformers' 0.02 init gives near-uniform log-probs): normal(0, 0.2)
    everywhere, biases included, and 1 + normal(0, 0.1) for norm weights."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=g)
            p.copy_(1 + 0.1 * noise if is_norm(name) and name.endswith("weight") else 0.2 * noise)
    return model


def logprobs(cls, folder):
    """Per-token log-probs of SEQUENCES from the saved folder, reloaded in float32."""
    model = cls.from_pretrained(folder, dtype=torch.float32, attn_implementation="eager").eval()
    out = []
    with torch.no_grad():
        for ids in SEQUENCES:
            lp = torch.log_softmax(model(torch.tensor([ids])).logits[0].float(), dim=-1)
            out.append([lp[t, ids[t + 1]].item() for t in range(len(ids) - 1)])
    return out


def write_logprobs(folder, cls):
    data = {"made_by": "dev/make_golden_models.py", "torch": torch.__version__,
            "transformers": transformers.__version__, "safetensors": safetensors.__version__,
            "sequences": SEQUENCES, "logprobs": logprobs(cls, folder)}
    with open(os.path.join(folder, "logprobs.json"), "w") as f:  # one line per key, lists kept compact
        f.write("{\n" + ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in data.items()) + "\n}\n")


def fresh(name):
    folder = os.path.join(OUT, name)
    shutil.rmtree(folder, ignore_errors=True)
    return folder


def save(model, name, **kwargs):
    folder = fresh(name)
    model.save_pretrained(folder, **kwargs)
    write_logprobs(folder, type(model))


def save_gpt2_as_the_hub_does(model, name):
    """GPT2Model's names (no ``transformer.`` prefix) plus the causal-mask buffers older transformers
    saved, as in openai-community/gpt2's model.safetensors; transformers loads it into GPT2LMHeadModel."""
    folder = fresh(name)
    model.transformer.save_pretrained(folder)
    file = os.path.join(folder, "model.safetensors")
    tensors = safetensors.torch.load_file(file)
    n = model.config.n_positions
    for i in range(model.config.n_layer):
        tensors[f"h.{i}.attn.bias"] = torch.tril(torch.ones(n, n)).view(1, 1, n, n)
        tensors[f"h.{i}.attn.masked_bias"] = torch.tensor(-1e4)
    safetensors.torch.save_file(tensors, file, metadata={"format": "pt"})
    write_logprobs(folder, GPT2LMHeadModel)


def main():
    torch.manual_seed(0)
    gpt2 = GPT2Config(vocab_size=VOCAB, n_positions=32, n_embd=32, n_layer=2, n_head=4, bos_token_id=0,
                      eos_token_id=0)
    save(randomize(GPT2LMHeadModel(gpt2), 1), "gpt2")

    gpt2_hub = GPT2Config(vocab_size=VOCAB, n_positions=32, n_embd=32, n_layer=2, n_head=2, n_inner=64,
                          activation_function="gelu_pytorch_tanh", layer_norm_epsilon=1e-6, bos_token_id=0,
                          eos_token_id=0)
    save_gpt2_as_the_hub_does(randomize(GPT2LMHeadModel(gpt2_hub), 2), "gpt2_noprefix")

    llama = LlamaConfig(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
                        rms_norm_eps=1e-5, attention_bias=True, mlp_bias=True, tie_word_embeddings=False,
                        rope_parameters={"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0,
                                         "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                         "original_max_position_embeddings": 256},
                        bos_token_id=1, eos_token_id=2)
    llama_model = randomize(LlamaForCausalLM(llama), 3)
    save(llama_model, "llama")
    save(llama_model, "llama_sharded", max_shard_size="40KB")
    save(llama_model.to(torch.bfloat16), "llama_bf16")

    qwen2 = Qwen2Config(vocab_size=VOCAB, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                        num_attention_heads=4, num_key_value_heads=1, max_position_embeddings=128,
                        rms_norm_eps=1e-6, tie_word_embeddings=False,
                        rope_parameters={"rope_type": "linear", "rope_theta": 1000000.0, "factor": 2.0})
    save(randomize(Qwen2ForCausalLM(qwen2), 4), "qwen2")

    qwen3 = Qwen3Config(vocab_size=VOCAB, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                        num_attention_heads=4, num_key_value_heads=2, head_dim=16, max_position_embeddings=128,
                        rms_norm_eps=1e-6, tie_word_embeddings=True,
                        rope_parameters={"rope_type": "default", "rope_theta": 1000000.0})
    save(randomize(Qwen3ForCausalLM(qwen3), 5), "qwen3")

    mistral = MistralConfig(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                            num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                            rms_norm_eps=1e-5, sliding_window=24, tie_word_embeddings=False,
                            rope_parameters={"rope_type": "default", "rope_theta": 1000000.0})
    save(randomize(MistralForCausalLM(mistral), 6), "mistral")


if __name__ == "__main__":
    main()
