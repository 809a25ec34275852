/**
 * `deno task prune`: prunes a trained model by OICSR (METHOD.md): the published baseline of
 * a zoo model, a user's model.json, or any stored snapshot (`--from`), through regularized
 * training, global greedy removal in iterations and fine-tuning; writes the compact model
 * in the tfjs LayersModel format, `summary.json` and `report.html`. `--explain` prints the
 * model's out-in-channel groups instead; `log` and `replay` read the store's lineage.
 * @module
 */
import * as E from "fp-ts/Either";
import { selectBackend } from "../backend/select_backend.ts";
import { outInGroups } from "../graph/out_in_groups.ts";
import { runtimeVersions } from "../snapshot/from_model.ts";
import { OICSR_VERSION } from "../version.ts";
import { explainText, explanation } from "./explain.ts";
import { logCommand } from "./lineage.ts";
import { classesOf, modelFacts, modelSnapshot } from "./load_model.ts";
import { givenFlags } from "./flags.ts";
import { FLAGS, helpText, isModelFile, parseOptions, type PruneOptions } from "./options.ts";
import { preflight } from "./preflight.ts";
import { pruneTable } from "./prune_outputs.ts";
import { pruneRun } from "./prune_run.ts";
import { replayCommand } from "./replay.ts";
import { applyResumeFixes } from "./resume_flags.ts";
import { orStop, reportStop, Stop } from "./stop.ts";

/** `--explain`: the groups of the model, as text or JSON; nothing is trained or written. */
async function explain(o: PruneOptions): Promise<string> {
  const versions = runtimeVersions(OICSR_VERSION);
  // Only a zoo model needs tfjs (to build it); nothing is trained, so the cpu backend does.
  const backend = isModelFile(o.model)
    ? { name: "none", adapter: "", threads: 0 }
    : orStop(await selectBackend("cpu"));
  const seeded = { classes: classesOf(o), seed: o.seed };
  const snapshot = orStop(await modelSnapshot(o.model, seeded, { backend, versions })());
  const analysis = outInGroups(snapshot);
  if (E.isLeft(analysis)) throw new Stop(`${o.model}: ${analysis.left.message}`);
  const result = explanation(modelFacts(snapshot, o.model), analysis.right);
  return o.json ? JSON.stringify(result) : explainText(result);
}

async function subcommand(name: string, rest: readonly string[]): Promise<number> {
  const store = ".oicsr/store";
  if (name === "log") {
    const r = await logCommand(rest, { store })();
    if (E.isRight(r)) return console.log(r.right), 0;
    return console.error(`error: ${r.left.message}`), r.left._tag === "BadLogArgs" ? 2 : 1;
  }
  const r = await replayCommand(rest, { store })();
  if (E.isLeft(r)) {
    return console.error(`error: ${r.left.message}`), r.left._tag === "BadReplayArgs" ? 2 : 1;
  }
  console.log(r.right.text);
  return r.right.exitCode;
}

async function main(args: readonly string[]): Promise<number> {
  if (args[0] === "log" || args[0] === "replay") return await subcommand(args[0], args.slice(1));
  const parsed = parseOptions(args);
  if (E.isRight(parsed) && parsed.right.help) return console.log(helpText()), 0;
  const given = givenFlags(args, FLAGS);
  // Every flag is checked, the file system's included, before a backend starts or data loads.
  const options = E.isLeft(parsed) ? parsed : await preflight(parsed.right, given, "prune");
  if (E.isLeft(options)) return console.error(options.left.message), 2;
  const o = options.right;
  try {
    if (o.explain) return console.log(await explain(o)), 0;
    const log = (line: string) => o.quiet || console.error(line);
    // A fixed --lr / --prune-lr / --lambda goes into run.json once the folder is locked.
    const summary = await pruneRun(o, log, async () => {
      for (const fix of await applyResumeFixes(o, given)) log(`resume: ${fix}`);
    });
    console.log(o.json ? JSON.stringify(summary) : pruneTable(summary));
    return 0;
  } catch (e) {
    return reportStop(e);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
