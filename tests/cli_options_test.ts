import assert from "node:assert/strict";
import * as E from "fp-ts/Either";
import { flagName, helpText, parseOptions } from "../cli/options.ts";

function message(args: string[]): string {
  const result = parseOptions(args);
  assert.ok(E.isLeft(result), `${args.join(" ")} must be refused`);
  return result.left.message;
}

Deno.test("parseOptions() fills every default", () => {
  const result = parseOptions([]);
  assert.ok(E.isRight(result));
  assert.equal(result.right.model, "cifarnet");
  assert.equal(result.right.batchSize, 64);
  assert.equal(result.right.stepsPerEpoch, null);
  assert.equal(result.right.lr, null);
});

Deno.test("parseOptions() converts numbers and names", () => {
  const result = parseOptions(["--model", "resnet20", "--epochs", "3", "--lr", "0.1"]);
  assert.ok(E.isRight(result));
  assert.deepEqual([result.right.model, result.right.epochs, result.right.lr], [
    "resnet20",
    3,
    0.1,
  ]);
});

Deno.test("parseOptions() names the flag, the value and what is allowed", () => {
  assert.equal(
    message(["--epochs", "two"]),
    "--epochs: expected a positive integer, got not a number",
  );
  assert.equal(message(["--epochs", "0"]), "--epochs: expected a positive integer, got 0");
  assert.match(
    message(["--model", "vgg"]),
    /^--model: expected one of cifarnet, alexnet, resnet20.*got "vgg"$/,
  );
  assert.match(message(["--momentum", "1"]), /^--momentum: expected a number in \[0, 1\)/);
  assert.match(
    message(["--steps-per-epoch=-1"]),
    /^--steps-per-epoch: expected a positive integer/,
  );
  assert.match(message(["--frobnicate"]), /frobnicate/);
});

Deno.test("parseOptions() takes a zoo name or the path of a model.json for --model", () => {
  const file = parseOptions(["--model", "models/mine/model.json", "--explain"]);
  assert.ok(E.isRight(file));
  assert.equal(file.right.model, "models/mine/model.json");
  assert.equal(file.right.explain, true);
  const zoo = parseOptions(["--model", "resnet56"]);
  assert.ok(E.isRight(zoo) && zoo.right.model === "resnet56" && !zoo.right.explain);
  for (const bad of ["vgg", "model.h5", "mine/model", "ResNet20"]) {
    assert.equal(
      message(["--model", bad]),
      "--model: expected one of cifarnet, alexnet, resnet20, resnet32, resnet56, resnet110, " +
        "densenet40, preact_senet18, resnet50, " +
        `or the path of a tfjs model.json (ending in .json), got "${bad}"`,
    );
  }
});

Deno.test("helpText() lists every flag with its default", () => {
  const text = helpText();
  const flags = ["--batch-size", "--weight-decay", "--backend", "--json", "--explain"];
  for (const flag of [...flags, "--regularizer", "--target-flops", "--resume", "--from"]) {
    assert.ok(text.includes(flag), `help lacks ${flag}`);
  }
  assert.match(text, /--epochs <number>\s+dense training epochs .*\(default: 2\)/);
  assert.match(text, /--regularizer <string>\s+oicsr-gl \| ssr-gl .*\(default: oicsr-gl\)/);
  assert.match(text, /--target-flops <number>\s+.*\(default: 0\.6\)/);
  assert.match(text, /--model <string>\s+cifarnet \| .* \| path\/to\/model\.json/);
  assert.equal(flagName("stepsPerEpoch"), "--steps-per-epoch");
});
