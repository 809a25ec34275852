/**
 * Gradient of `DepthwiseConv2dNative` from operations every backend has (strided slices,
 * multiplications, sums over leading axes, padding): the wasm backend has no depthwise
 * backprop kernels, so the stock gradient fails there. One pass per filter tap.
 *
 * With x padded to xp and dy seen as [N, OH, OW, C, M]: for tap (i, j) the input pixels
 * that meet dy are xp[:, i*dh + oh*sh, j*dw + ow*sw, c], so
 * - dW[i, j, c, m] = sum over n, oh, ow of that slice times dy[..., c, m];
 * - dxp at those pixels receives sum over m of dy[..., c, m] * W[i, j, c, m].
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

interface Geometry {
  readonly n: number;
  readonly c: number;
  readonly m: number;
  readonly oh: number;
  readonly ow: number;
  readonly sh: number;
  readonly sw: number;
  readonly dh: number;
  readonly dw: number;
  readonly pad: { top: number; left: number; bottom: number; right: number };
}

function geometry(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  attrs: tf.DepthwiseConv2dNativeAttrs,
): Geometry {
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
  return {
    n: x.shape[0],
    c: x.shape[3],
    m: filter.shape[3],
    oh: info.outHeight,
    ow: info.outWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    dh: info.dilationHeight,
    dw: info.dilationWidth,
    pad: info.padInfo,
  };
}

/** xp[:, i*dh + oh*sh, j*dw + ow*sw, :] for every output pixel: [N, OH, OW, C]. */
function tapSlice(xp: tf.Tensor4D, g: Geometry, i: number, j: number): tf.Tensor4D {
  const begin = [0, i * g.dh, j * g.dw, 0];
  const end = [g.n, begin[1] + (g.oh - 1) * g.sh + 1, begin[2] + (g.ow - 1) * g.sw + 1, g.c];
  return tf.stridedSlice(xp, begin, end, [1, g.sh, g.sw, 1]) as tf.Tensor4D;
}

/** Places t ([N, OH, OW, C]) at stride (sh, sw) from (top, left) in a [N, HP, WP, C] grid. */
function scatterTap(
  t: tf.Tensor4D,
  g: Geometry,
  top: number,
  left: number,
  hp: number,
  wp: number,
) {
  const spread = tf.reshape(
    tf.pad(tf.reshape(t, [g.n, g.oh, 1, g.ow, 1, g.c]), [
      [0, 0],
      [0, 0],
      [0, g.sh - 1],
      [0, 0],
      [0, g.sw - 1],
      [0, 0],
    ]),
    [g.n, g.oh * g.sh, g.ow * g.sw, g.c],
  );
  const h = Math.min(g.oh * g.sh, hp - top), w = Math.min(g.ow * g.sw, wp - left);
  return tf.pad(tf.slice(spread, [0, 0, 0, 0], [g.n, h, w, g.c]), [
    [0, 0],
    [top, hp - top - h],
    [left, wp - left - w],
    [0, 0],
  ]);
}

/** Gradient config for `DepthwiseConv2dNative`. */
export const depthwiseConv2dGradConfig: tf.GradConfig = {
  kernelName: tf.DepthwiseConv2dNative,
  inputsToSave: ["x", "filter"],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const g = geometry(x, filter, attrs as unknown as tf.DepthwiseConv2dNativeAttrs);
    const [kh, kw] = filter.shape;
    const [, h, w] = x.shape;
    const hp = h + g.pad.top + g.pad.bottom, wp = w + g.pad.left + g.pad.right;
    const dy5 = () => tf.reshape(dy as tf.Tensor, [g.n, g.oh, g.ow, g.c, g.m]);
    const taps = (f: (i: number, j: number) => tf.Tensor) =>
      Array.from({ length: kh * kw }, (_, t) => f(Math.floor(t / kw), t % kw));
    return {
      x: () => {
        const d = dy5();
        const parts = taps((i, j) => {
          const weights = tf.reshape(tf.slice(filter, [i, j, 0, 0], [1, 1, g.c, g.m]), [g.c, g.m]);
          const t = tf.sum(tf.mul(d, weights), 4) as tf.Tensor4D;
          return scatterTap(t, g, i * g.dh, j * g.dw, hp, wp);
        });
        const dxp = tf.addN(parts);
        return tf.slice(dxp, [0, g.pad.top, g.pad.left, 0], x.shape);
      },
      filter: () => {
        const d = dy5();
        const xp = tf.pad(x, [[0, 0], [g.pad.top, g.pad.bottom], [g.pad.left, g.pad.right], [
          0,
          0,
        ]]);
        const parts = taps((i, j) => {
          const slice = tf.reshape(tapSlice(xp, g, i, j), [g.n, g.oh, g.ow, g.c, 1]);
          return tf.sum(tf.mul(slice, d), [0, 1, 2]);
        });
        return tf.reshape(tf.stack(parts), filter.shape);
      },
    };
  },
};
