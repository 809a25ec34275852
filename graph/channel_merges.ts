/**
 * The channel rules of layers that join tensors: `Add`-like merges couple their operands'
 * channels into one space; a `Concatenate` on the channel axis places its inputs' channels
 * side by side.
 *
 * @module
 */
import type { LayerChannels, RuleInput } from "./channel_rules.ts";
import { concatLayouts, type Layout, type Spaces } from "./channel_spaces.ts";

/** Layers that combine same-shaped tensors value by value. */
export const MERGES = new Set(["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"]);

/**
 * Add and friends: channel `c` of every full-width operand is one channel; an operand of
 * width 1 is broadcast and keeps its own.
 */
export function merged(input: RuleInput, inputs: ReadonlyArray<Layout>): LayerChannels {
  const width = Math.max(...inputs.map((l) => l.space.length));
  const operands = inputs.filter((l) => l.space.length === width);
  couple(input, operands);
  return { output: operands[0], bindings: [] };
}

/** Concatenate: side by side on the channel axis; on another axis, coupled like Add. */
export function concatenated(input: RuleInput, inputs: ReadonlyArray<Layout>): LayerChannels {
  const rank = (input.outShape?.length ?? 0) + 1;
  const axis = input.layer.config.axis ?? -1;
  if (axis === -1 || axis === rank - 1) return { output: concatLayouts(inputs), bindings: [] };
  couple(input, inputs);
  return { output: inputs[0], bindings: [] };
}

/**
 * Couples channel `i` of every operand (METHOD.md section 1). Where the operands are cut
 * into different groups (a concatenation added to a plain tensor), the groups are split
 * until every operand is the same sequence of whole groups, and those are joined pairwise.
 */
function couple({ spaces }: RuleInput, operands: ReadonlyArray<Layout>): void {
  while (splitToAlign(operands, spaces));
  const width = operands[0].space.length;
  for (let at = 0; at < width;) {
    const [first, c0] = spaces.locate(operands[0].space[at], operands[0].channel[at]);
    for (const l of operands) spaces.union(first, spaces.locate(l.space[at], l.channel[at])[0]);
    at += spaces.size(first) - c0;
  }
}

/** One split that brings the operands closer to alignment; false when they are aligned. */
function splitToAlign(operands: ReadonlyArray<Layout>, spaces: Spaces): boolean {
  const cuts = new Set<number>();
  for (const l of operands) for (const at of runStarts(l, spaces)) cuts.add(at);
  const bounds = [...cuts, operands[0].space.length].sort((a, b) => a - b);
  for (const l of operands) {
    for (let k = 0; k + 1 < bounds.length; k++) {
      const [space, channel] = spaces.locate(l.space[bounds[k]], l.channel[bounds[k]]);
      const end = channel + bounds[k + 1] - bounds[k];
      if (channel > 0) return spaces.split(space, channel), true;
      if (end < spaces.size(space)) return spaces.split(space, end), true;
    }
  }
  return false;
}

/** Where a new run starts: the next index is not the next channel of the same group. */
function runStarts(l: Layout, spaces: Spaces): number[] {
  const starts = [0];
  let [prevRoot, prevChannel] = [-1, -1];
  for (let i = 0; i < l.space.length; i++) {
    const [space, channel] = spaces.locate(l.space[i], l.channel[i]);
    const root = spaces.find(space);
    if (i > 0 && (root !== prevRoot || channel !== prevChannel + 1)) starts.push(i);
    [prevRoot, prevChannel] = [root, channel];
  }
  return starts;
}
