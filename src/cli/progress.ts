import { MultiBar, type SingleBar } from "cli-progress";
import type { RunObserver } from "../runner/run-study.ts";

/** The part of a terminal stream the progress display uses. */
export type ProgressStream = Pick<NodeJS.WriteStream, "write"> & { isTTY?: boolean; columns?: number };

export interface ProgressOptions {
  /** Plain output: how often a line is written. Default 5 s. */
  intervalMs?: number;
  /** Clock in milliseconds, for tests. */
  now?: () => number;
}

interface ModelProgress {
  id: string;
  total: number;
  /** Jobs finished before this process (resume). */
  finished: number;
  done: number;
  errors: number;
  startedAt: number | undefined;
  lastAt: number | undefined;
  reported: boolean;
  bar?: SingleBar;
}

/**
 * Shows a run's progress: on a terminal a live bar per model (done/total, rate, time left, errors);
 * otherwise a plain line every few seconds for the model at work and one line per model as it ends.
 */
export function createProgressObserver(stream: ProgressStream, options: ProgressOptions = {}): RunObserver {
  const now = options.now ?? (() => performance.now());
  const intervalMs = options.intervalMs ?? 5_000;
  const live = stream.isTTY === true;
  const models = new Map<string, ModelProgress>();
  let current: ModelProgress | undefined;
  let lastEventAt = 0;
  let lastFinishedAt = 0;
  let multiBar: MultiBar | undefined;
  let timer: NodeJS.Timeout | undefined;
  let lastLine = "";

  const payload = (model: ModelProgress) => ({
    model: model.id.padEnd(Math.max(...[...models.keys()].map((id) => id.length))),
    rate: formatRate(rate(model, now())),
    remaining: formatEta(model, now()),
    errors: model.errors,
  });

  const writePeriodicLine = () => {
    if (!current || current.reported) return;
    const line = describe(current, now());
    if (line === lastLine) return;
    lastLine = line;
    stream.write(`${line}\n`);
  };

  const finishModel = (model: ModelProgress, stopped: boolean) => {
    if (model.reported) return;
    model.reported = true;
    lastFinishedAt = now();
    if (!live) stream.write(`${summarize(model, now(), stopped)}\n`);
  };

  return {
    onRunStart({ models: started }) {
      lastEventAt = now();
      lastFinishedAt = lastEventAt;
      for (const { id, total, finished } of started) {
        models.set(id, {
          id,
          total,
          finished,
          done: 0,
          errors: 0,
          startedAt: undefined,
          lastAt: undefined,
          reported: false,
        });
      }
      if (live) {
        multiBar = new MultiBar({
          stream: stream as NodeJS.WritableStream,
          format: "{model} [{bar}] {value}/{total} | {rate} | ETA {remaining} | errors {errors}",
          barsize: 30,
          hideCursor: true,
          autopadding: true,
        });
        for (const model of models.values()) {
          model.bar = multiBar.create(model.total, model.finished, payload(model));
        }
      } else {
        timer = setInterval(writePeriodicLine, intervalMs);
        timer.unref();
      }
    },

    onJobEnd({ result }) {
      const model = models.get(result.modelId);
      if (!model) return;
      const at = now();
      current = model;
      // A model starts when the run does, or (sharing a server) when the model before it finished.
      model.startedAt ??= lastFinishedAt;
      lastEventAt = at;
      model.lastAt = at;
      if (result.completion) model.done++;
      else model.errors++;
      model.bar?.update(model.finished + model.done + model.errors, payload(model));
      if (processed(model) + model.finished >= model.total) finishModel(model, false);
    },

    onRunEnd({ summary }) {
      if (timer) clearInterval(timer);
      for (const model of models.values()) {
        if (model.bar) model.bar.update(model.finished + model.done + model.errors, payload(model));
      }
      multiBar?.stop();
      for (const model of models.values()) finishModel(model, summary.cancelled);
    },
  };
}

function processed(model: ModelProgress): number {
  return model.done + model.errors;
}

/** Jobs per second in this process, or undefined before there is anything to measure. */
function rate(model: ModelProgress, now: number): number | undefined {
  if (model.startedAt === undefined || processed(model) === 0) return undefined;
  const end = processed(model) + model.finished >= model.total ? (model.lastAt ?? now) : now;
  const seconds = (end - model.startedAt) / 1000;
  return seconds > 0 ? processed(model) / seconds : undefined;
}

function formatRate(perSecond: number | undefined): string {
  if (perSecond === undefined) return "–/s";
  return perSecond >= 10 ? `${Math.round(perSecond)}/s` : `${perSecond.toFixed(1)}/s`;
}

function formatEta(model: ModelProgress, now: number): string {
  const left = model.total - model.finished - processed(model);
  if (left <= 0) return "0s";
  const perSecond = rate(model, now);
  return perSecond === undefined ? "?" : formatDuration(left / perSecond);
}

/** `42s`, `3m 05s`, `2h 07m`. */
export function formatDuration(seconds: number): string {
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole}s`;
  if (whole < 3600) return `${Math.floor(whole / 60)}m ${String(whole % 60).padStart(2, "0")}s`;
  return `${Math.floor(whole / 3600)}h ${String(Math.floor((whole % 3600) / 60)).padStart(2, "0")}m`;
}

function counted(model: ModelProgress): string {
  const errors = model.errors === 1 ? "1 error" : `${model.errors} errors`;
  return `${model.finished + model.done}/${model.total} done, ${errors}`;
}

function describe(model: ModelProgress, now: number): string {
  return `${model.id}: ${counted(model)}, ${formatRate(rate(model, now))}, ETA ${formatEta(model, now)}`;
}

function summarize(model: ModelProgress, now: number, stopped: boolean): string {
  const left = model.total - model.finished - processed(model);
  const elapsed =
    model.startedAt === undefined
      ? ""
      : `, ${formatDuration(((model.lastAt ?? now) - model.startedAt) / 1000)}`;
  const state = left > 0 ? (stopped ? ` (stopped, ${left} not run)` : ` (${left} not run)`) : "";
  return `${model.id}: ${counted(model)}${elapsed}${state}`;
}
