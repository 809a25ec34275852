/**
 * Mutations of a valid tfjs LayersModel (`model.json` + `weights.bin`), each of which
 * makes it invalid: a file the import must refuse with an error naming the file (and
 * the field, or the byte offset). Used by the fuzz tests.
 * @module
 */
import type { Random } from "./_fuzz.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/** A valid model's files, parsed. */
export interface BaseModel {
  readonly json: Json;
  readonly weights: Uint8Array;
  readonly functional: boolean;
  /** Absolute path the weights will have, for the absolute-path mutation. */
  readonly weightsPath: string;
}

/** One fuzz input: the files to write and what its error must name. */
export interface Mutated {
  readonly kind: string;
  /** New model.json text (the base's when absent). */
  readonly text?: string;
  readonly weights?: Uint8Array;
  /** Which file the error may name. */
  readonly blame: ReadonlyArray<"model.json" | "weights.bin">;
  /** Something else the message must contain: the field or what is wrong. */
  readonly mention?: string | RegExp;
  /** What was changed, for a failure's report. */
  readonly detail?: string;
}

const layersOf = (j: Json): Json[] => j.modelTopology.config.layers;
const nameOf = (l: Json): string => l.name ?? l.config.name;
const MODEL: Mutated["blame"] = ["model.json"];
const EITHER: Mutated["blame"] = ["model.json", "weights.bin"];

/** A field the import validates: its holder, key, JSON type and a substring of its path. */
interface Field {
  readonly holder: Json;
  readonly key: string | number;
  readonly type: "string" | "number" | "boolean" | "array" | "object" | "window";
  readonly at: string;
}

function fields(j: Json, functional: boolean): Field[] {
  const out: Field[] = [];
  const add = (holder: Json, key: string | number, type: Field["type"], at: string) => {
    if (holder !== undefined && holder !== null && holder[key] !== undefined) {
      out.push({ holder, key, type, at });
    }
  };
  add(j, "modelTopology", "object", "modelTopology");
  add(j, "weightsManifest", "array", "weightsManifest");
  const top = j.modelTopology;
  add(top, "class_name", "string", "modelTopology");
  add(top, "config", "object", "modelTopology");
  add(top.config, "layers", "array", "modelTopology");
  add(top.config, "input_layers", "array", "modelTopology");
  add(top.config, "output_layers", "array", "modelTopology");
  layersOf(j).forEach((l, i) => {
    const at = `layers.${i}`;
    add(l, "class_name", "string", at);
    add(l, "config", "object", at);
    add(l.config, "name", "string", at);
    if (functional) add(l, "name", "string", at), add(l, "inbound_nodes", "array", at);
    for (const key of ["filters", "units"]) add(l.config, key, "number", at);
    for (const key of ["kernel_size", "strides"]) add(l.config, key, "window", at);
    add(l.config, "padding", "string", at);
    add(l.config, "use_bias", "boolean", at);
  });
  j.weightsManifest.forEach((g: Json, gi: number) => {
    add(g, "paths", "array", "weightsManifest");
    add(g.paths, 0, "string", `weightsManifest.${gi}.paths.0`);
    add(g, "weights", "array", "weightsManifest");
    g.weights.forEach((w: Json) => {
      add(w, "name", "string", "weightsManifest");
      add(w, "shape", "array", "weightsManifest");
      add(w.shape, 0, "number", "weightsManifest");
      add(w, "dtype", "string", "weightsManifest");
    });
  });
  return out;
}

const WRONG: Readonly<Record<Field["type"], ReadonlyArray<unknown>>> = {
  string: [7, null, true, {}, [], 1.5],
  number: ["3", null, true, [], {}, -1, 2.5, "NaN"],
  boolean: ["true", 1, null, [], {}],
  array: ["x", 3, {}, null, true],
  object: ["x", 3, [], null, true],
  window: ["x", {}, null, true, [0, 0], [-1, 2], [1.5, 1], 0],
};

