/**
 * `PATCH /config` and `PUT /config` (spec/rest-api.md §6.1, §6.2). PATCH
 * merges into the freshly read config and writes it with compare-and-swap
 * (409 when someone wrote in between); PUT overwrites unconditionally.
 */
import { deepCompare, patchConfig } from './config-patch.js';
import { jsonReply, textReply } from './http-io.js';
import type { Route } from './route-types.js';

export const configRoutes: Readonly<Record<string, Route>> = {
  'PATCH config': {
    protected: true,
    allowlistMembers: true,
    body: 'required',
    async handle(context) {
      const read = await context.controller.getCluster();
      if (!read.ok) return textReply(503, 'Service Unavailable: DCS is not accessible');
      const config = read.value.config;
      if (config === undefined || config.modifyVersion === 0) {
        return textReply(503, 'Service Unavailable: no valid configuration in the DCS');
      }
      const { value, changed } = patchConfig(config.data, context.body);
      if (changed) {
        const written = await context.controller.setConfig(value, config.version);
        if (!written.ok) {
          context.logger.warn({ reason: written.reason, message: written.message }, 'PATCH /config: write failed');
          return textReply(409, 'Conflict: the configuration changed in the DCS meanwhile, or the write failed');
        }
        // Keys only: values may hold connection strings with passwords.
        context.logger.info({ keys: Object.keys(context.body) }, 'configuration changed through PATCH /config');
      }
      context.controller.wake();
      return jsonReply(200, value);
    },
  },
  'PUT config': {
    protected: true,
    allowlistMembers: true,
    body: 'required',
    async handle(context) {
      const read = await context.controller.getCluster();
      if (!read.ok) return textReply(503, 'Service Unavailable: DCS is not accessible');
      const config = read.value.config;
      if (config === undefined || !deepCompare(context.body, config.data)) {
        const written = await context.controller.setConfig(context.body);
        if (!written.ok) {
          context.logger.warn({ reason: written.reason, message: written.message }, 'PUT /config: write failed');
          return textReply(502, 'Bad Gateway: failed to write the configuration to the DCS');
        }
        context.logger.info({}, 'configuration replaced through PUT /config');
        context.controller.wake();
      }
      return jsonReply(200, context.body);
    },
  },
};
