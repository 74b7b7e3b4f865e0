// @pgwarden/postgres-ctl: Everything pgwarden does to PostgreSQL: initdb, basebackup, config files, start/stop/promote, rewind, observe.
export {};
