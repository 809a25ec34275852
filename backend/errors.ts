/**
 * Errors of backend selection: tagged values with the facts and a message a user can act on.
 *
 * @module
 */

/** The name given is not one of the backends we know. */
export interface UnknownBackend {
  readonly _tag: "UnknownBackend";
  readonly name: string;
  readonly known: readonly string[];
  readonly message: string;
}

/** The backend cannot run here (no WebGPU, no adapter). */
export interface BackendUnavailable {
  readonly _tag: "BackendUnavailable";
  readonly name: string;
  readonly reason: string;
  readonly message: string;
}

/** The backend exists but failed to start. */
export interface BackendInitFailed {
  readonly _tag: "BackendInitFailed";
  readonly name: string;
  readonly cause: string;
  readonly message: string;
}

/** Any failure of `selectBackend`. */
export type BackendError = UnknownBackend | BackendUnavailable | BackendInitFailed;

/** An `UnknownBackend` error for `name`. */
export const unknownBackend = (name: string, known: readonly string[]): UnknownBackend => ({
  _tag: "UnknownBackend",
  name,
  known,
  message: `Unknown backend "${name}": use one of ${known.map((k) => `"${k}"`).join(", ")}`,
});

/** A `BackendUnavailable` error for `name`. */
export const backendUnavailable = (name: string, reason: string): BackendUnavailable => ({
  _tag: "BackendUnavailable",
  name,
  reason,
  message: `Backend "${name}" is not available here: ${reason}. ` +
    `Use "wasm" (or "auto", which falls back to it).`,
});

/** A `BackendInitFailed` error for `name`. */
export const backendInitFailed = (name: string, cause: string): BackendInitFailed => ({
  _tag: "BackendInitFailed",
  name,
  cause,
  message: `Backend "${name}" failed to start: ${cause}. Try another backend ("wasm", "cpu").`,
});
