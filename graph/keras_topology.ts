/**
 * io-ts codecs of the Keras topology JSON that tfjs writes (`modelTopology` of a
 * `model.json`), for functional (`Model` / `Functional`) and `Sequential` models.
 *
 * The codecs are the single source of the types (`type X = t.TypeOf<typeof X>`). Every
 * layer keeps its `config` as a JSON object; for the layers pruning cuts (Conv2D, Dense,
 * DepthwiseConv2D, BatchNormalization) the fields it needs are checked and typed too.
 * Layers of any other class decode with their config kept as plain JSON.
 *
 * @module
 */
import * as E from "fp-ts/Either";
import { pipe } from "fp-ts/function";
import * as t from "io-ts";
import { Integer, PositiveInt } from "../codecs.ts";
import { Dim, JsonObject } from "../snapshot/snapshot.ts";
import { checkTopologyLinks } from "./topology_checks.ts";
import { reportTopologyErrors, type TopologyError } from "./topology_errors.ts";

export type { TopologyError } from "./topology_errors.ts";

/** What errors call a snapshot's topology, which is not read from a file of its own. */
export const SNAPSHOT_TOPOLOGY_FILE = "snapshot topology";

/** A kernel size or stride: one positive integer or one per spatial axis. */
export const Window = t.union(
  [PositiveInt, t.readonlyArray(PositiveInt)],
  "a positive integer or an array of positive integers",
);
/** Padding mode of a convolution. */
export const Padding = t.keyof({ valid: null, same: null, causal: null }, '"valid" | "same"');
/** The channel axis (or axes) of a normalization. */
export const Axis = t.union(
  [Integer, t.readonlyArray(Integer)],
  "an integer or an array of integers",
);

/** The config every layer carries: a JSON object with the layer's name. */
const configWith = <R extends t.Props, O extends t.Props>(required: R, optional: O) =>
  t.readonly(t.intersection([
    JsonObject,
    t.type({ name: t.string, ...required }),
    t.partial(optional),
  ]));

/** Config of a Conv2D layer (kernel `[kh, kw, in, filters]`). */
export const Conv2DConfig = configWith(
  { filters: PositiveInt, kernel_size: Window },
  { strides: Window, padding: Padding, use_bias: t.boolean },
);
/** Config of a Dense layer (kernel `[in, units]`). */
export const DenseConfig = configWith({ units: PositiveInt }, { use_bias: t.boolean });
/** Config of a DepthwiseConv2D layer (kernel `[kh, kw, in, depth_multiplier]`). */
export const DepthwiseConv2DConfig = configWith(
  { kernel_size: Window },
  { strides: Window, padding: Padding, use_bias: t.boolean, depth_multiplier: PositiveInt },
);
/** Config of a BatchNormalization layer. */
export const BatchNormalizationConfig = configWith({}, { axis: Axis });
/** Config of a layer of any other class, kept as JSON. */
export const OtherConfig = configWith({}, {});

/** Classes whose config is decoded with typed fields. */
export const PRUNABLE_CONFIGS = {
  Conv2D: Conv2DConfig,
  Dense: DenseConfig,
  DepthwiseConv2D: DepthwiseConv2DConfig,
  BatchNormalization: BatchNormalizationConfig,
} as const;
export type PrunableClass = keyof typeof PRUNABLE_CONFIGS;

/** One input of a node: `[layerName, nodeIndex, tensorIndex, kwargs?]`. */
export const InboundRef = t.union([
  t.tuple([t.string, Dim, Dim, JsonObject]),
  t.tuple([t.string, Dim, Dim]),
], "[layerName, nodeIndex, tensorIndex, kwargs]");
/** One input of a node: `[layerName, nodeIndex, tensorIndex, kwargs?]`. */
export type InboundRef = t.TypeOf<typeof InboundRef>;
/** One call of a layer: the tensors it was applied to. */
export const InboundNode = t.readonlyArray(InboundRef);
/** An input or output of a functional model: `[layerName, nodeIndex, tensorIndex]`. */
export const EndpointRef = t.tuple([t.string, Dim, Dim], "[layerName, nodeIndex, tensorIndex]");

/** A codec that picks the codec for `u` by its `class_name` (others go to `other`). */
function byClass<C extends Record<string, t.Mixed>, O extends t.Mixed>(
  name: string,
  codecs: C,
  other: O,
): t.Type<t.TypeOf<C[keyof C]> | t.TypeOf<O>, unknown, unknown> {
  const pick = (u: unknown): t.Mixed => {
    const cls = typeof u === "object" && u !== null
      ? (u as { class_name?: unknown }).class_name
      : 0;
    return typeof cls === "string" && Object.hasOwn(codecs, cls) ? codecs[cls] : other;
  };
  return new t.Type(
    name,
    (u): u is t.TypeOf<C[keyof C]> | t.TypeOf<O> => pick(u).is(u),
    (u, c) => pick(u).validate(u, c),
    (a) => pick(a).encode(a),
  );
}

/** The layers of a functional model, one codec per typed class. */
const functionalLayer = <K extends t.Mixed, C extends t.Mixed>(cls: K, config: C) =>
  t.readonly(
    t.type({
      class_name: cls,
      name: t.string,
      config,
      inbound_nodes: t.readonlyArray(InboundNode),
    }),
  );
/** The layers of a Sequential model: no inbound nodes, the name lives in `config.name`. */
const sequentialLayer = <K extends t.Mixed, C extends t.Mixed>(cls: K, config: C) =>
  t.readonly(t.type({ class_name: cls, config }));

