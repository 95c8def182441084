/**
 * Writes docs/openapi.json: the document `GET /v1/openapi.json` serves, for readers of the repo
 * (a test fails when it is stale). Run with `npm run docs:openapi`.
 */
import { writeFileSync } from 'node:fs';
import { ManualClock } from '#commons/clock';
import { startTestApi } from '../test/support/test-api';

const api = await startTestApi({ clock: new ManualClock(0) });
try {
  const { body } = await api.call('GET', '/v1/openapi.json');
  writeFileSync(new URL('../docs/openapi.json', import.meta.url), `${JSON.stringify(body, null, 2)}\n`);
  console.log(`docs/openapi.json: ${Object.keys(body.paths as object).length} paths`);
} finally {
  await api.stop();
}
