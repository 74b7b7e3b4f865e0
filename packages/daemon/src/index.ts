// @pgwarden/daemon: The pgwarden agent runtime: observe, decide, act, publish, wait.
export {};
