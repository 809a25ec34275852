/**
 * Mutations of a stored snapshot's files (`model.json`, `snapshot.json`, `weights.bin`),
 * each making the snapshot unreadable: `readSnapshot` must refuse it by file name.
 * @module
 */
import type { Random } from "./_fuzz.ts";

/** The three files of a stored snapshot. */
export interface StoredFiles {
  readonly "model.json": Uint8Array;
  readonly "snapshot.json": Uint8Array;
  readonly "weights.bin": Uint8Array;
}

/** One input: a file replaced, and what the error must name. */
export interface StoreCase {
  readonly kind: string;
  readonly file: keyof StoredFiles;
  readonly bytes: Uint8Array;
  /** Files the error may name (one of them must appear). */
  readonly blame: ReadonlyArray<keyof StoredFiles>;
  readonly mention?: string | RegExp;
}

const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const parse = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b));

/** Flips one bit at a random byte of `bytes` (a copy). */
export function flipBit(bytes: Uint8Array, r: Random): { bytes: Uint8Array; at: number } {
  const out = bytes.slice();
  const at = r.int(out.length);
  out[at] ^= 1 << r.int(8);
  return { bytes: out, at };
}

const META_FIELDS: ReadonlyArray<readonly [string, ReadonlyArray<unknown>]> = [
  ["id", [7, null, "", "abc", "0".repeat(64)]],
  ["parent", [7, true, {}]],
  ["stage", [7, null, []]],
  ["seed", ["1", null, "1e999"]],
  ["metrics", ["x", [1], { top1: "high" }, null]],
  ["backend", ["cpu", null, { name: "cpu" }]],
  ["versions", [null, "1.0", { oicsr: 1 }]],
  ["createdAt", [0, null, {}]],
];

/** A mutation of each file, each provably invalid (see the notes on each). */
export const STORE_MUTATORS: ReadonlyArray<(f: StoredFiles, r: Random) => StoreCase | null> = [
  // weights.bin: any change is caught by the content hash (sha256 has no collisions here).
  (f, r) => ({ kind: "weights.bin bit flip", file: "weights.bin", ...flip(f["weights.bin"], r) }),
  (f, r) => {
    const w = f["weights.bin"], n = r.int(w.length);
    const bytes = r.int(2)
      ? w.slice(0, n)
      : new Uint8Array([...w, ...new Uint8Array(1 + r.int(8))]);
    return {
      kind: "weights.bin size",
      file: "weights.bin",
      bytes,
      blame: ["weights.bin", "model.json"],
    };
  },
  (f, r) => {
    const bytes = f["weights.bin"].slice();
    new DataView(bytes.buffer).setUint32(
      4 * r.int(bytes.length / 4),
      r.pick([0x7fc00000, 0x7f800000]),
      true,
    );
    return { kind: "weights.bin NaN/Inf", file: "weights.bin", bytes, blame: ["weights.bin"] };
  },
  // model.json: a flip is counted only when it changes what the id hashes (or breaks the JSON).
  (f, r) => {
    const { bytes } = flip(f["model.json"], r);
    let changed = true;
    try {
      const [a, b] = [parse(bytes), parse(f["model.json"])];
      changed = JSON.stringify([a.modelTopology, a.weightsManifest]) !==
        JSON.stringify([b.modelTopology, b.weightsManifest]);
    } catch { /* not JSON: invalid */ }
    return changed
      ? {
        kind: "model.json bit flip",
        file: "model.json",
        bytes,
        blame: ["model.json", "weights.bin"],
      }
      : null;
  },
  (f, r) => {
    const m = f["model.json"];
    return {
      kind: "model.json truncated",
      file: "model.json",
      bytes: m.slice(0, r.int(m.length - 1)),
      blame: ["model.json"],
    };
  },
  (f, r) => {
    const j = parse(f["model.json"]);
    const how = r.int(4);
    if (how === 0) {
      j.weightsManifest[0].paths = [r.pick(["../weights.bin", "/etc/passwd", "w.bin"])];
    } else if (how === 1) {
      j.weightsManifest[0].weights[1].name = j.weightsManifest[0].weights[0].name;
    } else if (how === 2) j.weightsManifest[0].weights[0].shape = [1e6, 1e6, 1e3];
    else delete j[r.pick(["modelTopology", "weightsManifest"])];
    return {
      kind: "model.json edited",
      file: "model.json",
      bytes: encode(j),
      blame: ["model.json", "weights.bin"],
    };
  },
  // snapshot.json: JSON cut before its closing brace, or a field of the wrong type.
  (f, r) => {
    const s = f["snapshot.json"], end = new TextDecoder().decode(s).lastIndexOf("}");
    return {
      kind: "snapshot.json truncated",
      file: "snapshot.json",
      bytes: s.slice(0, r.int(end)),
      blame: ["snapshot.json"],
    };
  },
  (f, r) => {
    const j = parse(f["snapshot.json"]);
    const [key, values] = r.pick(META_FIELDS);
    const value = r.pick(values);
    if (r.int(5) === 0) delete j[key];
    else j[key] = value;
    const text = JSON.stringify(j).replace('"1e999"', "1e999");
    return {
      kind: "snapshot.json field",
      file: "snapshot.json",
      bytes: new TextEncoder().encode(text),
      blame: ["snapshot.json"],
      mention: key,
    };
  },
];

function flip(bytes: Uint8Array, r: Random) {
  return { bytes: flipBit(bytes, r).bytes, blame: ["weights.bin"] as const };
}