type Mutator = (base: BaseModel, r: Random, j: Json) => Mutated;

const text = (j: Json) => JSON.stringify(j);

/** Every mutation kind, each making the files invalid. */
export const MODEL_MUTATORS: Readonly<Record<string, Mutator>> = {
  truncated: (_b, r, j) => {
    const full = text(j);
    return { kind: "truncated", text: full.slice(0, r.int(full.length)), blame: MODEL };
  },
  "not JSON": (_b, r) => {
    const junk = ["", "null", "[]", "42", '"model"', "\xff\xfe{", "{}", '{"modelTopology":{}}'];
    const bytes = Array.from({ length: 1 + r.int(40) }, () => String.fromCharCode(r.int(256)));
    return { kind: "not JSON", text: r.int(3) === 0 ? bytes.join("") : r.pick(junk), blame: MODEL };
  },
  "wrong type": (b, r, j) => {
    const f = r.pick(fields(j, b.functional));
    const value = r.pick(WRONG[f.type]);
    f.holder[f.key] = value;
    const detail = `${f.at} ${String(f.key)} = ${JSON.stringify(value)}`;
    return { kind: "wrong type", text: text(j), blame: MODEL, mention: f.at, detail };
  },
  "missing field": (b, r, j) => {
    const f = r.pick(
      fields(j, b.functional).filter((f) =>
        !["padding", "use_bias", "strides"].includes(String(f.key))
      ),
    );
    if (Array.isArray(f.holder)) f.holder.splice(Number(f.key), 1, undefined);
    else delete f.holder[f.key];
    const detail = `${f.at} ${String(f.key)}`;
    return { kind: "missing field", text: text(j), blame: MODEL, mention: f.at, detail };
  },
  "wrong weight shape": (_b, r, j) => {
    const w = r.pick(j.weightsManifest[0].weights as Json[]);
    const s: number[] = w.shape;
    const how = r.int(3);
    if (how === 0) s[r.int(s.length)] += 1 + r.int(3);
    else if (how === 1) s.push(2 + r.int(3));
    else if (s.length > 1 && new Set(s).size > 1) {
      let a = 0, c = 1;
      while (s[a] === s[c]) a = r.int(s.length), c = r.int(s.length);
      [s[a], s[c]] = [s[c], s[a]];
    } else s[0] += 1;
    return { kind: "wrong weight shape", text: text(j), blame: EITHER };
  },
  "wrong layer size": (_b, r, j) => {
    const sized = layersOf(j).filter((l) => "filters" in l.config || "units" in l.config);
    const l = r.pick(sized);
    const key = "filters" in l.config ? "filters" : "units";
    const how = r.int(3);
    if (how === 0) l.config[key] += 1 + r.int(5);
    else if (how === 1 && key === "filters") l.config.kernel_size = [5, 5];
    else {
      const input = layersOf(j)[0].config;
      input.batch_input_shape = [null, 32, 32, 1 + 3 + r.int(5)];
    }
    return { kind: "wrong layer size", text: text(j), blame: MODEL };
  },
  "unknown layer": (_b, r, j) => {
    const l = r.pick(layersOf(j));
    l.class_name = `NoSuchLayer${r.int(1000)}`;
    return { kind: "unknown layer", text: text(j), blame: MODEL, mention: "NoSuchLayer" };
  },
  "duplicate layer name": (b, r, j) => {
    const ls = layersOf(j), i = r.int(ls.length - 1), k = i + 1 + r.int(ls.length - 1 - i);
    if (b.functional) ls[k].name = ls[i].name;
    ls[k].config.name = nameOf(ls[i]);
    return {
      kind: "duplicate layer name",
      text: text(j),
      blame: MODEL,
      mention: /unique layer name|appears twice|layers\./,
    };
  },
  "duplicate weight name": (_b, r, j) => {
    const ws = j.weightsManifest[0].weights, i = r.int(ws.length - 1);
    ws[i + 1 + r.int(ws.length - 1 - i)].name = ws[i].name;
    return { kind: "duplicate weight name", text: text(j), blame: MODEL, mention: "appears twice" };
  },
  "huge dimension": (_b, r, j) => {
    const ls = layersOf(j);
    const convs = ls.filter((l) => l.class_name === "Conv2D");
    const how = r.int(5);
    if (how === 0) r.pick(convs).config.filters = r.pick([1e9, 2 ** 31, 1e15]);
    else if (how === 1) r.pick(convs).config.kernel_size = [1e6, 1e6];
    else if (how === 2) ls.find((l) => l.class_name === "Dense").config.units = 1e9;
    else if (how === 3) ls[0].config.batch_input_shape = [null, 1e6, 1e6, 3];
    else r.pick(j.weightsManifest[0].weights as Json[]).shape = [1e6, 1e6, 1e3];
    return { kind: "huge dimension", text: text(j), blame: EITHER };
  },
  "NaN or Inf weight": (b, r) => {
    const weights = b.weights.slice();
    const view = new DataView(weights.buffer);
    const bits = r.pick([0x7fc00000, 0x7f800000, 0xff800000, 0x7f800001, 0xffffffff]);
    const offset = 4 * r.int(weights.length / 4);
    view.setUint32(offset, bits, true);
    return {
      kind: "NaN or Inf weight",
      weights,
      blame: ["weights.bin"],
      mention: `byte offset ${offset}`,
    };
  },
  "weights.bin size": (b, r) => {
    const cut = r.int(2) === 0;
    const weights = cut
      ? b.weights.slice(0, r.int(b.weights.length))
      : new Uint8Array([...b.weights, ...new Uint8Array(1 + r.int(9))]);
    return { kind: "weights.bin size", weights, blame: ["weights.bin"], mention: /bytes/ };
  },
  "path out of the folder": (b, r, j) => {
    const path = r.pick([
      "../weights.bin",
      b.weightsPath,
      "http://example.com/weights.bin",
      "file:///etc/passwd",
      "sub/../../weights.bin",
      "C:weights.bin",
    ]);
    j.weightsManifest[0].paths[0] = path;
    return {
      kind: "path out of the folder",
      text: text(j),
      blame: MODEL,
      mention: "weightsManifest[0].paths[0]",
    };
  },
  "bad dtype": (_b, r, j) => {
    const w = r.pick(j.weightsManifest[0].weights as Json[]);
    if (r.int(4) === 0) w.quantization = { dtype: "uint8", scale: 1, min: 0 };
    else w.dtype = r.pick(["float16", "string", "complex64", "bool", "uint8", "FLOAT32"]);
    return { kind: "bad dtype", text: text(j), blame: MODEL, mention: /dtype|quantis/ };
  },
  "bad format": (_b, r, j) => {
    j.format = r.pick(["graph-model", "tfjs-graph-model", "keras", ""]);
    return { kind: "bad format", text: text(j), blame: MODEL, mention: "format" };
  },
};

/** Mutations of a functional model's links only. */
export const FUNCTIONAL_MUTATORS: Readonly<Record<string, Mutator>> = {
  cycle: (_b, r, j) => {
    const ls = layersOf(j), i = 1 + r.int(ls.length - 1), k = i + r.int(ls.length - i);
    ls[i].inbound_nodes[0][0][0] = ls[k].name;
    return { kind: "cycle", text: text(j), blame: MODEL, mention: "does not feed itself" };
  },
  "dangling reference": (_b, r, j) => {
    const ls = layersOf(j), i = 1 + r.int(ls.length - 1), how = r.int(3);
    if (how === 0) ls[i].inbound_nodes[0][0][0] = `ghost${r.int(99)}`;
    else if (how === 1) ls[i].inbound_nodes[0][0][1] = 1 + r.int(5);
    else j.modelTopology.config.output_layers[0][0] = "ghost";
    return { kind: "dangling reference", text: text(j), blame: MODEL, mention: /layers/ };
  },
};
