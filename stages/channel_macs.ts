/**
 * MACs as channels are removed, without slicing anything: a layer's MACs are its output
 * positions times the elements of its kernels (as `countCost` counts them), so they follow
 * from how many indices stay on each kernel axis.
 *
 * @module
 */
import * as E from "fp-ts/Either";
import { countCost } from "../graph/count_cost.ts";
import type { GroupAnalysis } from "../graph/out_in_groups.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";

interface Kernel {
  readonly positions: number;
  readonly dims: number[];
}

interface KernelCut {
  readonly kernel: Kernel;
  readonly axis: number;
  /** For each channel of the group: how many indices it has on this axis. */
  readonly perChannel: Int32Array;
}

/**
 * Tracks the MACs of a snapshot while channels of its groups are removed one by one.
 *
 * @example
 * ```ts
 * import { MacsTracker } from "./channel_macs.ts";
 * import type { GroupAnalysis } from "../graph/out_in_groups.ts";
 * import type { Snapshot } from "../snapshot/snapshot.ts";
 * declare const snapshot: Snapshot, groups: GroupAnalysis;
 * const macs = new MacsTracker(snapshot, groups);
 * const before = macs.total();
 * macs.remove("conv1", 3);
 * before - macs.total(); // MACs saved by removing channel 3 of conv1
 * ```
 */
export class MacsTracker {
  readonly #kernels: Kernel[] = [];
  readonly #cuts = new Map<string, KernelCut[]>();

  constructor(snapshot: Snapshot, analysis: GroupAnalysis) {
    const byName = new Map<string, Kernel>();
    const cost = countCost(snapshot);
    const layers = E.isRight(cost) ? cost.right.layers : [];
    for (const layer of layers) {
      if (layer.macs === null || layer.macs === 0) continue;
      const kernels = snapshot.weights.filter((w) =>
        w.name.startsWith(`${layer.name}/`) && w.name.endsWith("kernel")
      );
      const elements = kernels.reduce((n, w) => n + w.data.length, 0);
      for (const w of kernels) {
        const kernel = { positions: layer.macs / elements, dims: [...w.shape] };
        byName.set(w.name, kernel);
        this.#kernels.push(kernel);
      }
    }
    for (const group of analysis.groups) {
      const cuts: KernelCut[] = [];
      for (const slice of [...group.producers, ...group.passThrough, ...group.consumers]) {
        const kernel = byName.get(slice.weight);
        if (kernel === undefined) continue;
        const perChannel = new Int32Array(group.channels);
        for (const c of slice.channelOf) if (c >= 0) perChannel[c]++;
        cuts.push({ kernel, axis: slice.axis, perChannel });
      }
      this.#cuts.set(group.id, cuts);
    }
  }

  /** MACs of the model with the removals so far. */
  total(): number {
    return this.#kernels.reduce((n, k) => n + k.positions * k.dims.reduce((a, b) => a * b, 1), 0);
  }

  /** Records the removal of channel `channel` of group `group`. */
  remove(group: string, channel: number): void {
    for (const cut of this.#cuts.get(group) ?? []) {
      cut.kernel.dims[cut.axis] -= cut.perChannel[channel];
    }
  }

  /** Puts a removed channel back. */
  restore(group: string, channel: number): void {
    for (const cut of this.#cuts.get(group) ?? []) {
      cut.kernel.dims[cut.axis] += cut.perChannel[channel];
    }
  }
}

/**
 * MACs saved by removing one channel of each prunable group alone (channel 0: a group's
 * channels all cost the same).
 *
 * @example
 * ```ts
 * import { channelMacs } from "./channel_macs.ts";
 * import type { GroupAnalysis } from "../graph/out_in_groups.ts";
 * import type { Snapshot } from "../snapshot/snapshot.ts";
 * declare const snapshot: Snapshot, groups: GroupAnalysis;
 * channelMacs(snapshot, groups).get("conv1"); // e.g. 921600
 * ```
 */
export function channelMacs(snapshot: Snapshot, analysis: GroupAnalysis): Map<string, number> {
  const tracker = new MacsTracker(snapshot, analysis);
  const full = tracker.total();
  const saved = new Map<string, number>();
  for (const group of analysis.groups) {
    tracker.remove(group.id, 0);
    saved.set(group.id, full - tracker.total());
    tracker.restore(group.id, 0);
  }
  return saved;
}
