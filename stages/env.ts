/**
 * What every stage is given from outside: the backend it runs on and the versions of the
 * software, both recorded in the snapshots it makes.
 * @module
 */
import type { BackendInfo, Versions } from "../snapshot/snapshot.ts";

/** The context of a stage. */
export interface StageEnv {
  readonly backend: BackendInfo;
  readonly versions: Versions;
}

/** The backend info as a snapshot records it (name, adapter, threads only). */
export function recordedBackend(info: BackendInfo): BackendInfo {
  return { name: info.name, adapter: info.adapter, threads: info.threads };
}
