/**
 * The training loop over a tfjs model: cross-entropy, SGD with momentum and weight
 * decay, a learning-rate schedule, batch normalisation in training mode.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import * as E from "fp-ts/Either";
import type { Normalisation } from "../datasets/batches.ts";
import { decodeWorkersFor, prefetchedBatches } from "../datasets/prefetch.ts";
import type { ImageSet } from "../datasets/image_set.ts";
import type { RegularizerOptions, RegularizerTerms } from "./regularizer.ts";
import { bindRegularizer, type BoundRegularizer } from "./regularizer_grads.ts";
import { learningRate, type Schedule } from "./schedule.ts";
import { sgdMomentum, type SgdOptions } from "./sgd.ts";
import { SUM_ALL } from "../backend/kernels/fused_updates.ts";

/** Options of a training run; all of them go into the snapshot's lineage. */
export interface TrainOptions {
  readonly epochs: number;
  readonly batchSize: number;
  /** Base learning rate. */
  readonly lr: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly schedule: Schedule;
  /** Pad-4 random crop and horizontal flip. */
  readonly augment: boolean;
  /** Seeds the order of the examples and the augmentation. */
  readonly seed: number;
  /** Stop each epoch after this many steps (a quick run); null for whole epochs. */
  readonly stepsPerEpoch: number | null;
  readonly normalisation: Normalisation;
  /** The sparsity regularizer added to the loss; none when absent. */
  readonly regularizer?: RegularizerOptions;
}

/** Progress after one step, for a progress bar. */
export interface StepReport {
  readonly epoch: number;
  readonly epochs: number;
  readonly step: number;
  readonly totalSteps: number;
  readonly loss: number;
  readonly lr: number;
  readonly imagesPerSecond: number;
  readonly etaSeconds: number;
}

/** What a finished run measured. */
export interface TrainResult {
  /** Mean loss over the last epoch. */
  readonly loss: number;
  /** Mean `lambda * R` over the last epoch. */
  readonly penalty: number;
  readonly steps: number;
  readonly images: number;
  readonly seconds: number;
  readonly imagesPerSecond: number;
}

/** The loss or the weights became NaN or infinite. */
export interface Diverged {
  readonly _tag: "Diverged";
  readonly step: number;
  readonly loss: number;
  readonly message: string;
}

/** What one step reports: the batch's loss and the sum of all trainable weights after it. */
export interface StepResult {
  /** Cross-entropy of the batch (the regularizer not included). */
  readonly loss: number;
  /** `lambda * R` before the update (0 without a regularizer). */
  readonly penalty: number;
  /** Non-finite once any weight is NaN or infinite (or the weights overflow). */
  readonly weightSum: number;
}

/** One training step: forward, backward, SGD update. */
export type TrainStep = (
  x: Float32Array,
  y: Int32Array,
  size: number,
  lr: number,
) => Promise<StepResult>;

/**
 * A training step for `model` (images of `shape` [h, w, c], `classes` outputs): mean
 * softmax cross-entropy with batch normalisation in training mode, plus the regularizer's
 * terms (named by snapshot weight names) when given, then SGD. The step keeps the
 * optimiser's state until `dispose`; every other tensor is freed each step.
 *
 * @example
 * ```ts
 * const { step, dispose } = makeTrainStep(model, [32, 32, 3], 10, { momentum: 0.9, weightDecay: 5e-4 });
 * const { loss } = await step(batch.x, batch.y, batch.size, 0.05);
 * dispose();
 * ```
 */
export function makeTrainStep(
  model: tf.LayersModel,
  shape: readonly [number, number, number],
  classes: number,
  sgdOptions: SgdOptions & { readonly regularizer?: RegularizerTerms },
): { readonly step: TrainStep; readonly dispose: () => void } {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  // Decay by the saved name ("conv1/kernel"): the variable's own name may be "conv1/kernel_3".
  const decayed = new Set(
    model.trainableWeights.filter((w) => /kernel$/.test(w.originalName))
      .map((w) => (w.read() as tf.Variable).name),
  );
  const sgd = sgdMomentum(variables, { ...sgdOptions, decayed });
  const byWeightName = new Map(
    model.trainableWeights.map((w) => [w.originalName, w.read() as tf.Variable]),
  );
  const penalty: BoundRegularizer | null = sgdOptions.regularizer === undefined
    ? null
    : bindRegularizer(sgdOptions.regularizer, byWeightName);
  const step: TrainStep = async (xData, yData, size, lr) => {
    const lossTensor = tf.tidy(() => {
      const x = tf.tensor4d(xData.subarray(0, size * shape[0] * shape[1] * shape[2]), [
        size,
        ...shape,
      ]);
      const y = tf.oneHot(tf.tensor1d(yData.subarray(0, size), "int32"), classes);
      const { value, grads } = tf.variableGrads(() => {
        const logits = model.apply(x, { training: true }) as tf.Tensor;
        return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
      }, variables);
      const extra = penalty?.evaluate();
      for (const [name, g] of Object.entries(extra?.grads ?? {})) {
        grads[name] = grads[name] === undefined ? g : tf.add(grads[name], g);
      }
      sgd.step(grads, lr);
      // Every weight's sum, to stop at the first step that makes one not finite: one kernel
      // where the backend has it (webgpu), else a sum per variable and their sum.
      const sum = tf.getKernel(SUM_ALL, tf.getBackend()) != null
        ? tf.engine().runKernel(SUM_ALL, variables as unknown as tf.NamedTensorMap) as tf.Scalar
        : tf.addN(variables.map((v) => tf.sum(v)));
      return tf.stack([value, extra?.value ?? tf.scalar(0), sum]);
    });
    const [loss, penaltyValue, weightSum] = await lossTensor.data();
    lossTensor.dispose();
    return { loss, penalty: penaltyValue, weightSum };
  };
  const dispose = () => {
    sgd.dispose();
    penalty?.dispose();
  };
  return { step, dispose };
}

