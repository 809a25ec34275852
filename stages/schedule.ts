/**
 * Learning-rate schedules as pure functions of the step.
 * @module
 */

/** A learning-rate schedule: `"cosine"` or `"step"` decay (x`gamma` at each milestone). */
export type Schedule =
  | { readonly kind: "cosine" }
  | { readonly kind: "step"; readonly milestones: readonly number[]; readonly gamma: number };

/**
 * The learning rate at `step` of `totalSteps`: cosine anneals from `base` to 0; step
 * multiplies `base` by `gamma` at each milestone, given as fractions of the run (0.5, 0.75).
 *
 * @example
 * ```ts
 * learningRate({ kind: "cosine" }, 0.1, 50, 100); // 0.05
 * learningRate({ kind: "step", milestones: [0.5], gamma: 0.1 }, 0.1, 60, 100); // 0.01
 * ```
 */
export function learningRate(
  schedule: Schedule,
  base: number,
  step: number,
  totalSteps: number,
): number {
  const progress = totalSteps > 0 ? Math.min(step / totalSteps, 1) : 0;
  if (schedule.kind === "cosine") return base * 0.5 * (1 + Math.cos(Math.PI * progress));
  const passed = schedule.milestones.filter((m) => progress >= m).length;
  return base * schedule.gamma ** passed;
}
