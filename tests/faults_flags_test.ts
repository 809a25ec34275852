/**
 * Issue 7, guarantee 5: every flag of `deno task prune`, `baseline`, `ablate` and `bench` is
 * validated before any work starts: one line saying what is wrong and what is allowed,
 * exit code 2, no backend started and no data loaded.
 */
import assert from "node:assert/strict";
import * as E from "fp-ts/Either";
import { join } from "node:path";
import { checkAblateOptions, parseAblateOptions } from "../cli/ablate_options.ts";
import { parseBenchOptions } from "../cli/bench_options.ts";
import { type BadFlag, givenFlags } from "../cli/flags.ts";
import { FLAGS, parseOptions } from "../cli/options.ts";
import { preflight } from "../cli/preflight.ts";
import { writeSnapshot } from "../snapshot/store.ts";
import * as tf from "@tensorflow/tfjs";
import { smallSnapshot } from "./_fixtures.ts";
import { runCommand, withTempDir } from "./_helpers.ts";

type Command = "prune" | "baseline" | "ablate" | "bench";

/** The first error the command's checks give for `args`, or null when they pass. */
async function refusal(command: Command, args: string[]): Promise<string | null> {
  let r: E.Either<BadFlag, unknown>;
  if (command === "bench") r = parseBenchOptions(args);
  else if (command === "ablate") {
    const parsed = parseAblateOptions(args);
    r = E.isLeft(parsed) ? parsed : await checkAblateOptions(parsed.right, args);
  } else {
    const parsed = parseOptions(args);
    r = E.isLeft(parsed) ? parsed : await preflight(parsed.right, givenFlags(args, FLAGS), command);
  }
  return E.isLeft(r) ? r.left.message : null;
}

/** Bad flag sets: the command, the arguments (`@` is a temporary folder), what the line says. */
const CASES: ReadonlyArray<readonly [Command, string[], RegExp]> = [
  ["prune", ["--target-flops", "1.5"], /^--target-flops: expected a number in \(0, 1\], got 1\.5$/],
  ["prune", ["--target-flops", "0"], /^--target-flops: expected a number in \(0, 1\], got 0$/],
  ["prune", ["--step", "0"], /^--step: expected a number in \(0, 1\], got 0$/],
  ["prune", ["--cap", "-1"], /^--cap: expected a number in \(0, 1\], got -1$/],
  ["prune", ["--cap", "2"], /^--cap: expected a number in \(0, 1\], got 2$/],
  ["prune", ["--lambda", "-1"], /^--lambda: expected a number >= 0, got -1$/],
  ["prune", ["--lr", "0"], /^--lr: expected a number > 0, got 0$/],
  ["prune", ["--prune-lr", "x"], /^--prune-lr: expected a number > 0, got not a number$/],
  ["prune", ["--channel-multiple", "0"], /^--channel-multiple: expected a positive integer/],
  ["prune", ["--max-iterations", "1.5"], /^--max-iterations: expected a positive integer/],
  ["prune", ["--reg-epochs", "-0.5"], /^--reg-epochs: expected a number >= 0, got -0\.5$/],
  ["prune", ["--batch-size", "0"], /^--batch-size: expected a positive integer, got 0$/],
  ["prune", ["--momentum", "1"], /^--momentum: expected a number in \[0, 1\), got 1$/],
  ["prune", ["--model", "vgg16"], /^--model: expected one of cifarnet, .*resnet50, or the path/],
  ["prune", ["--data", "mnist"], /^--data: expected one of cifar10, cifar10-bin, cifar100, imag/],
  ["prune", ["--regularizer", "l3"], /^--regularizer: expected one of oicsr-gl, .*got "l3"$/],
  ["prune", ["--backend", "tpu"], /^--backend: expected one of auto, webgpu, wasm, cpu/],
  ["prune", ["--normalise", "max"], /^--normalise: expected one of none, mean, got "max"$/],
  ["prune", ["--frobnicate"], /^Unknown option '--frobnicate' \(--help lists the flags\)$/],
  ["prune", ["--epochs"], /^Option '--epochs <value>' argument missing/],
  ["prune", ["--model", "@/none/model.json"], /^--model: @\/none\/model\.json: no such file/],
  ["prune", ["--data", "cifar100", "--data-dir", "@/x"], /^--data-dir: @\/x: no such folder$/],
  ["prune", ["--data", "imagenet"], /^--data imagenet needs --data-dir/],
  ["prune", ["--data-dir", "@"], /^--data-dir: --data cifar10 reads the npm package/],
  ["prune", ["--labels", "coarse"], /^--labels: only --data cifar100 has fine and coarse/],
  ["prune", ["--from", "abcd", "--store", "@"], /^--from: @: no snapshot id starts with "abcd"$/],
  ["prune", ["--from", "xyz!", "--store", "@"], /^--from: .*"xyz!"/],
  ["prune", ["--resume", "@"], /^--resume: @\/run\.json: no such file \(is this a run folder\?\)/],
  ["prune", ["--resume", "@", "--from", "abcd"], /^--from: --resume continues the run with/],
  ["prune", ["--resume", "@", "--target-flops", "0.5"], /^--target-flops: --resume continues/],
  ["prune", ["--model", "resnet20", "--from", "abcd"], /^--model and --from contradict/],
  ["prune", ["--regularizer", "none", "--lambda", "1"], /^--lambda weighs the regularizer/],
  ["prune", ["--publish", "@"], /^--publish: only deno task baseline publishes a baseline$/],
  [
    "prune",
    ["--train-limit", "32"],
    /^--train-limit 32 holds less than one batch of --batch-size 64/,
  ],
  ["prune", ["--out", "@/file"], /^--out: @\/file is a file; --out takes a run folder$/],
  ["baseline", ["--epochs", "0"], /^--epochs: expected a positive integer, got 0$/],
  ["baseline", ["--target-flops", "0.5"], /^--target-flops: deno task baseline trains a dense/],
  ["baseline", ["--from", "abcd"], /^--from: deno task baseline trains a dense model/],
  ["baseline", ["--explain"], /^--explain: deno task baseline/],
  ["baseline", ["--model", "@/m.json"], /^--model: @\/m\.json: no such file/],
  ["baseline", ["--data", "cifar10-bin"], /^--data cifar10-bin needs --data-dir/],
  ["ablate", ["--target", "1"], /^--target: expected a number in \(0, 1\), got 1$/],
  ["ablate", ["--cap", "0"], /^--cap: expected a number in \(0, 1\), got 0$/],
  ["ablate", ["--regularizers", "l1,l1"], /^--regularizers: expected a comma-separated list/],
  ["ablate", ["--budget", "0"], /^--budget: expected a number > 0, got 0$/],
  ["ablate", ["--model", "vgg"], /^--model: expected one of cifarnet/],
  ["ablate", ["--model", "@/m.json"], /^--model: @\/m\.json: no such file/],
  ["ablate", ["--lambda", "1e-4", "--budget", "0.5"], /^--lambda and --budget contradict/],
  ["ablate", ["--train-limit", "8"], /^--train-limit 8 holds less than one batch/],
  ["bench", ["--batch", "0"], /^--batch: expected a positive integer, got 0$/],
  ["bench", ["--seconds", "-1"], /^--seconds: expected a number > 0, got -1$/],
  ["bench", ["--model", "cifarnet,vgg"], /^--model: expected a comma-separated list of models/],
  ["bench", ["--backend", "tpu"], /^--backend: expected a comma-separated list of backends/],
  ["bench", ["--threads", "0"], /^--threads: expected a positive integer, got 0$/],
  ["bench", ["--graph", "--compact"], /^--graph, --compact: give at most one of --profile/],
  ["bench", ["--memory", "--backend", "wasm,cpu"], /^--memory measures one model on one/],
  ["bench", ["--modle", "cifarnet"], /^Unknown option '--modle'/],
];

