// Patroni-compatible configuration: schemas, defaults, validation, env mapping, dynamic/local merge.
export {};
