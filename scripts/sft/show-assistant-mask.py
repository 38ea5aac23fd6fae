#!/usr/bin/env python3
"""Shows which tokens of a training example TRL puts in the loss, for a recipe `clinval sft recipe --trainer trl` wrote.

Builds TRL's SFTTrainer from the recipe's configuration exactly as `trl sft --config trl.yaml` does (TRL's own
argument parser, dataset loading and tokenisation, with `assistant_only_loss`), without training, and prints as
JSON, for one example of the training split:

- `tokens`: each token with whether it is in the loss (its label is not -100);
- `inLoss` / `notInLoss`: the decoded text of the tokens in and out of the loss;
- `generationPrompt`: the example's prompt rendered for inference (with the generation prompt) by the base
  model's own chat template and by the template TRL trained with; they must be equal.

Run from the recipe folder (where `trl sft` runs), with the trainer's Python:

    python show-assistant-mask.py --config trl.yaml [--example 0]
"""

import argparse
import json
import sys
import tempfile


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="the recipe's trl.yaml")
    parser.add_argument("--example", type=int, default=0, help="index in the training split")
    arguments = parser.parse_args()

    from datasets import load_dataset
    from transformers import AutoTokenizer
    from trl import ModelConfig, ScriptArguments, SFTConfig, SFTTrainer, TrlParser, get_peft_config

    with tempfile.TemporaryDirectory() as scratch:
        trl_parser = TrlParser((ScriptArguments, SFTConfig, ModelConfig))
        script_args, training_args, model_args = trl_parser.parse_args_and_config(
            ["--config", arguments.config, "--output_dir", scratch, "--eval_strategy", "no", "--save_strategy", "no"]
        )
        dataset = load_dataset(script_args.dataset_name)
        train = dataset[script_args.dataset_train_split]
        trainer = SFTTrainer(
            model=model_args.model_name_or_path,
            args=training_args,
            train_dataset=train,
            peft_config=get_peft_config(model_args),
        )
        tokenizer = trainer.processing_class
        prepared = trainer.train_dataset[arguments.example]
        input_ids = prepared["input_ids"]
        if "labels" in prepared:
            in_loss = [label != -100 for label in prepared["labels"]]
        else:
            in_loss = [bool(bit) for bit in prepared["assistant_masks"]]

        messages = train[arguments.example]["messages"]
        prompt = [message for message in messages if message["role"] != "assistant"]
        model_tokenizer = AutoTokenizer.from_pretrained(model_args.model_name_or_path)
        render = {"add_generation_prompt": True, "tokenize": False}
        generation_prompt = {
            "model": model_tokenizer.apply_chat_template(prompt, **render),
            "training": tokenizer.apply_chat_template(prompt, chat_template=trainer.chat_template, **render),
        }

    def decode(keep):
        return tokenizer.decode([token for token, inside in zip(input_ids, in_loss) if inside == keep])

    json.dump(
        {
            "tokens": [[token, inside] for token, inside in zip(tokenizer.convert_ids_to_tokens(input_ids), in_loss)],
            "inLoss": decode(True),
            "notInLoss": decode(False),
            "generationPrompt": generation_prompt,
        },
        sys.stdout,
        ensure_ascii=False,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
