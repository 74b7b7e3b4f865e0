// @pgwarden/cli: The pgwarden agent (pgwarden) and the patronictl-compatible operator CLI (pgwardenctl).
export {};
