/**
 * Runs the PyTorch CPU reference (`../shared/peers/pytorch_cpu_bench.py`) for a model, so a
 * benchmark can report our throughput as a ratio to it, measured in the same run.
 * @module
 */
import * as E from "fp-ts/Either";
import { fileURLToPath } from "node:url";

/** What the reference printed. */
export interface PeerResult {
  readonly peer: string;
  readonly model: string;
  readonly threads: number;
  readonly batch: number;
  readonly train_img_s: number;
  readonly infer_img_s: number;
}

/** The reference could not run here. */
export interface PeerUnavailable {
  readonly _tag: "PeerUnavailable";
  readonly message: string;
}

/** The peer script beside the repository (shared/ is a sibling of the checkout). */
export const DEFAULT_PEER_SCRIPT = fileURLToPath(
  new URL("../../shared/peers/pytorch_cpu_bench.py", import.meta.url),
);

/** Debian's interpreter, which `apt-get install python3-torch` serves, before any other. */
const PYTHON = (() => {
  try {
    return Deno.statSync("/usr/bin/python3").isFile ? "/usr/bin/python3" : "python3";
  } catch {
    return "python3";
  }
})();

/**
 * The models the reference script defines as ours are (it would build a CIFAR ResNet for
 * "resnet50", and knows neither AlexNet, DenseNet nor the SE network).
 */
export const PEER_MODELS: readonly string[] = [
  "cifarnet",
  "resnet20",
  "resnet32",
  "resnet56",
  "resnet110",
];

/**
 * Runs the reference script once and parses its JSON line; a model outside
 * {@link PEER_MODELS} is `PeerUnavailable`.
 *
 * @example
 * ```ts
 * const r = await runPeer({ model: "resnet20", batch: 64, seconds: 10 });
 * ```
 */
export async function runPeer(options: {
  readonly model: string;
  readonly batch: number;
  readonly seconds: number;
  readonly threads?: number;
  readonly script?: string;
}): Promise<E.Either<PeerUnavailable, PeerResult>> {
  if (!PEER_MODELS.includes(options.model)) {
    const message = `the reference script has no ${options.model} (it has ${
      PEER_MODELS.join(", ")
    })`;
    return E.left({ _tag: "PeerUnavailable", message });
  }
  const script = options.script ?? DEFAULT_PEER_SCRIPT;
  const args = [script, "--model", options.model, "--batch", String(options.batch)];
  args.push("--seconds", String(options.seconds), "--threads", String(options.threads ?? 2));
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(PYTHON, { args, stdout: "piped", stderr: "piped" })
      .output();
  } catch (e) {
    return E.left({ _tag: "PeerUnavailable", message: `${PYTHON} did not start: ${e}` });
  }
  const text = new TextDecoder().decode(output.stdout).trim().split("\n").pop() ?? "";
  if (!output.success) {
    const err = new TextDecoder().decode(output.stderr).trim().split("\n").pop();
    const hint = /No module named 'torch'|can't open file/.test(err ?? "")
      ? " (install: apt-get install -y python3-torch libopenblas0-pthread)"
      : "";
    return E.left({ _tag: "PeerUnavailable", message: `${script}: ${err}${hint}` });
  }
  try {
    return E.right(JSON.parse(text) as PeerResult);
  } catch {
    return E.left({ _tag: "PeerUnavailable", message: `${script} printed no JSON: ${text}` });
  }
}
