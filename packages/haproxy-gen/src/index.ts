/**
 * @pgwarden/haproxy-gen: haproxy.cfg from the cluster as the DCS holds it,
 * an installer that only ever installs what `haproxy -c` accepts, and a
 * watcher that keeps the file current and reloads HAProxy gracefully.
 */
export { haproxyOptionsSchema, parseHaproxyOptions, type HaproxyOptions, type HaproxyOptionsInput } from './options.js';
export { renderHaproxyConfig } from './render-config.js';
export { checkHaproxyConfig, DEFAULT_HAPROXY_BINARY, type CheckResult } from './check-config.js';
export { installHaproxyConfig, type InstallOptions, type InstallResult } from './install-config.js';
export { saveServerState, type ServerStateOptions } from './server-state.js';
export { reloadHaproxy, type ReloadMethod } from './reload-haproxy.js';
export { startHaproxyWatcher, type HaproxyWatcher, type WatcherOptions, type WatcherStatus } from './watcher.js';
export {
  haproxyWatcherSettingsSchema,
  reloadMethodSchema,
  watcherOptionsFromSettings,
  type HaproxyWatcherSettingsInput,
} from './watcher-settings.js';
export { silentLogger, type HaproxyGenLogger } from './logger.js';
