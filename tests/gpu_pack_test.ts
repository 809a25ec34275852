/**
 * The benchmark as `tools/gpu/pack.sh` bundles it for a GPU machine (no Deno project, no
 * node_modules there): it must build and run WebGPU from the single file alone.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runDeno } from "./_helpers.ts";

const noGpu = (await navigator.gpu?.requestAdapter()) == null;
const root = new URL("..", import.meta.url).pathname;

Deno.test({
  name: "the bundled bench runs WebGPU from a folder without the project, our kernels included",
  ignore: noGpu,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const bundle = join(dir, "bench.js");
      // The command tools/gpu/pack.sh runs.
      const built = await runDeno(
        ["bundle", "--quiet", "--platform", "deno", "--minify", "-o", bundle, "cli/bench.ts"],
        root,
      );
      assert.equal(built.code, 0, built.stderr);
      const run = await runDeno(
        ["run", "-A", bundle, "--backend", "webgpu", "--model", "cifarnet", "--batch", "2"]
          .concat(["--profile"]),
        dir,
      );
      assert.equal(run.code, 0, run.stderr);
      const dispatches = run.stdout.match(
        /WebGPU dispatches \(shaders run\) a training step: (\d+)/,
      );
      assert.ok(dispatches, run.stdout);
      // Our kernels are registered in the bundle: the profile names our optimizer's.
      assert.match(run.stdout, /OicsrSgdMomentum +[\d.]+ ms/, run.stdout);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
