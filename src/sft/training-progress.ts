import { formatDuration } from "../cli/progress.ts";
import type { TrainingProgress } from "./training-log.ts";

/** `step 12/100 (12%) · loss 1.2345 · lr 4.50e-05 · eval loss 1.1000 · epoch 0.36 · ETA 3m 40s` */
export function formatTrainingProgress(progress: TrainingProgress): string {
  const parts: string[] = [];
  if (progress.step !== undefined && progress.totalSteps !== undefined) {
    const percent = progress.totalSteps === 0 ? 0 : Math.floor((progress.step / progress.totalSteps) * 100);
    parts.push(`step ${progress.step}/${progress.totalSteps} (${percent}%)`);
  }
  if (progress.loss !== undefined) parts.push(`loss ${progress.loss.toFixed(4)}`);
  if (progress.learningRate !== undefined) parts.push(`lr ${progress.learningRate.toExponential(2)}`);
  if (progress.evalLoss !== undefined) parts.push(`eval loss ${progress.evalLoss.toFixed(4)}`);
  if (progress.epoch !== undefined) parts.push(`epoch ${progress.epoch}`);
  parts.push(`ETA ${progress.secondsLeft === undefined ? "?" : formatDuration(progress.secondsLeft)}`);
  return parts.join(" · ");
}
