/** What a trainer's log has said so far about its progress. */
export interface TrainingProgress {
  step?: number;
  totalSteps?: number;
  loss?: number;
  learningRate?: number;
  evalLoss?: number;
  epoch?: number;
  /** Seconds left, as the trainer's progress bar estimates them. */
  secondsLeft?: number;
}

/** `'name': value` in the metrics dictionary; the value may be quoted (newer transformers print strings). */
function metric(name: string): RegExp {
  return new RegExp(`['"]${name}['"]:\\s*'?(-?[0-9.]+(?:[eE][-+]?[0-9]+)?|nan|inf)'?`);
}
const METRICS: Array<[keyof TrainingProgress, RegExp]> = [
  ["loss", metric("loss")],
  ["learningRate", metric("learning_rate")],
  ["evalLoss", metric("eval_loss")],
  ["epoch", metric("epoch")],
];
/**
 * tqdm's training bar as the Hugging Face Trainer prints it: ` 12%|█▏   | 12/100 [00:30<03:40,  2.50s/it]`,
 * with nothing before the percentage. Bars with a description (`Tokenizing train dataset:  50%|…`,
 * `Loading weights: …`) count something else.
 */
const PROGRESS_BAR = /^\s*\d+%\|[^|]*\| (\d+)\/(\d+) \[(?:[\d:]+)<([\d:]+|\?)/;
/** tqdm moves the cursor up (ESC [A) after a bar nested under another: the evaluation loop's, during training. */
const NESTED_BAR = "\u001b[A";

/**
 * Reads one line of a Hugging Face Trainer log (LLaMA-Factory, axolotl, TRL and Unsloth all log through
 * it): the metrics dictionary it prints every `logging_steps`, and tqdm's step counter with its estimate.
 * Returns the progress with what the line adds, or the same object when it adds nothing.
 */
export function readTrainingLine(progress: TrainingProgress, line: string): TrainingProgress {
  let next = progress;
  for (const [key, pattern] of METRICS) {
    const match = pattern.exec(line);
    if (match) next = { ...next, [key]: Number(match[1]) };
  }
  const bar = line.includes(NESTED_BAR) ? null : PROGRESS_BAR.exec(line);
  if (bar) {
    const secondsLeft = bar[3] === "?" ? undefined : clockSeconds(bar[3]);
    next = { ...next, step: Number(bar[1]), totalSteps: Number(bar[2]), secondsLeft };
  }
  return next;
}

/** `03:40` → 220, `1:02:03` → 3723. */
function clockSeconds(clock: string): number {
  return clock.split(":").reduce((total, part) => total * 60 + Number(part), 0);
}
