// @pgwarden/rest-api: Patroni-compatible REST API for a pgwarden member, served from a state snapshot.
export {};
