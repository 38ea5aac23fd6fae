"""LoRA SFT with Unsloth, configured by the YAML file clinval wrote (sections: model, lora, training)."""

import argparse
import json

import yaml
from unsloth import FastLanguageModel  # import unsloth before transformers and trl, as it patches them
from datasets import load_dataset
from transformers import EarlyStoppingCallback
from trl import SFTConfig, SFTTrainer

parser = argparse.ArgumentParser()
parser.add_argument("--config", required=True)
parser.add_argument("--data", required=True, help="folder with train.jsonl and validation.jsonl")
parser.add_argument("--early-stopping-patience", type=int, default=0)
arguments = parser.parse_args()
with open(arguments.config) as handle:
    config = yaml.safe_load(handle)

model, tokenizer = FastLanguageModel.from_pretrained(**config["model"])
model = FastLanguageModel.get_peft_model(model, **config["lora"])
data = load_dataset(
    "json",
    data_files={"train": f"{arguments.data}/train.jsonl", "validation": f"{arguments.data}/validation.jsonl"},
)
callbacks = []
if arguments.early_stopping_patience > 0:
    callbacks.append(EarlyStoppingCallback(early_stopping_patience=arguments.early_stopping_patience))
trainer = SFTTrainer(
    model=model,
    processing_class=tokenizer,
    train_dataset=data["train"],
    eval_dataset=data["validation"],
    args=SFTConfig(**config["training"]),
    callbacks=callbacks,
)
trainer.train()
trainer.save_model(config["training"]["output_dir"])
print(json.dumps({"saved": config["training"]["output_dir"]}))
