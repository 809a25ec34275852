/**
 * The regularizer on a live model: its value and its gradient, derived by hand rather
 * than through autodiff (a group lasso's gradient is `lambda * w / ||G_c||` for every `w`
 * of channel `c` of group `G`), so a training step pays a few reductions and small
 * matrix products per group instead of gathers and their gradients.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ChannelSlice } from "../graph/out_in_groups.ts";
import type { RegularizerTerms } from "./regularizer.ts";

/** The regularizer bound to a model's variables. */
export interface BoundRegularizer {
  /** `lambda * R` and its gradient by variable name; call inside `tf.tidy`. */
  readonly evaluate: () => { readonly value: tf.Scalar; readonly grads: tf.NamedTensorMap };
  readonly dispose: () => void;
}

interface BoundSlice {
  readonly variable: tf.Variable;
  /** Axes summed to get one energy per index on the slice's axis. */
  readonly others: number[];
  /** [n, channels]: 1 where index i holds channel c. */
  readonly oneHot: tf.Tensor2D;
  /** The shape that broadcasts a per-index scale along the slice's axis. */
  readonly along: number[];
}

function bindSlice(
  slice: ChannelSlice,
  channels: number,
  variable: tf.Variable,
): BoundSlice {
  const n = slice.channelOf.length;
  const matrix = new Float32Array(n * channels);
  slice.channelOf.forEach((c, i) => c >= 0 && (matrix[i * channels + c] = 1));
  const rank = variable.shape.length;
  return {
    variable,
    others: [...Array(rank).keys()].filter((a) => a !== slice.axis),
    oneHot: tf.tensor2d(matrix, [n, channels]),
    along: variable.shape.map((d, a) => (a === slice.axis ? d : 1)),
  };
}

/**
 * Binds regularizer terms to variables (by snapshot weight name). Slices of weights that
 * are not trainable variables are left out.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { bindRegularizer } from "./regularizer_grads.ts";
 * import type { RegularizerTerms } from "./regularizer.ts";
 * declare const terms: RegularizerTerms, variables: Map<string, tf.Variable>;
 * const reg = bindRegularizer(terms, variables);
 * const { value, grads } = tf.tidy(() => reg.evaluate());
 * reg.dispose();
 * ```
 */
export function bindRegularizer(
  terms: RegularizerTerms,
  variables: ReadonlyMap<string, tf.Variable>,
): BoundRegularizer {
  const lasso = terms.lasso.map((term) =>
    term.slices.flatMap((s) => {
      const v = variables.get(s.weight);
      return v === undefined ? [] : [bindSlice(s, term.channels, v)];
    })
  ).filter((slices) => slices.length > 0);
  const l1 = terms.l1.flatMap((name) => variables.get(name) ?? []);
  const lambda = terms.lambda;
  const evaluate = () => {
    const grads = new Map<string, tf.Tensor>();
    const add = (v: tf.Variable, g: tf.Tensor) => {
      const before = grads.get(v.name);
      grads.set(v.name, before === undefined ? g : tf.add(before, g));
    };
    const values: tf.Tensor[] = [];
    for (const slices of lasso) {
      const energy = tf.addN(slices.map((s) => {
        const e = tf.sum(tf.square(s.variable), s.others);
        return tf.matMul(tf.reshape(e, [1, -1]), s.oneHot);
      }));
      const norm = tf.sqrt(tf.add(energy, 1e-12));
      values.push(tf.sum(norm));
      const inverse = tf.div(lambda, norm);
      for (const s of slices) {
        const scale = tf.matMul(s.oneHot, inverse, false, true);
        add(s.variable, tf.mul(s.variable, tf.reshape(scale, s.along)));
      }
    }
    for (const v of l1) {
      values.push(tf.sum(tf.abs(v)));
      add(v, tf.mul(tf.sign(v), lambda));
    }
    const total = values.length === 0 ? tf.scalar(0) : tf.mul(tf.addN(values), lambda);
    return { value: total as tf.Scalar, grads: Object.fromEntries(grads) };
  };
  return { evaluate, dispose: () => lasso.flat().forEach((s) => s.oneHot.dispose()) };
}
