/**
 * A temporary folder for the length of a test body, removed afterwards whatever happens.
 * @module
 */

/** Runs `body` with a fresh temporary folder named with `prefix`, then removes it. */
export async function withTempDir(
  prefix: string,
  body: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
