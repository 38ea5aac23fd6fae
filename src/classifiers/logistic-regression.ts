import { SeededRandom } from "../stats/index.ts";
import type { SparseVector } from "./sparse-vector.ts";
import { shuffle } from "./validation-split.ts";

/** How the head is trained; recorded in the model file. */
export interface OptimiserConfig {
  /** Adam step size. */
  learningRate: number;
  batchSize: number;
  /**
   * L2 regularisation strength λ, applied as decoupled weight decay: every step multiplies each weight
   * by (1 − learningRate · λ). Biases are not penalised.
   */
  l2: number;
  maxEpochs: number;
  /** Stop after this many epochs without a better validation result. */
  patience: number;
  /** Share of each class held out (seeded, stratified) for early stopping. */
  validationFraction: number;
}

export const DEFAULT_OPTIMISER: OptimiserConfig = {
  learningRate: 0.03,
  batchSize: 32,
  l2: 0.01,
  maxEpochs: 60,
  patience: 6,
  validationFraction: 0.15,
};

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-8;
/** Validation loss (mean nats per case) must fall by this much to count as progress for `patience`. */
const MIN_LOSS_PROGRESS = 0.005;

/** A multinomial logistic regression: one weight row and one bias per class. */
export interface LogisticHead {
  /** weights[class][feature]. */
  weights: Float64Array[];
  bias: Float64Array;
}

export interface LabelledRows {
  rows: readonly SparseVector[];
  /** Class index of each row. */
  labels: readonly number[];
}

export interface EpochReport {
  epoch: number;
  maxEpochs: number;
  /** Mean cross-entropy of the epoch's mini-batches, as they were seen. */
  loss: number;
  /** Null when there is no validation slice. */
  validationAccuracy: number | null;
  validationLoss: number | null;
  /** This epoch is the best so far (its weights are kept). */
  best: boolean;
}

export interface TrainedHead {
  head: LogisticHead;
  /** Epochs run (early stopping may end before `maxEpochs`). */
  epochs: number;
  /** The epoch whose weights were kept. */
  bestEpoch: number;
  validationAccuracy: number | null;
  validationLoss: number | null;
}

export interface TrainHeadOptions {
  classCount: number;
  dimensions: number;
  config: OptimiserConfig;
  seed: number;
  onEpoch?: (report: EpochReport) => void;
}

/**
 * Trains a softmax regression head with seeded mini-batch Adam. Sparse rows update only the weights of
 * the features they contain (lazy Adam); the weight decay of the steps a feature missed is applied when
 * it is next used, so every weight decays exactly as if it had been updated at every step. After each
 * epoch the validation slice is scored; the epoch with the best validation accuracy (ties: lower
 * validation loss) is kept, and training stops after `patience` epochs without improvement. Without a
 * validation slice, all `maxEpochs` run and the last weights are kept.
 * Deterministic: the same rows, labels, config and seed give bit-identical weights.
 */
export function trainLogisticRegression(
  training: LabelledRows,
  validation: LabelledRows | undefined,
  options: TrainHeadOptions,
): TrainedHead {
  const { config } = options;
  const state = new AdamState(options.dimensions, options.classCount, config);
  const random = new SeededRandom(options.seed);
  const order = training.rows.map((_, index) => index);
  let best:
    | { epoch: number; accuracy: number; loss: number; weights: Float64Array; bias: Float64Array }
    | undefined;
  let lastProgress = 0;
  let lossAtProgress = Infinity;
  let epochsRun = 0;
  for (let epoch = 1; epoch <= config.maxEpochs; epoch++) {
    epochsRun = epoch;
    shuffle(order, random);
    let epochLoss = 0;
    for (let start = 0; start < order.length; start += config.batchSize) {
      epochLoss += state.step(training, order, start, Math.min(order.length, start + config.batchSize));
    }
    state.catchUpAll();
    const scored = validation && validation.rows.length > 0 ? state.score(validation) : null;
    let improved = false;
    if (scored !== null) {
      improved =
        best === undefined ||
        scored.accuracy > best.accuracy ||
        (scored.accuracy === best.accuracy && scored.loss < best.loss);
      if (improved) {
        // Progress for patience: better accuracy, or a validation loss lower by at least MIN_LOSS_PROGRESS.
        if (
          best === undefined ||
          scored.accuracy > best.accuracy ||
          scored.loss < lossAtProgress - MIN_LOSS_PROGRESS
        ) {
          lossAtProgress = scored.loss;
          lastProgress = epoch;
        }
        best = { epoch, ...scored, weights: state.weights.slice(), bias: state.bias.slice() };
      }
    }
    options.onEpoch?.({
      epoch,
      maxEpochs: config.maxEpochs,
      loss: epochLoss / order.length,
      validationAccuracy: scored?.accuracy ?? null,
      validationLoss: scored?.loss ?? null,
      best: scored === null || improved,
    });
    if (best !== undefined && epoch - lastProgress >= config.patience) break;
  }
  const kept = best ?? {
    epoch: epochsRun,
    accuracy: null,
    loss: null,
    weights: state.weights,
    bias: state.bias,
  };
  return {
    head: toClassMajor(kept.weights, kept.bias, options.classCount, options.dimensions),
    epochs: epochsRun,
    bestEpoch: kept.epoch,
    validationAccuracy: kept.accuracy,
    validationLoss: kept.loss,
  };
}

