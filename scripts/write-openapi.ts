/**
 * Writes docs/openapi.json (the document `GET /v1/openapi.json` serves) and docs/api.md (the same
 * rendered for readers of the repo). A test fails when either is stale. Run with
 * `npm run docs:openapi`.
 */
import { writeFileSync } from 'node:fs';
import { ManualClock } from '#commons/clock';
import { startTestApi } from '../test/support/test-api';
import { renderApiMarkdown } from './render-api-markdown';

const api = await startTestApi({ clock: new ManualClock(0) });
try {
  const { body } = await api.call('GET', '/v1/openapi.json');
  writeFileSync(new URL('../docs/openapi.json', import.meta.url), `${JSON.stringify(body, null, 2)}\n`);
  writeFileSync(new URL('../docs/api.md', import.meta.url), renderApiMarkdown(body));
  console.log(`docs/openapi.json and docs/api.md: ${Object.keys(body.paths as object).length} paths`);
} finally {
  await api.stop();
}