/**
 * Trains `model` in place (the stages wrap it so that snapshots stay immutable) and
 * reports progress after every step. Stops at the first step whose loss or weights are not finite.
 *
 * @example
 * ```ts
 * const result = await trainModel(model, split.train, options, (r) => console.log(r.loss));
 * ```
 */
export async function trainModel(
  model: tf.LayersModel,
  data: ImageSet,
  options: TrainOptions,
  hooks: {
    readonly onStep?: (report: StepReport) => void;
    /** The regularizer's terms over the model's groups (see `regularizerTerms`). */
    readonly regularizer?: RegularizerTerms;
  } = {},
): Promise<E.Either<Diverged, TrainResult>> {
  const shape = [data.height, data.width, data.channels] as const;
  const onStep = hooks.onStep ?? (() => {});
  const { step: trainStep, dispose } = makeTrainStep(model, shape, data.classes, {
    ...options,
    regularizer: hooks.regularizer,
  });
  const full = Math.floor(data.count / options.batchSize);
  const perEpoch = Math.min(full, options.stepsPerEpoch ?? full);
  const totalSteps = perEpoch * options.epochs;
  const start = performance.now();
  let step = 0, images = 0, epochLoss = 0, epochPenalty = 0;
  // On WebGPU step t's numbers are read after step t + 1 is dispatched: under Deno every read
  // from the GPU waits 10 ms or more (see README, Backends), which the next step's dispatch
  // hides. The steps run in the same order either way, so every number is the same; elsewhere
  // a step is read at once (nothing to hide, and no step in flight when `onStep` runs).
  const lagged = tf.getBackend() === "webgpu";
  let pending: { result: Promise<StepResult>; epoch: number; lr: number; size: number } | null =
    null;
  const settle = async (): Promise<Diverged | null> => {
    if (pending === null) return null;
    const { result, epoch, lr, size } = pending;
    pending = null;
    const { loss, penalty, weightSum } = await result;
    if (![loss, penalty, weightSum].every(Number.isFinite)) {
      return diverged(step, epoch, { loss, penalty }, options);
    }
    step++, images += size, epochLoss += loss, epochPenalty += penalty;
    const imagesPerSecond = images / ((performance.now() - start) / 1000);
    onStep({
      epoch: epoch + 1,
      epochs: options.epochs,
      step,
      totalSteps,
      loss,
      lr,
      imagesPerSecond,
      etaSeconds: (totalSteps - step) * options.batchSize / imagesPerSecond,
    });
    return null;
  };
  let dispatched = 0;
  try {
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      epochLoss = 0, epochPenalty = 0;
      const stream = prefetchedBatches(data, {
        ...options.normalisation,
        batchSize: options.batchSize,
        seed: options.seed,
        epoch,
        shuffle: true,
        augment: options.augment,
        dropLast: true,
      }, decodeWorkersFor(tf.getBackend()));
      let inEpoch = 0;
      for await (const batch of stream) {
        if (inEpoch === perEpoch) break;
        const lr = learningRate(options.schedule, options.lr, dispatched, totalSteps);
        const result = trainStep(batch.x, batch.y, batch.size, lr);
        // Awaited below; handled now so that a failing step is not an unhandled rejection
        // (fatal in Deno) while the previous one settles.
        result.catch(() => {});
        dispatched++, inEpoch++;
        const previous = lagged ? await settle() : null;
        pending = { result, epoch, lr, size: batch.size };
        const stop = previous ?? (lagged ? null : await settle());
        if (stop !== null) return E.left(stop);
      }
      const stop = await settle();
      if (stop !== null) return E.left(stop);
    }
  } finally {
    // A step still in flight (after a divergence or an error) is let finish so that its
    // tensors are freed; what it would throw is not the error being reported.
    await pending?.result.catch(() => {});
    dispose();
  }
  const seconds = (performance.now() - start) / 1000;
  return E.right({
    loss: epochLoss / Math.max(perEpoch, 1),
    penalty: epochPenalty / Math.max(perEpoch, 1),
    steps: step,
    images,
    seconds,
    imagesPerSecond: images / seconds,
  });
}

/** What went wrong at `step`, and which knob to turn down. */
function diverged(
  step: number,
  epoch: number,
  { loss, penalty }: { readonly loss: number; readonly penalty: number },
  options: TrainOptions,
): Diverged {
  const what = !Number.isFinite(loss)
    ? `loss is ${loss}`
    : !Number.isFinite(penalty)
    ? `the regularizer's penalty is ${penalty}`
    : "the weights are no longer finite";
  const lambda = options.regularizer?.kind === "none" ? 0 : options.regularizer?.lambda ?? 0;
  const knobs = lambda > 0
    ? `the learning rate (${options.lr}) or lambda (${lambda})`
    : `the learning rate (${options.lr})`;
  return {
    _tag: "Diverged",
    step,
    loss,
    message: `Training diverged at step ${step} (epoch ${epoch + 1}): ${what}; lower ${knobs}`,
  };
}
