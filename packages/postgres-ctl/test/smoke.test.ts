import { afterAll, expect, it } from 'vitest';
import { destroyMember, makeMember, type Member } from './helpers.js';
let m: Member | undefined;
afterAll(async () => destroyMember(m));
it('smoke', async () => {
  m = await makeMember('smoke');
  const t0 = Date.now();
  await m.ctl.bootstrap();
  console.log('bootstrap ms', Date.now() - t0);
  console.log(JSON.stringify(await m.ctl.observe(), null, 1));
  expect(1).toBe(1);
});
