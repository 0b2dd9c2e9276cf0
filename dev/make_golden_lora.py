#!/usr/bin/env python3
"""Makes the golden PEFT LoRA adapters the io tests load: adapters made, saved and run by PEFT itself.

What it is: for two of the golden base models (``io/src/test/resources/golden/llama`` and ``…/gpt2``, made by
dev/make_golden_models.py) a LoRA adapter built by ``peft.get_peft_model`` with random A and B
(``init_lora_weights=False``, so the adapter changes the outputs), saved with ``save_pretrained`` into
``io/src/test/resources/golden/lora_<name>/`` (adapter_config.json, adapter_model.safetensors), and
``logprobs.json``: the per-token log-probs of the golden sequences under the base model with the adapter, in
float32, as PeftModel computes them. The Llama adapter targets q_proj, v_proj and down_proj and trains
lm_head in full (modules_to_save, perturbed so it differs from the base); the GPT-2 adapter targets the Conv1D
layers c_attn and c_fc (fan_in_fan_out) with rsLoRA scaling.

What it is not: part of the build. Run from the repository root, in a virtualenv outside the repository:
    /tmp/venv/bin/pip install torch transformers safetensors peft
    /tmp/venv/bin/python dev/make_golden_lora.py
Made with torch 2.13.0+cpu, transformers 5.18.0, peft 0.21.0 (recorded in each logprobs.json).
"""
import json
import os
import shutil

import peft
import torch
import transformers
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM

GOLDEN = os.path.join("io", "src", "test", "resources", "golden")


def logprobs(model, sequences):
    out = []
    with torch.no_grad():
        for ids in sequences:
            lp = torch.log_softmax(model(torch.tensor([ids])).logits[0].float(), dim=-1)
            out.append([lp[t, ids[t + 1]].item() for t in range(len(ids) - 1)])
    return out


def make(base_name, config, seed, perturb=None):
    base = os.path.join(GOLDEN, base_name)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32, attn_implementation="eager")
    model = get_peft_model(model, config).eval()
    if perturb:
        with torch.no_grad():
            for name, p in model.named_parameters():
                if perturb in name and "modules_to_save" in name:
                    p.add_(0.05 * torch.randn(p.shape, generator=torch.Generator().manual_seed(seed)))
    folder = os.path.join(GOLDEN, "lora_" + base_name)
    shutil.rmtree(folder, ignore_errors=True)
    model.save_pretrained(folder)
    with open(os.path.join(base, "logprobs.json")) as f:
        sequences = json.load(f)["sequences"]
    data = {"made_by": "dev/make_golden_lora.py", "torch": torch.__version__, "transformers": transformers.__version__,
            "peft": peft.__version__, "base": base, "sequences": sequences, "logprobs": logprobs(model, sequences)}
    with open(os.path.join(folder, "logprobs.json"), "w") as f:
        f.write("{\n" + ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in data.items()) + "\n}\n")


def main():
    make("llama", LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=["q_proj", "v_proj", "down_proj"],
                             modules_to_save=["lm_head"], init_lora_weights=False, task_type="CAUSAL_LM"), 11,
         perturb="lm_head")
    make("gpt2", LoraConfig(r=2, lora_alpha=4, lora_dropout=0.0, target_modules=["c_attn", "c_fc"], fan_in_fan_out=True,
                            use_rslora=True, init_lora_weights=False, task_type="CAUSAL_LM"), 12)


if __name__ == "__main__":
    main()
