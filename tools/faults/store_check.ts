/**
 * What a fault campaign checks after every kill: the store holds only complete snapshots
 * whose content hashes to their id, and a run folder holds outputs that parse and match
 * the final snapshot.
 * @module
 */
import { join } from "node:path";
import { readJournal } from "../../cli/run_journal.ts";
import { TEMP_PREFIX } from "../../snapshot/fs.ts";
import { readSnapshot } from "../../snapshot/store.ts";

/** The store's entries by kind, and what is wrong with it (nothing, for a sound store). */
export interface StoreCheck {
  /** Ids of the snapshots that read back and verify. */
  readonly snapshots: readonly string[];
  /** Temporary directories (`.tmp-*`): never taken for snapshots. */
  readonly temporaries: readonly string[];
  /** One line per entry that is neither: each names its path. */
  readonly problems: readonly string[];
}

/**
 * Reads back every entry of the store: each temporary directory is set aside, every other
 * entry must be a snapshot that `readSnapshot` reads and verifies (its content hash is its
 * name). An absent store is empty.
 *
 * @example
 * ```ts
 * import { verifyStore } from "./store_check.ts";
 * const { snapshots, problems } = await verifyStore(".oicsr/store");
 * ```
 */
export async function verifyStore(store: string): Promise<StoreCheck> {
  const snapshots: string[] = [], temporaries: string[] = [], problems: string[] = [];
  let entries: Deno.DirEntry[] = [];
  try {
    entries = await Array.fromAsync(Deno.readDir(store));
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) problems.push(`${store}: cannot list (${e})`);
  }
  for (const e of entries.sort((a, b) => a.name < b.name ? -1 : 1)) {
    if (e.isDirectory && e.name.startsWith(TEMP_PREFIX)) {
      temporaries.push(e.name);
      continue;
    }
    const read = await readSnapshot(store, e.name)();
    if (read._tag === "Right") snapshots.push(e.name);
    else problems.push(read.left.message);
  }
  return { snapshots, temporaries, problems };
}

/**
 * Checks a finished run folder against the final snapshot id it must end at: `run.json`
 * done at that id, `summary.json` naming it, `model/model.json` parsing and
 * `model/weights.bin` byte-equal to the stored exported snapshot's (the final one or its
 * batch norms folded), `report.html` present, and no
 * temporary file left. Resolves to one line per problem (none for a sound folder).
 *
 * @example
 * ```ts
 * import { checkRunFolder } from "./store_check.ts";
 * const problems = await checkRunFolder("runs/r", ".oicsr/store", "400ccc80...");
 * ```
 */
export async function checkRunFolder(
  out: string,
  store: string,
  finalId: string,
): Promise<string[]> {
  const problems: string[] = [];
  const check = async (path: string, test: () => Promise<string | null>) => {
    try {
      const wrong = await test();
      if (wrong !== null) problems.push(`${path}: ${wrong}`);
    } catch (e) {
      problems.push(`${path}: ${e instanceof Error ? e.message : e}`);
    }
  };
  const id = (s: string) => s.slice(0, 12);
  await check(join(out, "run.json"), async () => {
    const j = await readJournal(out);
    if (j._tag === "Left") return j.left.message;
    const { phase, snapshot } = j.right.state;
    return phase === "done" && snapshot === finalId ? null : `${phase} at ${id(snapshot)}`;
  });
  await check(join(out, "summary.json"), async () => {
    const summary = JSON.parse(await Deno.readTextFile(join(out, "summary.json")));
    const got = String(summary?.final?.snapshot);
    return got === finalId ? null : `final snapshot ${id(got)}, expected ${id(finalId)}`;
  });
  await check(join(out, "model", "model.json"), async () => {
    const model = JSON.parse(await Deno.readTextFile(join(out, "model", "model.json")));
    return Array.isArray(model.weightsManifest) ? null : "no weightsManifest";
  });
  await check(join(out, "model", "weights.bin"), async () => {
    // The exported model is the final snapshot, or its batch norms folded (a child of it).
    // (A summary that does not parse is reported above; the final snapshot is compared then.)
    const exported = await Deno.readTextFile(join(out, "summary.json"))
      .then((text) => String(JSON.parse(text)?.exported?.snapshot ?? finalId))
      .catch(() => finalId);
    const meta = JSON.parse(await Deno.readTextFile(join(store, exported, "snapshot.json")));
    if (exported !== finalId && meta.parent !== finalId) {
      return `exports ${id(exported)}, which is not made from ${id(finalId)}`;
    }
    const got = await Deno.readFile(join(out, "model", "weights.bin"));
    const want = await Deno.readFile(join(store, exported, "weights.bin"));
    const same = got.length === want.length && got.every((b, i) => b === want[i]);
    return same ? null : `differs from the stored snapshot ${id(exported)}`;
  });
  await check(join(out, "report.html"), async () => {
    const html = await Deno.readTextFile(join(out, "report.html"));
    return html.includes("</html>") ? null : "incomplete";
  });
  await check(out, async () => {
    const left = (await Array.fromAsync(Deno.readDir(out))).map((e) => e.name)
      .filter((n) => n.startsWith(TEMP_PREFIX) || n.includes(".tmp-"));
    return left.length === 0 ? null : `temporary files left: ${left.join(", ")}`;
  });
  return problems;
}
