/**
 * @pgwarden/testkit (private): what the tests of every package share —
 * free loopback ports, child processes stopped by PID, temp directories owned
 * by the PostgreSQL user, launchers of real servers, the DCS contract suite
 * (at `@pgwarden/testkit/contract`: it imports vitest, which throws outside a vitest run)
 * and the deterministic simulator.
 */
export { getFreePort, getFreePorts } from './ports.js';
export { processState, startProcess, type TestProcess } from './processes.js';
export { makeTempDir, postgresUser, type TempDir, type UnprivilegedUser } from './temp-dirs.js';
export { startEtcd, waitEtcdHealthy, ETCD_BINARY, type EtcdCluster, type EtcdNode, type EtcdTlsFiles, type StartEtcdOptions } from './etcd.js';
export { startRedis, REDIS_BINARY, type RedisAclUser, type RedisServer, type RedisTlsOptions, type StartRedisOptions } from './redis.js';
export { makeTestCertificates, type TestCertificates } from './etcd-tls.js';
export { startHaproxy, parseShowProc, HAPROXY_BINARY, type HaproxyInstance, type HaproxyWorker, type StartHaproxyOptions } from './haproxy.js';
export { startConsulModel, type ConsulModel, type RecordedRequest, type StartConsulModelOptions } from './consul-model.js';
export { startPgwardenCluster, postmasterPidOf, defaultAgentCommand, type PgwardenCluster, type PgwardenMember, type StartClusterOptions, type HttpAnswer, type RestApiTls } from './cluster.js';
export { clusterPasswords } from './cluster-config.js';
export { waitUntil, type WaitOptions } from './cluster-wait.js';
export { startZooKeeper, fourLetterWord, ZOOKEEPER_CLASSPATH, type ZooKeeperEnsemble, type ZooKeeperServer, type StartZooKeeperOptions } from './zookeeper.js';
export { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
export { startEmulatedWatchdog, canEmulateWatchdog, type EmulatedWatchdog, type WatchdogDeviceOptions, type WatchdogEvent, type WatchdogEventKind } from './fuse-watchdog.js';
export { startWatchdogVm, watchdogVmProblem, GUEST_MODULES, WATCHDOG_VM_DIR, type WatchdogVm, type WatchdogVmEvent, type WatchdogVmLine, type StartWatchdogVmOptions } from './watchdog-vm.js';
