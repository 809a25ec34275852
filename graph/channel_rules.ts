/**
 * What each layer class does to channels: the one table the group analysis and the
 * plan applier share. A rule takes the layouts of a layer's inputs and returns the
 * layout of its output and its *bindings*: which axis of which weight is indexed by
 * which layout, as producer, pass-through or consumer of the channels there.
 *
 * @module
 */
import type { Json } from "../snapshot/snapshot.ts";
import { concatenated, merged, MERGES } from "./channel_merges.ts";
import {
  freshLayout,
  type Layout,
  repeatEntries,
  type Spaces,
  spacesIn,
  tileLayout,
} from "./channel_spaces.ts";
import type { GraphLayer } from "./layer_graph.ts";
import type { Shape } from "./shapes.ts";

/** How a weight slice relates to the channels of its layout. */
export type Role = "producer" | "passThrough" | "consumer";

/** One axis of one weight, indexed by a layout. */
export interface Binding {
  readonly layer: string;
  readonly weight: string;
  readonly axis: number;
  readonly layout: Layout;
  readonly role: Role;
}

/** The config field that holds a layer's output width, rewritten when it shrinks. */
export type WidthField = "filters" | "units" | "target_shape";

/** What a rule says about one layer. */
export interface LayerChannels {
  readonly output: Layout | null;
  readonly bindings: ReadonlyArray<Binding>;
  readonly width?: WidthField;
}

/** What a rule is given. */
export interface RuleInput {
  readonly layer: GraphLayer;
  readonly inputs: ReadonlyArray<Layout | null>;
  readonly outShape: Shape | null;
  readonly spaces: Spaces;
  /** The shape of the layer's weight `param`, or undefined when it has none. */
  readonly weightShape: (param: string) => ReadonlyArray<number> | undefined;
}

/** Activations that act on each value alone, so they keep channels apart. */
const ELEMENTWISE = new Set(
  ("linear relu relu6 elu selu sigmoid hard_sigmoid hardSigmoid tanh softplus softsign swish " +
    "mish gelu gelu_new exponential").split(" "),
);

/** Layers that keep channel `c` as channel `c` and hold no per-channel weights. */
const PASS_THROUGH = new Set(
  ("ReLU LeakyReLU ELU ThresholdedReLU Dropout SpatialDropout1D SpatialDropout2D GaussianNoise " +
    "GaussianDropout AlphaDropout MaxPooling2D AveragePooling2D GlobalAveragePooling2D " +
    "GlobalMaxPooling2D ZeroPadding2D Cropping2D UpSampling2D").split(" "),
);

/** The channels of one layer, by its class. */
export function layerChannels(input: RuleInput): LayerChannels {
  const { layer } = input;
  if (layer.irregular !== null) {
    return barrier(input, `"${layer.name}" is irregular: ${layer.irregular}`);
  }
  if (layer.className === "InputLayer") return networkInput(input);
  const cls = layer.className;
  // A producer starts new channels even when what it reads is unknown.
  if (cls === "Conv2D" || cls === "Dense" || cls === "SeparableConv2D") {
    return producer(input, input.inputs[0]);
  }
  if (input.inputs.some((l) => l === null)) return barrier(input, null);
  const inputs = input.inputs as ReadonlyArray<Layout>;
  if (cls === "DepthwiseConv2D") return depthwise(input, inputs[0]);
  if (cls === "BatchNormalization") return batchNorm(input, inputs[0]);
  if (cls === "Activation") return activated(input, { output: inputs[0], bindings: [] });
  if (PASS_THROUGH.has(cls)) return { output: inputs[0], bindings: [] };
  if (cls === "Softmax") return softmax(input, inputs[0]);
  if (cls === "PReLU") return prelu(input, inputs[0]);
  if (cls === "Flatten" || cls === "Reshape") return reshaped(input, inputs[0]);
  if (cls === "Permute") return permuted(input, inputs[0]);
  if (MERGES.has(cls)) return merged(input, inputs);
  if (cls === "Concatenate") return concatenated(input, inputs);
  return barrier(input, `"${layer.name}" is a ${cls}, a layer the analysis does not understand`);
}

function networkInput({ layer, outShape, spaces }: RuleInput): LayerChannels {
  const width = outShape?.[outShape.length - 1];
  if (typeof width !== "number") return { output: null, bindings: [] };
  const space = spaces.create(width, layer.name);
  spaces.flag(space, `the network input "${layer.name}"`);
  return { output: freshLayout(space, width), bindings: [] };
}

/**
 * A layer the analysis cannot follow: every channel reaching it is flagged, and its
 * output (when its width is known) is a new space flagged for the same reason.
 */
function barrier(input: RuleInput, reason: string | null): LayerChannels {
  const { layer, outShape, spaces } = input;
  const why = reason ?? `"${layer.name}" reads a tensor whose channels are unknown`;
  for (const l of input.inputs) {
    for (const s of l === null ? [] : spacesIn(l, spaces)) spaces.flag(s, why);
  }
  const width = outShape?.[outShape.length - 1];
  if (typeof width !== "number") return { output: null, bindings: [] };
  const space = spaces.create(width, layer.name);
  spaces.flag(space, why);
  return { output: freshLayout(space, width), bindings: [] };
}

function bind(layer: string, param: string, axis: number, layout: Layout, role: Role): Binding {
  return { layer, weight: `${layer}/${param}`, axis, layout, role };
}

