/**
 * oicsr: structured channel pruning for TensorFlow.js CNNs, as typed stages over
 * immutable model snapshots.
 *
 * Everything `deno task prune` does is here as functions over immutable snapshots:
 * backends (WebGPU, wasm with our gradient kernels, cpu), CIFAR data, the model zoo, the
 * out-in-channel groups of any tfjs LayersModel (`outInGroups`), exact physical removal
 * (`applyPrunePlan`, checked against `maskPlan`), MACs and parameters of any topology
 * (`countCost`), the regularizers (`regularizerTerms`), importance (`scoreGroups`), global
 * greedy selection (`greedyPlan`, `pruneStep`), training and evaluation, the whole loop as
 * a state machine (`startPipeline`, `advance`), replay, lineage and the HTML report.
 * `examples/custom_loop.ts` composes a loop of its own in 32 lines.
 *
 * Pruning a user's model by hand:
 * ```ts
 * import * as E from "fp-ts/Either";
 * import { applyPrunePlan, exportLayersModel, importLayersModel, outInGroups } from "./mod.ts";
 *
 * const model = await importLayersModel("my/model.json")();
 * if (E.isRight(model)) {
 *   const groups = outInGroups(model.right);
 *   if (E.isRight(groups)) {
 *     const [first] = groups.right.groups; // e.g. { id: "conv1", channels: 32, ... }
 *     const smaller = applyPrunePlan(model.right, { [first.id]: [0, 1, 2] });
 *     if (E.isRight(smaller)) await exportLayersModel(smaller.right, "my/pruned")();
 *   }
 * }
 * ```
 *
 * Training from scratch:
 * @example
 * ```ts
 * import * as E from "fp-ts/Either";
 * import {
 *   channelStats, evaluate, init, loadCifar10Package, runtimeVersions, selectBackend, train,
 *   writeSnapshot,
 * } from "./mod.ts";
 *
 * const backend = await selectBackend("auto");
 * const data = await loadCifar10Package({ trainLimit: 5000, testLimit: 1000 })();
 * if (E.isRight(backend) && E.isRight(data)) {
 *   const env = { backend: backend.right, versions: runtimeVersions("0.1.0") };
 *   const start = await init({ model: "cifarnet", classes: 10, seed: 0 }, env)();
 *   const normalisation = channelStats(data.right.train);
 *   if (E.isRight(start)) {
 *     const trained = await train(start.right, data.right.train, {
 *       epochs: 1, batchSize: 64, lr: 0.01, momentum: 0.9, weightDecay: 5e-4,
 *       schedule: { kind: "cosine" }, augment: true, seed: 0, stepsPerEpoch: null,
 *       normalisation,
 *     }, env)();
 *     if (E.isRight(trained)) {
 *       console.log(await evaluate(trained.right, data.right.test, normalisation));
 *       await writeSnapshot(".oicsr/store", trained.right)();
 *     }
 *   }
 * }
 * ```
 *
 * @module
 */
export {
  type BackendInfo as SelectedBackend,
  type BackendName,
  backendNames,
  selectBackend,
} from "./backend/select_backend.ts";
export type { BackendError } from "./backend/errors.ts";
export * from "./datasets/mod.ts";
export { cifarnet, type CifarNetOptions } from "./models/cifarnet.ts";
export { resnet, type ResNetOptions, type Shortcut } from "./models/resnet.ts";
export {
  type CostInput,
  countCost,
  type LayerCost,
  type SnapshotCost,
} from "./graph/count_cost.ts";
export { inferShapes, knowsShapeOf, type Shape } from "./graph/shapes.ts";
export { type GraphLayer, type LayerGraph, layerGraph } from "./graph/layer_graph.ts";
export {
  type AnalysisError,
  type ChannelSlice,
  type GroupAnalysis,
  type OutInGroup,
  outInGroups,
  type UnprunableGroup,
  type WeightMismatch,
} from "./graph/out_in_groups.ts";
export {
  applyPrunePlan,
  type InvalidPlan,
  maskPlan,
  type PlanError,
  PrunePlan,
} from "./graph/prune_plan.ts";
export { importLayersModel } from "./snapshot/import_layers_model.ts";
export { buildModel, type BuildOptions, MODEL_NAMES, type ModelName } from "./models/zoo.ts";
export * from "./snapshot/mod.ts";
export {
  decodeTopology,
  type FunctionalTopology,
  isLayerClass,
  type SequentialTopology,
  SNAPSHOT_TOPOLOGY_FILE,
  type Topology,
  type TopologyError,
} from "./graph/keras_topology.ts";
export type { StageEnv } from "./stages/env.ts";
export { init, type InitOptions } from "./stages/init.ts";
export { train } from "./stages/train.ts";
export { evaluate } from "./stages/evaluate.ts";
export { type Latency, measureLatencies, measureLatency } from "./stages/latency.ts";
export { foldBatchNorm } from "./stages/fold_batch_norm.ts";
export { costMetrics, withCostMetrics, withMetrics } from "./stages/metrics.ts";
export { type Accuracy, evaluateModel } from "./stages/evaluate_model.ts";
export {
  type Diverged,
  makeTrainStep,
  type StepReport,
  trainModel,
  type TrainOptions,
  type TrainResult,
} from "./stages/train_model.ts";
export { learningRate, type Schedule } from "./stages/schedule.ts";
export { type Sgd, sgdMomentum, type SgdOptions } from "./stages/sgd.ts";
export { type GroupScores, scoreGroups, ScoreOptions } from "./stages/score.ts";
export { type GreedyOptions, type GreedyPlan, greedyPlan } from "./stages/greedy_plan.ts";
export { channelMacs, MacsTracker } from "./stages/channel_macs.ts";
export {
  NO_REGULARIZER,
  RegularizerKind,
  RegularizerOptions,
  type RegularizerTerms,
  regularizerTerms,
} from "./stages/regularizer.ts";
export { bindRegularizer, type BoundRegularizer } from "./stages/regularizer_grads.ts";
export {
  PruneReference,
  pruneReference,
  pruneStep,
  PruneStepOptions,
} from "./stages/prune_step.ts";
export {
  advance,
  type IterationRecord,
  type PipelineEnv,
  type PipelineError,
  type PipelineOptions,
  type PipelineState,
  startPipeline,
  trainFor,
} from "./stages/pipeline.ts";
export {
  type ReplayEnv,
  type ReplayError,
  type ReplayResult,
  replayStage,
} from "./stages/replay.ts";
export { buildForest, lineageForest, type LineageNode, lineageOf } from "./snapshot/lineage.ts";
export { reportHtml, RunReport } from "./report/report_html.ts";
export { OICSR_VERSION } from "./version.ts";
