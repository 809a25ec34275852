/**
 * The ImageNet transforms on uint8 RGB images (HWC), written straight into a caller's
 * buffer: training = torchvision's `RandomResizedCrop(224)` + `RandomHorizontalFlip()`,
 * evaluation = `Resize(256)` + `CenterCrop(224)`. Resizing is bilinear with half-pixel
 * centres (PyTorch's `align_corners=False`), without antialiasing, rounded to nearest.
 *
 * @module
 */
import { type Rng, uniformInt } from "./rng.ts";

/** An RGB image, uint8, HWC (R, G, B interleaved): height * width * 3 bytes. */
export interface RgbImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** Rows top .. top + height - 1 and columns left .. left + width - 1 of an image. */
export interface CropBox {
  readonly top: number;
  readonly left: number;
  readonly height: number;
  readonly width: number;
}

/** Options of {@link randomCropBox} and {@link trainTransformInto} (torchvision's defaults). */
export interface RandomCropOptions {
  /** Side of the square output (default 224). */
  readonly size?: number;
  /** Range of the crop's area as a fraction of the image's (default [0.08, 1]). */
  readonly scale?: readonly [number, number];
  /** Range of the crop's width / height (default [3/4, 4/3]). */
  readonly ratio?: readonly [number, number];
}

/** Options of {@link evalTransformInto}. */
export interface EvalOptions {
  /** Side of the square centre crop (default 224). */
  readonly size?: number;
  /** The shorter side is first resized to this (default 256; at least `size`). */
  readonly resize?: number;
}

/** Output pixel i of an axis reads source coordinate start + i * step, clamped to lo .. hi. */
interface AxisMap {
  readonly start: number;
  readonly step: number;
  readonly lo: number;
  readonly hi: number;
}

// Per-column tables reused from call to call (the transforms run once per image).
let col0 = new Int32Array(256);
let col1 = new Int32Array(256);
let colW = new Float64Array(256);

function columnTables(xs: AxisMap, n: number, flip: boolean): void {
  if (col0.length < n) {
    [col0, col1, colW] = [new Int32Array(n), new Int32Array(n), new Float64Array(n)];
  }
  for (let i = 0; i < n; i++) {
    const s = Math.min(Math.max(xs.start + (flip ? n - 1 - i : i) * xs.step, xs.lo), xs.hi);
    const x = Math.floor(s);
    col0[i] = x * 3;
    col1[i] = Math.min(x + 1, xs.hi) * 3;
    colW[i] = s - x;
  }
}

/** Bilinear sampling of `image` along two axis maps into outH x outW pixels of `out`. */
function sampleInto(
  image: RgbImage,
  ys: AxisMap,
  xs: AxisMap,
  outH: number,
  outW: number,
  flip: boolean,
  out: Uint8Array,
  offset: number,
): void {
  const { data, width } = image;
  if (data.length !== image.height * width * 3 || offset + outH * outW * 3 > out.length) {
    throw new RangeError(`image or output buffer too small for ${outH}x${outW}x3`);
  }
  columnTables(xs, outW, flip);
  let o = offset;
  for (let i = 0; i < outH; i++) {
    const s = Math.min(Math.max(ys.start + i * ys.step, ys.lo), ys.hi);
    const y = Math.floor(s);
    const fy = s - y;
    const r0 = y * width * 3;
    const r1 = Math.min(y + 1, ys.hi) * width * 3;
    for (let j = 0; j < outW; j++) {
      const a = col0[j], b = col1[j], fx = colW[j];
      for (let c = 0; c < 3; c++) {
        const top = data[r0 + a + c] + (data[r0 + b + c] - data[r0 + a + c]) * fx;
        const bottom = data[r1 + a + c] + (data[r1 + b + c] - data[r1 + a + c]) * fx;
        out[o++] = (top + (bottom - top) * fy + 0.5) | 0;
      }
    }
  }
}

/** The axis map that resizes `box`'s span start .. start + length - 1 to `n` pixels. */
function spanMap(start: number, length: number, n: number): AxisMap {
  const step = length / n;
  return { start: start + 0.5 * step - 0.5, step, lo: start, hi: start + length - 1 };
}

/**
 * Resizes the whole image to height x width (bilinear, half-pixel centres) into `out` at
 * `offset`.
 *
 * @example
 * ```ts
 * import { resizeInto } from "./image_transforms.ts";
 * const grey = { data: new Uint8Array([0, 0, 0, 200, 200, 200]), width: 2, height: 1 };
 * const out = new Uint8Array(4 * 3);
 * resizeInto(grey, out, 0, { height: 1, width: 4 });
 * console.log(out.filter((_, i) => i % 3 === 0)); // Uint8Array [0, 50, 150, 200]
 * ```
 */
export function resizeInto(
  image: RgbImage,
  out: Uint8Array,
  offset: number,
  size: { readonly height: number; readonly width: number },
): void {
  const ys = spanMap(0, image.height, size.height);
  const xs = spanMap(0, image.width, size.width);
  sampleInto(image, ys, xs, size.height, size.width, false, out, offset);
}

/** A uniform float in [0, 1). */
function uniform(rng: Rng): number {
  return rng() / 4294967296;
}

