import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { selectBackend } from "../backend/select_backend.ts";
import {
  GOLDEN_COMMAND,
  GOLDEN_DIR,
  GOLDEN_OPTIONS,
  goldenIteration,
  type GoldenRecord,
  goldenRecord,
} from "../cli/golden.ts";
import { readSnapshot } from "../snapshot/store.ts";
import { testEnv } from "./_fixtures.ts";
import { expectRight } from "./_helpers.ts";

const REGENERATE = `If the change in behaviour is intended, regenerate the record with ` +
  `\`${GOLDEN_COMMAND}\` and commit tests/golden/ (see cli/golden.ts); if not, it is a bug.`;

const recorded: GoldenRecord = JSON.parse(await Deno.readTextFile(`${GOLDEN_DIR}record.json`));

Deno.test("the golden record was made with the options cli/golden.ts holds", () => {
  assert.deepEqual(
    JSON.parse(JSON.stringify(GOLDEN_OPTIONS)),
    recorded.options,
    `cli/golden.ts's GOLDEN_OPTIONS differ from tests/golden/record.json. ${REGENERATE}`,
  );
});

Deno.test("one pruning iteration from the golden snapshot gives the recorded ids, shapes and metrics", async () => {
  expectRight(await selectBackend("cpu"));
  const tensors = tf.memory().numTensors;
  const start = expectRight(await readSnapshot(`${GOLDEN_DIR}store`, recorded.start)());
  const { pruned, trained } = expectRight(await goldenIteration(start, testEnv())());
  const got = goldenRecord(start, pruned, trained);
  for (const key of ["pruned", "trained"] as const) {
    assert.deepEqual(
      got[key],
      recorded[key],
      `The golden pruning iteration (cpu backend) no longer reproduces tests/golden/record.json: ` +
        `the ${key} snapshot differs (ids ${got[key].id.slice(0, 12)} vs ` +
        `${recorded[key].id.slice(0, 12)}). ${REGENERATE}`,
    );
  }
  assert.equal(tf.memory().numTensors, tensors);
});
