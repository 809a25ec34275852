/**
 * The layers of each block of a random architecture (see `_architectures.ts`), applied to
 * the running feature map, whose size they track so that every block fits.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Activation, Block } from "./_architectures.ts";

type Sym = tf.SymbolicTensor;

/** The running feature map while a model is built. */
export interface Feature {
  readonly x: Sym;
  readonly h: number;
  readonly w: number;
  readonly c: number;
}

const strided = (n: number, s: number) => Math.ceil(n / s);

function conv(f: Feature, name: string, o: {
  filters: number;
  kernel: number;
  stride: number;
  padding?: "same" | "valid";
  bias?: boolean;
  activation?: Activation;
}): Feature {
  const small = Math.min(f.h, f.w);
  const stride = small >= 2 ? o.stride : 1;
  const padding = o.padding === "valid" && small >= o.kernel ? "valid" : "same";
  const x = tf.layers.conv2d({
    name,
    filters: o.filters,
    kernelSize: o.kernel,
    strides: stride,
    padding,
    useBias: o.bias ?? false,
    activation: o.activation ?? "linear",
  }).apply(f.x) as Sym;
  const side = (n: number) => strided(padding === "valid" ? n - o.kernel + 1 : n, stride);
  return { x, h: side(f.h), w: side(f.w), c: o.filters };
}

function apply(f: Feature, layer: tf.layers.Layer): Feature {
  return { ...f, x: layer.apply(f.x) as Sym };
}

const bn = (f: Feature, name: string) => apply(f, tf.layers.batchNormalization({ name }));
const relu = (f: Feature, name: string) =>
  apply(f, tf.layers.activation({ name, activation: "relu" }));

function plainConv(f: Feature, p: string, b: Extract<Block, { kind: "conv" }>): Feature {
  const inConfig = b.style === "config";
  let y = conv(f, `${p}conv`, { ...b, activation: inConfig ? b.activation : "linear" });
  if (b.bn) y = bn(y, `${p}bn`);
  if (inConfig) return y;
  return apply(
    y,
    b.style === "relu_layer" && b.activation === "relu"
      ? tf.layers.reLU({ name: `${p}relu` })
      : tf.layers.activation({ name: `${p}act`, activation: b.activation }),
  );
}

function pool(f: Feature, p: string, b: Extract<Block, { kind: "pool" }>): Feature {
  if (Math.min(f.h, f.w) < 2) return f;
  const config = { name: `${p}pool`, poolSize: 2, strides: 2, padding: b.padding };
  const layer = b.op === "max"
    ? tf.layers.maxPooling2d(config)
    : tf.layers.averagePooling2d(config);
  const side = (n: number) => b.padding === "same" ? strided(n, 2) : Math.floor(n / 2);
  return { x: layer.apply(f.x) as Sym, h: side(f.h), w: side(f.w), c: f.c };
}

function residual(f: Feature, p: string, b: Extract<Block, { kind: "residual" }>): Feature {
  const filters = b.projection?.filters ?? f.c;
  const stride = b.projection?.stride ?? 1;
  let y = relu(
    bn(conv(f, `${p}conv1`, { filters: b.mid, kernel: 3, stride }), `${p}bn1`),
    `${p}relu1`,
  );
  y = bn(conv(y, `${p}conv2`, { filters, kernel: 3, stride: 1 }), `${p}bn2`);
  const s = b.projection === null
    ? f
    : bn(conv(f, `${p}proj`, { filters, kernel: 1, stride, padding: "same" }), `${p}proj_bn`);
  const sum = tf.layers.add({ name: `${p}add` }).apply([y.x, s.x]) as Sym;
  return relu({ ...y, x: sum }, `${p}relu2`);
}

function dense(f: Feature, p: string, b: Extract<Block, { kind: "dense" }>): Feature {
  let all = f;
  for (let i = 0; i < b.layers; i++) {
    const y = conv(relu(bn(all, `${p}bn${i}`), `${p}relu${i}`), `${p}conv${i}`, {
      filters: b.growth,
      kernel: 3,
      stride: 1,
    });
    const x = tf.layers.concatenate({ name: `${p}cat${i}`, axis: b.axis }).apply([
      all.x,
      y.x,
    ]) as Sym;
    all = { ...all, x, c: all.c + b.growth };
  }
  return all;
}

function squeezeExcite(f: Feature, p: string, b: Extract<Block, { kind: "se" }>): Feature {
  let s = tf.layers.globalAveragePooling2d({ name: `${p}squeeze` }).apply(f.x) as Sym;
  s = tf.layers.dense({ name: `${p}fc1`, units: b.hidden, activation: "relu" }).apply(s) as Sym;
  s = tf.layers.dense({ name: `${p}fc2`, units: f.c, activation: "sigmoid" }).apply(s) as Sym;
  s = tf.layers.reshape({ name: `${p}gate`, targetShape: [1, 1, f.c] }).apply(s) as Sym;
  const operands = b.gateFirst ? [s, f.x] : [f.x, s];
  return { ...f, x: tf.layers.multiply({ name: `${p}excite` }).apply(operands) as Sym };
}

function separable(f: Feature, p: string, b: Extract<Block, { kind: "separable" }>): Feature {
  const stride = Math.min(f.h, f.w) >= 2 ? b.stride : 1;
  const x = tf.layers.depthwiseConv2d({
    name: `${p}depthwise`,
    kernelSize: 3,
    depthMultiplier: b.multiplier,
    strides: stride,
    padding: "same",
    useBias: b.multiplier === 2,
  }).apply(f.x) as Sym;
  const d = { x, h: strided(f.h, stride), w: strided(f.w, stride), c: f.c * b.multiplier };
  const y = relu(bn(d, `${p}bn`), `${p}relu`);
  return conv(y, `${p}pointwise`, { filters: b.filters, kernel: 1, stride: 1, bias: true });
}

/** The feature map after block `b`, whose layer names start with `p`. */
export function block(f: Feature, p: string, b: Block): Feature {
  switch (b.kind) {
    case "conv":
      return plainConv(f, p, b);
    case "pool":
      return pool(f, p, b);
    case "residual":
      return residual(f, p, b);
    case "dense":
      return dense(f, p, b);
    case "se":
      return squeezeExcite(f, p, b);
    case "separable":
      return separable(f, p, b);
    case "zero_padding": {
      const x = tf.layers.zeroPadding2d({ name: `${p}pad`, padding: b.pad }).apply(f.x) as Sym;
      return { ...f, x, h: f.h + 2 * b.pad, w: f.w + 2 * b.pad };
    }
    case "dropout":
      return apply(f, tf.layers.dropout({ name: `${p}dropout`, rate: b.rate }));
  }
}