/** Conv2D, Dense, SeparableConv2D: consume the input's channels, create a new space. */
function producer(input: RuleInput, inLayout: Layout | null): LayerChannels {
  const { layer, spaces } = input;
  const config = layer.config;
  if (config.data_format === "channels_first") {
    return barrier(input, `"${layer.name}" is channels_first`);
  }
  if (typeof config.groups === "number" && config.groups > 1) {
    return barrier(input, `"${layer.name}" is a grouped convolution`);
  }
  const dense = layer.className === "Dense";
  const width = Number(dense ? config.units : config.filters);
  const out = freshLayout(spaces.create(width, layer.name), width);
  const name = layer.name;
  const bindings: Binding[] = [];
  if (layer.className === "SeparableConv2D") {
    const m = typeof config.depth_multiplier === "number" ? config.depth_multiplier : 1;
    if (inLayout !== null) {
      bindings.push(
        bind(name, "depthwise_kernel", 2, inLayout, "consumer"),
        bind(name, "pointwise_kernel", 2, repeatEntries(inLayout, m), "consumer"),
      );
    }
    bindings.push(bind(name, "pointwise_kernel", 3, out, "producer"));
  } else {
    if (inLayout !== null) bindings.push(bind(name, "kernel", dense ? 0 : 2, inLayout, "consumer"));
    bindings.push(bind(name, "kernel", dense ? 1 : 3, out, "producer"));
  }
  if (config.use_bias !== false) bindings.push(bind(name, "bias", 0, out, "producer"));
  return activated(input, { output: out, bindings, width: dense ? "units" : "filters" });
}

function depthwise(input: RuleInput, inLayout: Layout): LayerChannels {
  const { layer } = input;
  if (layer.config.data_format === "channels_first") {
    return barrier(input, `"${layer.name}" is channels_first`);
  }
  const m = typeof layer.config.depth_multiplier === "number" ? layer.config.depth_multiplier : 1;
  const out = repeatEntries(inLayout, m);
  const bindings = [bind(layer.name, "depthwise_kernel", 2, inLayout, "passThrough")];
  if (layer.config.use_bias !== false) {
    bindings.push(bind(layer.name, "bias", 0, out, "passThrough"));
  }
  return activated(input, { output: out, bindings });
}

/** Flags the output's channels when the layer's activation mixes channels (softmax). */
function activated(input: RuleInput, result: LayerChannels): LayerChannels {
  const activation: Json | undefined = input.layer.config.activation;
  if (activation === undefined || activation === null || result.output === null) return result;
  if (typeof activation === "string" && ELEMENTWISE.has(activation)) return result;
  const why = activation === "softmax"
    ? `"${input.layer.name}" applies softmax across channels`
    : `"${input.layer.name}" has activation ${JSON.stringify(activation)}, ` +
      "not known to act on each channel alone";
  for (const s of spacesIn(result.output, input.spaces)) input.spaces.flag(s, why);
  return result;
}

function batchNorm(input: RuleInput, inLayout: Layout): LayerChannels {
  const { layer, outShape } = input;
  const rank = (outShape?.length ?? 0) + 1;
  const raw = layer.config.axis ?? -1;
  const axes = Array.isArray(raw) ? raw : [raw];
  if (axes.length !== 1 || (axes[0] !== -1 && axes[0] !== rank - 1)) {
    return barrier(input, `"${layer.name}" normalizes over axis ${JSON.stringify(raw)}`);
  }
  const params = [
    ...(layer.config.scale !== false ? ["gamma"] : []),
    ...(layer.config.center !== false ? ["beta"] : []),
    "moving_mean",
    "moving_variance",
  ];
  const bindings = params.map((p) => bind(layer.name, p, 0, inLayout, "passThrough"));
  return { output: inLayout, bindings };
}

function softmax(input: RuleInput, inLayout: Layout): LayerChannels {
  const rank = (input.outShape?.length ?? 0) + 1;
  const axis = input.layer.config.axis ?? -1;
  if (axis !== -1 && axis !== rank - 1) return { output: inLayout, bindings: [] };
  for (const s of spacesIn(inLayout, input.spaces)) {
    input.spaces.flag(s, `"${input.layer.name}" applies softmax across channels`);
  }
  return { output: inLayout, bindings: [] };
}

function prelu(input: RuleInput, inLayout: Layout): LayerChannels {
  const alpha = input.weightShape("alpha");
  const last = alpha?.[alpha.length - 1];
  if (alpha === undefined || last === 1) return { output: inLayout, bindings: [] };
  if (last !== inLayout.space.length) {
    return barrier(input, `"${input.layer.name}" has an alpha of shape [${alpha}]`);
  }
  const binding = bind(input.layer.name, "alpha", alpha.length - 1, inLayout, "passThrough");
  return { output: inLayout, bindings: [binding] };
}

/** Flatten and Reshape keep channel `c` at index `c` of each block of the input's width. */
function reshaped(input: RuleInput, inLayout: Layout): LayerChannels {
  const { layer, outShape } = input;
  const width = inLayout.space.length;
  const outWidth = outShape?.[outShape.length - 1];
  if (typeof outWidth !== "number" || outWidth % width !== 0) {
    return barrier(
      input,
      `"${layer.name}" reshapes ${width} channels into a last axis of ${outWidth}`,
    );
  }
  const output = tileLayout(inLayout, outWidth / width);
  return layer.className === "Reshape"
    ? { output, bindings: [], width: "target_shape" }
    : { output, bindings: [] };
}

function permuted(input: RuleInput, inLayout: Layout): LayerChannels {
  const dims = input.layer.config.dims;
  if (Array.isArray(dims) && dims[dims.length - 1] === dims.length) {
    return { output: inLayout, bindings: [] };
  }
  return barrier(input, `"${input.layer.name}" moves the channel axis`);
}