/**
 * torchvision's `RandomResizedCrop.get_params`: up to 10 tries of a random area (`scale`)
 * and log-uniform aspect ratio (`ratio`) that fit the image, then a centre crop of the
 * whole image clamped to `ratio`.
 *
 * @example
 * ```ts
 * import { randomCropBox } from "./image_transforms.ts";
 * import { splitmix32 } from "./rng.ts";
 * const box = randomCropBox(500, 375, splitmix32(1));
 * console.log(box.left + box.width <= 500 && box.top + box.height <= 375); // true
 * ```
 */
export function randomCropBox(
  width: number,
  height: number,
  rng: Rng,
  options: RandomCropOptions = {},
): CropBox {
  const [sLo, sHi] = options.scale ?? [0.08, 1];
  const [rLo, rHi] = options.ratio ?? [3 / 4, 4 / 3];
  const area = width * height;
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * (sLo + (sHi - sLo) * uniform(rng));
    const aspect = Math.exp(Math.log(rLo) + (Math.log(rHi) - Math.log(rLo)) * uniform(rng));
    const w = Math.round(Math.sqrt(target * aspect));
    const h = Math.round(Math.sqrt(target / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const top = uniformInt(rng, height - h + 1);
      return { top, left: uniformInt(rng, width - w + 1), height: h, width: w };
    }
  }
  const inRatio = width / height;
  const w = inRatio < rLo ? width : inRatio > rHi ? Math.round(height * rHi) : width;
  const h = inRatio < rLo ? Math.round(width / rLo) : height;
  return {
    top: Math.floor((height - h) / 2),
    left: Math.floor((width - w) / 2),
    height: h,
    width: w,
  };
}

/**
 * Crops `box` out of the image and resizes it to size x size, mirrored left-right when
 * `flip`, into `out` at `offset`.
 *
 * @example
 * ```ts
 * import { cropResizeInto } from "./image_transforms.ts";
 * const image = { data: new Uint8Array(4 * 4 * 3).fill(9), width: 4, height: 4 };
 * const out = new Uint8Array(2 * 2 * 3);
 * cropResizeInto(image, { top: 1, left: 1, height: 2, width: 2 }, out, 0, { size: 2, flip: true });
 * console.log(out[0]); // 9
 * ```
 */
export function cropResizeInto(
  image: RgbImage,
  box: CropBox,
  out: Uint8Array,
  offset: number,
  options: { readonly size: number; readonly flip?: boolean },
): void {
  const ys = spanMap(box.top, box.height, options.size);
  const xs = spanMap(box.left, box.width, options.size);
  sampleInto(image, ys, xs, options.size, options.size, options.flip ?? false, out, offset);
}

/**
 * The training transform: {@link randomCropBox}, resized to size x size, then mirrored
 * with probability 1/2 (the coin is drawn after the box, as torchvision does).
 *
 * @example
 * ```ts
 * import { trainTransformInto } from "./image_transforms.ts";
 * import { splitmix32 } from "./rng.ts";
 * const image = { data: new Uint8Array(40 * 30 * 3).fill(7), width: 40, height: 30 };
 * const out = new Uint8Array(16 * 16 * 3);
 * trainTransformInto(image, splitmix32(3), out, 0, { size: 16 });
 * console.log(out.every((v) => v === 7)); // true
 * ```
 */
export function trainTransformInto(
  image: RgbImage,
  rng: Rng,
  out: Uint8Array,
  offset: number,
  options: RandomCropOptions = {},
): void {
  const box = randomCropBox(image.width, image.height, rng, options);
  const flip = uniformInt(rng, 2) === 1;
  cropResizeInto(image, box, out, offset, { size: options.size ?? 224, flip });
}

/** Python's round(): halves go to the even neighbour (torchvision's centre crop uses it). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The evaluation transform: the shorter side resized to `resize` (the longer one to
 * floor(resize * long / short)), then the centre size x size crop, computed in one pass
 * (only the cropped pixels are interpolated).
 *
 * @example
 * ```ts
 * import { evalTransformInto } from "./image_transforms.ts";
 * const image = { data: new Uint8Array(50 * 40 * 3).fill(200), width: 50, height: 40 };
 * const out = new Uint8Array(8 * 8 * 3);
 * evalTransformInto(image, out, 0, { size: 8, resize: 10 });
 * console.log(out[0]); // 200
 * ```
 */
export function evalTransformInto(
  image: RgbImage,
  out: Uint8Array,
  offset: number,
  options: EvalOptions = {},
): void {
  const { size = 224, resize = 256 } = options;
  if (resize < size) throw new RangeError(`resize ${resize} is smaller than the crop ${size}`);
  const { width, height } = image;
  const rh = width <= height ? Math.floor((resize * height) / width) : resize;
  const rw = width <= height ? resize : Math.floor((resize * width) / height);
  const axis = (crop: number, resized: number, source: number): AxisMap => {
    const step = source / resized;
    return { start: (crop + 0.5) * step - 0.5, step, lo: 0, hi: source - 1 };
  };
  const ys = axis(roundHalfEven((rh - size) / 2), rh, height);
  const xs = axis(roundHalfEven((rw - size) / 2), rw, width);
  sampleInto(image, ys, xs, size, size, false, out, offset);
}
