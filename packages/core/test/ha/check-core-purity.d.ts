// Types for the repository's purity checker (scripts/check-core-purity.mjs).
declare module '*check-core-purity.mjs' {
  export function findImpurities(root: string): string[];
}
