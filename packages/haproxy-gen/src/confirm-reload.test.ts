import { describe, expect, it } from 'vitest';
import { parseMasterState } from './confirm-reload.js';

describe('parseMasterState', () => {
  it('reads the reload and failure counts of the master line', () => {
    const showProc = [
      '#<PID>          <type>          <reloads>       <uptime>        <version>',
      '5767            master          3 [failed: 1]   0d00h00m04s     2.6.12-1+deb12u4',
      '# workers',
      '5772            worker          1               0d00h00m04s     2.6.12-1+deb12u4',
    ].join('\n');
    expect(parseMasterState(showProc)).toEqual({ reloads: 3, failed: 1 });
  });

  it('answers undefined for anything else', () => {
    expect(parseMasterState('Unknown command.\n')).toBeUndefined();
  });
});