/** A layer of a functional model: typed config for the classes pruning cuts. */
export const FunctionalLayer = byClass("a functional layer", {
  Conv2D: functionalLayer(t.literal("Conv2D"), Conv2DConfig),
  Dense: functionalLayer(t.literal("Dense"), DenseConfig),
  DepthwiseConv2D: functionalLayer(t.literal("DepthwiseConv2D"), DepthwiseConv2DConfig),
  BatchNormalization: functionalLayer(t.literal("BatchNormalization"), BatchNormalizationConfig),
}, functionalLayer(t.string, OtherConfig));
/** A layer of a functional model: typed config for the classes pruning cuts. */
export type FunctionalLayer = t.TypeOf<typeof FunctionalLayer>;

/** A layer of a Sequential model: typed config for the classes pruning cuts. */
export const SequentialLayer = byClass("a sequential layer", {
  Conv2D: sequentialLayer(t.literal("Conv2D"), Conv2DConfig),
  Dense: sequentialLayer(t.literal("Dense"), DenseConfig),
  DepthwiseConv2D: sequentialLayer(t.literal("DepthwiseConv2D"), DepthwiseConv2DConfig),
  BatchNormalization: sequentialLayer(t.literal("BatchNormalization"), BatchNormalizationConfig),
}, sequentialLayer(t.string, OtherConfig));
/** A layer of a Sequential model: typed config for the classes pruning cuts. */
export type SequentialLayer = t.TypeOf<typeof SequentialLayer>;

/** `modelTopology` of a functional model (`Model` in tfjs, `Functional` in Keras 2.4+). */
export const FunctionalTopology = t.readonly(t.type({
  class_name: t.keyof({ Model: null, Functional: null }),
  config: t.readonly(t.type({
    name: t.string,
    layers: t.readonlyArray(FunctionalLayer),
    input_layers: t.readonlyArray(EndpointRef),
    output_layers: t.readonlyArray(EndpointRef),
  }, "an object { name, layers, input_layers, output_layers }")),
}));
/** `modelTopology` of a functional model (`Model` in tfjs, `Functional` in Keras 2.4+). */
export type FunctionalTopology = t.TypeOf<typeof FunctionalTopology>;

/** `modelTopology` of a Sequential model (the object form; the old bare array is refused). */
export const SequentialTopology = t.readonly(t.type({
  class_name: t.literal("Sequential"),
  config: t.readonly(t.type(
    { name: t.string, layers: t.readonlyArray(SequentialLayer) },
    "an object { name, layers } (the old array form of Sequential is not supported)",
  )),
}));
/** `modelTopology` of a Sequential model (the object form; the old bare array is refused). */
export type SequentialTopology = t.TypeOf<typeof SequentialTopology>;

/** The top-level class names this module reads. */
export const TopologyClass = t.keyof(
  { Model: null, Functional: null, Sequential: null },
  '"Model" | "Functional" | "Sequential"',
);

/** `modelTopology` of a functional or Sequential model. */
export type Topology = FunctionalTopology | SequentialTopology;
/** `modelTopology` of a functional or Sequential model; `class_name` picks the codec. */
export const Topology: t.Type<Topology, unknown, unknown> = new t.Type<Topology, unknown, unknown>(
  "a Keras topology object",
  (u): u is Topology => FunctionalTopology.is(u) || SequentialTopology.is(u),
  (u, c) => {
    if (typeof u !== "object" || u === null || Array.isArray(u)) return t.failure(u, c);
    const cls = (u as { class_name?: unknown }).class_name;
    if (cls === "Sequential") return SequentialTopology.validate(u, c);
    if (cls === "Model" || cls === "Functional") return FunctionalTopology.validate(u, c);
    return t.failure(cls, t.appendContext(c, "class_name", TopologyClass, cls));
  },
  t.identity,
);

/**
 * Narrows a layer to one of the classes whose config is typed.
 *
 * @example
 * ```ts
 * import { type FunctionalLayer, isLayerClass } from "./keras_topology.ts";
 * const layer: FunctionalLayer = {
 *   class_name: "Dense", name: "fc", config: { name: "fc", units: 10 }, inbound_nodes: [],
 * };
 * if (isLayerClass(layer, "Dense")) layer.config.units; // 10, typed as number
 * ```
 */
export function isLayerClass<L extends { readonly class_name: string }, K extends PrunableClass>(
  layer: L,
  cls: K,
): layer is Extract<L, { readonly class_name: K }> {
  return layer.class_name === cls;
}

/**
 * Decodes the `modelTopology` of a `model.json`: the shape first (io-ts), then the links
 * (unique names, references that resolve, no cycles). Never throws.
 *
 * @example
 * ```ts
 * import { decodeTopology } from "./keras_topology.ts";
 * const r = decodeTopology({ class_name: "Sequential", config: [] }, "model.json");
 * if (r._tag === "Left") r.left.message;
 * // 'model.json: modelTopology.config: expected an object { name, layers } (the old array
 * // form of Sequential is not supported), got []'
 * ```
 */
export function decodeTopology(json: unknown, file: string): E.Either<TopologyError, Topology> {
  return pipe(
    Topology.decode(json),
    E.mapLeft((errors) => reportTopologyErrors(errors, file)),
    E.chain((topology) => checkTopologyLinks(topology, file)),
  );
}
