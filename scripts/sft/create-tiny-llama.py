#!/usr/bin/env python3
"""Writes a tiny, randomly initialised Llama-architecture model in Hugging Face format, offline.

For the real CPU training test (test/sft-training.e2e.test.ts): TRL trains a LoRA adapter on it in seconds and
llama.cpp's conversion scripts turn it and the adapter into GGUF. Its answers are noise.

- Tokenizer: a SentencePiece BPE model trained on the given text files, with byte fallback (any text
  tokenises) and the Llama 3 Instruct chat template as TRL ships it for recognising that template
  (trl/chat_templates/llama3.jinja), so TRL swaps in its training template with `{% generation %}` markers
  for assistant-only loss and node-llama-cpp picks its Llama 3 chat wrapper. The template's special tokens are
  SentencePiece control pieces.
- With `--deepseek-r1-template FILE` instead: that DeepSeek-R1-distill chat template (src/sft/templates/
  deepseek-r1-distill.jinja) with the distills' special tokens as control pieces and `<think>` / `</think>` as
  pieces of their own, as in the distills' vocabularies; TRL does not recognise that template.
- Model: LlamaConfig with 2 layers, hidden size 64, 4 heads (2 key/value heads), feed-forward 128,
  weights drawn by transformers' own initialisation under the given seed, saved as safetensors.

Needs torch, transformers (5.x), sentencepiece, protobuf and trl: the venv of scripts/ci/install-sft-trainer.sh.

    python create-tiny-llama.py --out DIR --seed 1 [--deepseek-r1-template FILE] corpus.json [more text files]

A JSON file contributes every string value in it; any other file its text.
"""

import argparse
import json
import shutil
import tempfile
from importlib import resources
from pathlib import Path

# The special tokens of each chat template: beginning of text, end of turn, padding, the template's other
# control tokens, and text pieces of their own.
LLAMA3 = {
    "bos": "<|begin_of_text|>",
    "eos": "<|eot_id|>",
    "pad": "<|end_of_text|>",
    "control": ["<|start_header_id|>", "<|end_header_id|>"],
    "pieces": [],
}
DEEPSEEK_R1 = {
    "bos": "<｜begin▁of▁sentence｜>",
    "eos": "<｜end▁of▁sentence｜>",
    "pad": "<｜▁pad▁｜>",
    "control": ["<｜User｜>", "<｜Assistant｜>"],
    "pieces": ["<think>", "</think>"],
}


def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def corpus_lines(paths):
    for path in paths:
        text = Path(path).read_text(encoding="utf-8")
        if path.endswith(".json"):
            for line in strings(json.loads(text)):
                yield line
        else:
            yield from text.splitlines()


def train_tokenizer(paths, folder, vocab_size, tokens):
    import sentencepiece

    corpus = folder / "corpus.txt"
    corpus.write_text("\n".join(line for line in corpus_lines(paths) if line.strip()), encoding="utf-8")
    sentencepiece.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix=str(folder / "tokenizer"),
        model_type="bpe",
        vocab_size=vocab_size,
        hard_vocab_limit=False,
        byte_fallback=True,
        character_coverage=1.0,
        split_digits=True,
        num_threads=1,
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=3,
        unk_piece="<unk>",
        bos_piece=tokens["bos"],
        eos_piece=tokens["eos"],
        pad_piece=tokens["pad"],
        control_symbols=tokens["control"],
        user_defined_symbols=tokens["pieces"],
        minloglevel=2,
    )
    return folder / "tokenizer.model"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="folder for the model (created)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--vocab-size", type=int, default=1000)
    parser.add_argument("--deepseek-r1-template", help="a DeepSeek-R1-distill chat template instead of Llama 3's")
    parser.add_argument("corpus", nargs="+", help="text the tokenizer is trained on")
    arguments = parser.parse_args()

    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, LlamaTokenizer

    out = Path(arguments.out)
    out.mkdir(parents=True, exist_ok=True)
    if arguments.deepseek_r1_template:
        tokens = DEEPSEEK_R1
        chat_template = Path(arguments.deepseek_r1_template).read_text(encoding="utf-8")
    else:
        tokens = LLAMA3
        chat_template = (resources.files("trl") / "chat_templates" / "llama3.jinja").read_text(encoding="utf-8")

    with tempfile.TemporaryDirectory() as scratch:
        model_file = train_tokenizer(arguments.corpus, Path(scratch), arguments.vocab_size, tokens)
        # transformers converts the SentencePiece model into its tokenizers form (tokenizer.json).
        tokenizer = LlamaTokenizer.from_pretrained(
            str(model_file.parent),
            bos_token=tokens["bos"],
            eos_token=tokens["eos"],
            pad_token=tokens["pad"],
            unk_token="<unk>",
            add_bos_token=False,
            add_eos_token=False,
            legacy=False,
        )
        tokenizer.chat_template = chat_template
        tokenizer.save_pretrained(out)
        # llama.cpp's converter reads the SentencePiece model itself.
        shutil.copyfile(model_file, out / "tokenizer.model")

    torch.manual_seed(arguments.seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    model = LlamaForCausalLM(config)
    model.save_pretrained(out)
    print(json.dumps({"out": str(out), "vocabulary": len(tokenizer), "parameters": model.num_parameters()}))


if __name__ == "__main__":
    main()
