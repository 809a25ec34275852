/**
 * The shard paths of a user's weights manifest are untrusted: each must name a file
 * inside the model's folder. A URL, an absolute path, a `..` step, or a symbolic link that
 * leads out of the folder is refused, naming `model.json` and the field
 * (`weightsManifest[0].paths[1]`), before anything is opened.
 *
 * @module
 */
import { isAbsolute, join, relative, sep } from "node:path";
import type { InvalidModelJson } from "./errors.ts";

/** A URL scheme (`http:`, `file:`, `data:`, ...) at the start of a path. */
const URL_SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:/;

/**
 * Why a shard path written in a manifest is not a plain relative path inside the model's
 * folder, or undefined when it is one. Pure: it reads nothing.
 *
 * @example
 * ```ts
 * import { shardPathProblem } from "./manifest_paths.ts";
 * shardPathProblem("group1-shard1of1.bin"); // undefined
 * shardPathProblem("../secret.bin"); // 'it steps out of the folder with ".."'
 * shardPathProblem("https://example.com/w.bin"); // "it is a URL"
 * ```
 */
export function shardPathProblem(path: string): string | undefined {
  if (path === "") return "it is empty";
  if (path.includes("\0")) return "it holds a NUL character";
  if (URL_SCHEME.test(path)) return "it is a URL";
  if (isAbsolute(path) || path.startsWith("\\")) return "it is an absolute path";
  if (path.split(/[\\/]/).includes("..")) return 'it steps out of the folder with ".."';
  return undefined;
}

/**
 * The error for the shard path at `weightsManifest[group].paths[index]` of `modelPath`:
 * a syntactic problem (see {@linkcode shardPathProblem}), or a path that resolves through
 * a symbolic link to a file outside `dir`. A path that does not exist passes: reading it
 * reports that.
 *
 * @example
 * ```ts
 * import { checkShardPath } from "./manifest_paths.ts";
 * const e = await checkShardPath("m/model.json", "m", "/etc/passwd", [0, 1]);
 * e?.message; // 'm/model.json: field "weightsManifest[0].paths[1]" is "/etc/passwd": ...'
 * ```
 */
export async function checkShardPath(
  modelPath: string,
  dir: string,
  path: string,
  [group, index]: readonly [number, number],
): Promise<InvalidModelJson | undefined> {
  const field = `weightsManifest[${group}].paths[${index}]`;
  const refuse = (why: string): InvalidModelJson => ({
    _tag: "InvalidModelJson",
    path: modelPath,
    field,
    message: `${modelPath}: field "${field}" is ${JSON.stringify(path)}: ${why}; ` +
      `weight files must be named relative to the model's folder and lie inside it`,
  });
  const problem = shardPathProblem(path);
  if (problem !== undefined) return refuse(problem);
  let inside: string;
  try {
    const [folder, file] = await Promise.all([Deno.realPath(dir), Deno.realPath(join(dir, path))]);
    inside = relative(folder, file);
  } catch {
    return undefined; // absent or unreadable: the read names it
  }
  const escapes = inside === ".." || inside.startsWith(`..${sep}`) || isAbsolute(inside);
  return escapes ? refuse("it leads out of the model's folder through a symbolic link") : undefined;
}