/** Weights (feature-major: weights[feature · classes + class]), Adam moments and the lazy decay bookkeeping. */
class AdamState {
  readonly weights: Float64Array;
  readonly bias: Float64Array;
  private readonly moment: Float64Array;
  private readonly variance: Float64Array;
  private readonly gradient: Float64Array;
  private readonly biasMoment: Float64Array;
  private readonly biasVariance: Float64Array;
  private readonly biasGradient: Float64Array;
  /** The step whose decay each feature's weights have received. */
  private readonly decayedThrough: Int32Array;
  /** The step in which each feature was last seen in a batch. */
  private readonly seenIn: Int32Array;
  private readonly touched: Int32Array;
  private readonly probabilities: Float64Array;
  private readonly decay: number;
  private steps = 0;

  constructor(
    private readonly dimensions: number,
    private readonly classes: number,
    private readonly config: OptimiserConfig,
  ) {
    const size = dimensions * classes;
    this.weights = new Float64Array(size);
    this.moment = new Float64Array(size);
    this.variance = new Float64Array(size);
    this.gradient = new Float64Array(size);
    this.bias = new Float64Array(classes);
    this.biasMoment = new Float64Array(classes);
    this.biasVariance = new Float64Array(classes);
    this.biasGradient = new Float64Array(classes);
    this.decayedThrough = new Int32Array(dimensions);
    this.seenIn = new Int32Array(dimensions);
    this.touched = new Int32Array(dimensions);
    this.probabilities = new Float64Array(classes);
    this.decay = 1 - config.learningRate * config.l2;
  }

  /** One Adam step on the rows order[from … to); returns the batch's summed cross-entropy. */
  step(data: LabelledRows, order: readonly number[], from: number, to: number): number {
    const {
      classes,
      weights,
      gradient,
      biasGradient,
      probabilities,
      seenIn,
      touched,
      decayedThrough,
      decay,
    } = this;
    const step = ++this.steps;
    let touchedCount = 0;
    for (let position = from; position < to; position++) {
      const indices = data.rows[order[position]].indices;
      for (let i = 0; i < indices.length; i++) {
        const feature = indices[i];
        if (seenIn[feature] === step) continue;
        seenIn[feature] = step;
        touched[touchedCount++] = feature;
        const missed = step - 1 - decayedThrough[feature];
        if (missed > 0 && decay !== 1) {
          const factor = decay ** missed;
          const base = feature * classes;
          for (let k = 0; k < classes; k++) weights[base + k] *= factor;
        }
        decayedThrough[feature] = step - 1;
      }
    }
    const scale = 1 / (to - from);
    let loss = 0;
    for (let position = from; position < to; position++) {
      const index = order[position];
      const row = data.rows[index];
      const label = data.labels[index];
      softmaxInto(probabilities, row, weights, this.bias, classes);
      loss -= Math.log(Math.max(probabilities[label], 1e-300));
      probabilities[label] -= 1;
      for (let k = 0; k < classes; k++) {
        probabilities[k] *= scale;
        biasGradient[k] += probabilities[k];
      }
      const { indices, values } = row;
      for (let i = 0; i < indices.length; i++) {
        const base = indices[i] * classes;
        const value = values[i];
        for (let k = 0; k < classes; k++) gradient[base + k] += probabilities[k] * value;
      }
    }
    const { moment, variance } = this;
    const correction2 = 1 - BETA2 ** step;
    const stepSize = this.config.learningRate / (1 - BETA1 ** step);
    for (let t = 0; t < touchedCount; t++) {
      const feature = touched[t];
      const base = feature * classes;
      for (let position = base; position < base + classes; position++) {
        const g = gradient[position];
        gradient[position] = 0;
        const m = BETA1 * moment[position] + (1 - BETA1) * g;
        const v = BETA2 * variance[position] + (1 - BETA2) * g * g;
        moment[position] = m;
        variance[position] = v;
        weights[position] =
          weights[position] * decay - (stepSize * m) / (Math.sqrt(v / correction2) + EPSILON);
      }
      decayedThrough[feature] = step;
    }
    const { bias, biasMoment, biasVariance } = this;
    for (let k = 0; k < classes; k++) {
      const g = biasGradient[k];
      biasGradient[k] = 0;
      biasMoment[k] = BETA1 * biasMoment[k] + (1 - BETA1) * g;
      biasVariance[k] = BETA2 * biasVariance[k] + (1 - BETA2) * g * g;
      bias[k] -= (stepSize * biasMoment[k]) / (Math.sqrt(biasVariance[k] / correction2) + EPSILON);
    }
    return loss;
  }

