/** The version of oicsr, recorded in every snapshot. */
export const OICSR_VERSION = "0.1.0";
