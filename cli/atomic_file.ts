/**
 * A text file replaced atomically: written to a temporary file beside it, flushed, renamed
 * over it. A kill or a full disk leaves the old file (or none), never half of the new one.
 * @module
 */
import { Stop } from "./stop.ts";

/**
 * Writes `text` to `path` atomically; a failure removes the temporary file and throws a
 * {@linkcode Stop} naming `path`, what it holds (`what`) and the system's reason.
 *
 * @example
 * ```ts
 * import { writeTextAtomic } from "./atomic_file.ts";
 * await writeTextAtomic("runs/r/summary.json", "{}\n", "the run's summary");
 * ```
 */
export async function writeTextAtomic(path: string, text: string, what: string): Promise<void> {
  const temp = `${path}.tmp-${crypto.randomUUID()}`;
  try {
    using file = await Deno.open(temp, { write: true, createNew: true });
    const bytes = new TextEncoder().encode(text);
    for (let n = 0; n < bytes.length;) n += await file.write(bytes.subarray(n));
    await file.sync();
    await Deno.rename(temp, path);
  } catch (e) {
    await Deno.remove(temp).catch(() => undefined);
    const why = e instanceof Error ? e.message.replace(/ \(os error \d+\).*$/, "") : String(e);
    throw new Stop(`${path}: cannot write ${what}: ${why.toLowerCase()}`);
  }
}