  /** Applies the decay every feature is owed up to the current step. */
  catchUpAll(): void {
    const { classes, weights, decayedThrough, decay, steps } = this;
    for (let feature = 0; feature < this.dimensions; feature++) {
      const missed = steps - decayedThrough[feature];
      if (missed > 0 && decay !== 1) {
        const factor = decay ** missed;
        for (let k = 0; k < classes; k++) weights[feature * classes + k] *= factor;
      }
      decayedThrough[feature] = steps;
    }
  }

  score(data: LabelledRows): { accuracy: number; loss: number } {
    let correct = 0;
    let loss = 0;
    data.rows.forEach((row, index) => {
      softmaxInto(this.probabilities, row, this.weights, this.bias, this.classes);
      const label = data.labels[index];
      if (argmax(this.probabilities) === label) correct += 1;
      loss -= Math.log(Math.max(this.probabilities[label], 1e-300));
    });
    return { accuracy: correct / data.rows.length, loss: loss / data.rows.length };
  }
}

function toClassMajor(
  weights: Float64Array,
  bias: Float64Array,
  classes: number,
  dimensions: number,
): LogisticHead {
  const rows: Float64Array[] = [];
  for (let k = 0; k < classes; k++) {
    const row = new Float64Array(dimensions);
    for (let feature = 0; feature < dimensions; feature++) row[feature] = weights[feature * classes + k];
    rows.push(row);
  }
  return { weights: rows, bias: bias.slice() };
}

/** Softmax of the logits of `row` with feature-major weights, written into `into`. */
function softmaxInto(
  into: Float64Array,
  row: SparseVector,
  weights: Float64Array,
  bias: Float64Array,
  classes: number,
): void {
  for (let k = 0; k < classes; k++) into[k] = bias[k];
  for (let i = 0; i < row.indices.length; i++) {
    const base = row.indices[i] * classes;
    const value = row.values[i];
    for (let k = 0; k < classes; k++) into[k] += weights[base + k] * value;
  }
  normaliseExponentials(into);
}

function normaliseExponentials(logits: Float64Array): void {
  let maximum = -Infinity;
  for (const logit of logits) if (logit > maximum) maximum = logit;
  let sum = 0;
  for (let k = 0; k < logits.length; k++) {
    logits[k] = Math.exp(logits[k] - maximum);
    sum += logits[k];
  }
  for (let k = 0; k < logits.length; k++) logits[k] /= sum;
}

/** The class probabilities the head gives a row. */
export function predictProbabilities(head: LogisticHead, row: SparseVector): Float64Array {
  const logits = head.bias.slice();
  for (let k = 0; k < logits.length; k++) {
    const classWeights = head.weights[k];
    let sum = logits[k];
    for (let i = 0; i < row.indices.length; i++) sum += classWeights[row.indices[i]] * row.values[i];
    logits[k] = sum;
  }
  normaliseExponentials(logits);
  return logits;
}

/** Index of the largest value; the first one on ties. */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let index = 1; index < values.length; index++) if (values[index] > values[best]) best = index;
  return best;
}
