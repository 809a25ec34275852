/**
 * Seeded weight initialisers, so that a model built twice from the same seed has
 * bit-identical weights on any backend.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Hands out one initialiser seed per layer, derived from the model's seed. */
export interface SeedSource {
  /** He-normal initialiser (fan-in), the usual choice before ReLU. */
  readonly heNormal: () => ReturnType<typeof tf.initializers.heNormal>;
  /** Glorot-uniform initialiser, for the classifier. */
  readonly glorotUniform: () => ReturnType<typeof tf.initializers.glorotUniform>;
}

/**
 * Creates a source of per-layer seeds from one model seed (layer i gets seed * 1000 + i + 1:
 * never 0, which tfjs's initialisers take as "no seed" and replace with a random one).
 *
 * @example
 * ```ts
 * const seeds = seedSource(1);
 * tf.layers.conv2d({ filters: 8, kernelSize: 3, kernelInitializer: seeds.heNormal() });
 * ```
 */
export function seedSource(seed: number): SeedSource {
  let next = 0;
  const take = () => 1 + (seed * 1000 + next++) % (2 ** 31 - 1);
  return {
    heNormal: () => tf.initializers.heNormal({ seed: take() }),
    glorotUniform: () => tf.initializers.glorotUniform({ seed: take() }),
  };
}
