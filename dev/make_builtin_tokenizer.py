"""Trains the built-in base model's tokenizer: a byte-level BPE on the task world's text.

The built-in model (builtin/base/, see its README.md) reads the synthetic tasks of
`align4j data synth`. Its tokenizer is a byte-level BPE (GPT-2's byte alphabet, so any text
encodes) with digits split one per token, so that numbers are spelled the same way in every
context, and the ChatML-style chat template that SFT teaches. Trained once with Hugging Face's
`tokenizers` library in a virtualenv outside the repository; align4j loads the result through
DJL like any Hub tokenizer. Python is not needed to build or test align4j.

Usage:
    ./align4j data synth --task all --n 20000 --seed 1 --output /tmp/world
    python dev/make_builtin_tokenizer.py /tmp/world builtin/base
"""
import glob
import json
import os
import sys

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

VOCAB_SIZE = 1024
SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def texts(world):
    """Every text of the world's training files: pretraining text and the chat turns, each after its role."""
    for path in sorted(glob.glob(os.path.join(world, "*", "*.jsonl"))):
        if os.path.basename(path).startswith("eval"):
            continue  # held-out sets stay out of everything trained, the tokenizer too
        with open(path) as f:
            for line in f:
                row = json.loads(line)
                for key in ("text", "prompt", "chosen", "rejected", "completion", "messages"):
                    value = row.get(key)
                    if isinstance(value, str):
                        yield value
                    elif isinstance(value, list):
                        for message in value:  # as the chat template lays a turn out, so "assistant\n<think>" merges
                            yield message["role"] + "\n" + message["content"]


def main(world, out):
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)]
    )
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=SPECIAL,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts(world), trainer=trainer)
    os.makedirs(out, exist_ok=True)
    tokenizer.save(os.path.join(out, "tokenizer.json"))
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": None,
        "eos_token": "<|im_end|>",
        "pad_token": "<|endoftext|>",
        "unk_token": None,
        "add_bos_token": False,
        "add_eos_token": False,
        "model_max_length": 512,
        "chat_template": CHAT_TEMPLATE,
        "added_tokens_decoder": {
            str(tokenizer.token_to_id(t)): {"content": t, "special": True, "lstrip": False, "rstrip": False,
                                            "normalized": False, "single_word": False}
            for t in SPECIAL
        },
    }
    with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    print(f"{out}: vocabulary of {tokenizer.get_vocab_size()} tokens")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
