// @pgwarden/haproxy-gen: haproxy.cfg generation from pgwarden/Patroni cluster state, and a watcher that reloads HAProxy.
export {};
