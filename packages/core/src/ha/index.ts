// The HA decision machine: decide() and its pure helpers.
export {};