/** `@` in the arguments and the expected line is the temporary folder. */
const at = (dir: string) => (s: string) => s.replaceAll("@", dir);

Deno.test("every command refuses each bad flag set with one line saying what is allowed", async () => {
  await withTempDir("faults-flags-", async (dir) => {
    await Deno.writeTextFile(join(dir, "file"), "not a folder");
    for (const [command, args, expected] of CASES) {
      const message = await refusal(command, args.map(at(dir)));
      assert.ok(message !== null, `${command} ${args.join(" ")} must be refused`);
      assert.doesNotMatch(message, /\n/, "one line");
      const pattern = new RegExp(at(dir)(expected.source));
      assert.match(message, pattern, `${command} ${args.join(" ")}`);
    }
  });
});

Deno.test("the checks pass good flags, and --from resolves a stored prefix to the full id", async () => {
  await withTempDir("faults-flags-", async (dir) => {
    await tf.setBackend("cpu");
    const snapshot = await smallSnapshot();
    const id = snapshot.meta.id;
    assert.ok(E.isRight(await writeSnapshot(dir, snapshot)()));
    for (const command of ["prune", "baseline"] as const) {
      assert.equal(await refusal(command, ["--epochs", "1", "--train-limit", "64"]), null);
    }
    assert.equal(await refusal("ablate", ["--lambda", "1e-4"]), null);
    assert.equal(
      await refusal("bench", ["--backend", "wasm", "--memory", "--model", "resnet20"]),
      null,
    );
    const args = ["--from", id.slice(0, 8), "--store", dir];
    const o = parseOptions(args);
    assert.ok(E.isRight(o));
    const checked = await preflight(o.right, givenFlags(args, FLAGS), "prune");
    assert.ok(E.isRight(checked) && checked.right.from === id);
  });
});

/** A representative subset through the command line: the whole of stderr is the one line. */
const SUBPROCESS = [0, 3, 13, 20, 21, 25, 27, 28, 31, 37, 44, 47, 50, 54, 56];

Deno.test("the commands stop with exit code 2 and one line, before any backend or data", async () => {
  await withTempDir("faults-flags-", async (dir) => {
    await Deno.writeTextFile(join(dir, "file"), "not a folder");
    for (const i of SUBPROCESS) {
      const [command, args, expected] = CASES[i];
      const r = await runCommand(command, args.map(at(dir)));
      const what = `${command} ${args.join(" ")}`;
      assert.equal(r.code, 2, `${what}: ${r.stderr}`);
      assert.equal(r.stdout, "", what);
      assert.doesNotMatch(r.stderr, /backend:|data:|\n\s+at /, `${what}: no work started`);
      const lines = r.stderr.split("\n");
      assert.deepEqual([lines.length, lines[1]], [2, ""], `${what}: one line, got ${r.stderr}`);
      const pattern = new RegExp(at(dir)(expected.source));
      assert.match(lines[0], pattern, what);
    }
  });
});
