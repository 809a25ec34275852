/**
 * Which convolutions of a model tfjs's WebGPU backend runs on its scalar path. Its Conv2D
 * shader (`conv2d_mm`, tfjs 4.22) reads four channels at a time only when the input has a
 * multiple of 4 channels (or of 3) and the output a multiple of 4; any other width falls back
 * to one channel at a time. Pruning to arbitrary widths can so make a model slower on tfjs's
 * WebGPU backend as published (a browser's) than before it was pruned; our own kernels run
 * these widths on a shader of ours (`backend/kernels/conv2d_forward_wgsl.ts`; measured: README,
 * "Is the compact model faster?").
 *
 * @module
 */
import type { Snapshot } from "../snapshot/snapshot.ts";

/** A convolution with the widths that keep it off the vec4 path. */
export interface ScalarConvolution {
  readonly layer: string;
  readonly inChannels: number;
  readonly outChannels: number;
}

type LayerJson = { class_name?: unknown; config?: { name?: unknown } };

/** Whether tfjs's WebGPU Conv2D takes its vec4 path for these widths (channels last). */
export function vec4Conv(inChannels: number, outChannels: number): boolean {
  return (inChannels % 4 === 0 || inChannels % 3 === 0) && outChannels % 4 === 0;
}

/**
 * The Conv2D layers of `snapshot` (`convolutions`, their number) and those of them that
 * tfjs's WebGPU backend would run one channel at a time (`scalar`, in topology order, with
 * their widths read from their kernels, HWIO).
 *
 * @example
 * ```ts
 * import { scalarConvolutions } from "./vector_widths.ts";
 * declare const compact: import("../snapshot/snapshot.ts").Snapshot;
 * const { convolutions, scalar } = scalarConvolutions(compact);
 * console.log(`${scalar.length} of ${convolutions} off the vec4 path`);
 * ```
 */
export function scalarConvolutions(
  snapshot: Snapshot,
): { convolutions: number; scalar: ScalarConvolution[] } {
  const config = (snapshot.topology as { config?: { layers?: unknown } }).config;
  const layers = Array.isArray(config?.layers) ? config.layers as LayerJson[] : [];
  const kernels = new Map(snapshot.weights.map((w) => [w.name, w.shape]));
  const scalar: ScalarConvolution[] = [];
  let convolutions = 0;
  for (const layer of layers) {
    const name = layer.config?.name;
    if (layer.class_name !== "Conv2D" || typeof name !== "string") continue;
    const shape = kernels.get(`${name}/kernel`);
    if (shape === undefined || shape.length !== 4) continue;
    convolutions++;
    const [inChannels, outChannels] = [shape[2], shape[3]];
    if (!vec4Conv(inChannels, outChannels)) scalar.push({ layer: name, inChannels, outChannels });
  }
  return { convolutions, scalar };
}
