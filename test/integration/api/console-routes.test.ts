import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSP } from '#api/console/console.routes';
import { CONSOLE_CSS, CONSOLE_HASH, CONSOLE_JS } from '#api/console/console-assets.generated';
import { ManualClock } from '#commons/clock';
import { startTestApi, TEST_ADMIN_KEY, type TestApi } from '../../support/test-api';

const STRICT_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The URLs the page's <script src> and <link href> point at, resolved as a browser would. */
const assetUrlsOf = (html: string, pageUrl: string): { js: string; css: string } => {
  const js = /<script type="module" src="([^"]+)"/.exec(html)?.[1];
  const css = /<link rel="stylesheet" href="([^"]+)"/.exec(html)?.[1];
  if (!js || !css) throw new Error('the page names no assets');
  return { js: new URL(js, pageUrl).href, css: new URL(css, pageUrl).href };
};

/**
 * GET /console and its assets through the local API Gateway stand-in and the composed API:
 * public, their own strict CSP and caching, ETags, and nothing changed for the JSON API.
 */
describe('the console routes', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ clock: new ManualClock(Date.parse('2027-06-01T00:00:00Z')) });
  });
  afterAll(async () => {
    await api.stop();
  });

  it.each(['/console', '/console/'])(
    'given no API key, when %s is fetched, then the page answers 200 with the strict CSP, and its assets resolve',
    async (path) => {
      const pageUrl = `${api.baseUrl}${path}`;
      const page = await fetch(pageUrl);
      const html = await page.text();

      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('content-security-policy')).toBe(STRICT_CSP);
      expect(CONSOLE_CSP).toBe(STRICT_CSP);
      expect(page.headers.get('cache-control')).toBe('no-cache');
      expect(page.headers.get('etag')).toBe(`"${CONSOLE_HASH}"`);
      expect(page.headers.get('x-content-type-options')).toBe('nosniff');
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      expect(page.headers.get('x-request-id')).toBeTruthy();
      expect(html).toContain('<title>Occasions console</title>');
      expect(html).not.toContain(TEST_ADMIN_KEY);

      const urls = assetUrlsOf(html, pageUrl);
      expect(urls.js).toBe(`${api.baseUrl}/console/app.${CONSOLE_HASH}.js`);
      expect(urls.css).toBe(`${api.baseUrl}/console/app.${CONSOLE_HASH}.css`);
    },
  );

  it('given no API key, when the assets are fetched, then JS and CSS answer 200, cacheable forever, with the CSP', async () => {
    for (const [name, contentType, body] of [
      [`app.${CONSOLE_HASH}.js`, 'text/javascript; charset=utf-8', CONSOLE_JS],
      [`app.${CONSOLE_HASH}.css`, 'text/css; charset=utf-8', CONSOLE_CSS],
    ] as const) {
      const answer = await fetch(`${api.baseUrl}/console/${name}`);
      expect(answer.status, name).toBe(200);
      expect(answer.headers.get('content-type'), name).toBe(contentType);
      expect(answer.headers.get('cache-control'), name).toBe('public, max-age=31536000, immutable');
      expect(answer.headers.get('content-security-policy'), name).toBe(STRICT_CSP);
      expect(answer.headers.get('x-content-type-options'), name).toBe('nosniff');
      expect(await answer.text(), name).toBe(body);
    }
  });

  it('given a wrong API key, when the console is fetched, then it still answers 200 (the authorizer is skipped)', async () => {
    const answer = await fetch(`${api.baseUrl}/console`, { headers: { 'x-api-key': 'wrong' } });
    expect(answer.status).toBe(200);
  });

  it('given the ETag of this build, when the page or an asset is fetched again, then 304 without a body', async () => {
    for (const path of ['/console', `/console/app.${CONSOLE_HASH}.js`, `/console/app.${CONSOLE_HASH}.css`]) {
      const answer = await fetch(`${api.baseUrl}${path}`, {
        headers: { 'if-none-match': `W/"${CONSOLE_HASH}"` },
      });
      expect(answer.status, path).toBe(304);
      expect(answer.headers.get('etag'), path).toBe(`"${CONSOLE_HASH}"`);
      expect(await answer.text(), path).toBe('');
    }
    const other = await fetch(`${api.baseUrl}/console`, { headers: { 'if-none-match': '"an-older-build"' } });
    expect(other.status).toBe(200);
  });

  it('given an asset name of another build, then 404 problem+json with the API’s default headers', async () => {
    const answer = await fetch(`${api.baseUrl}/console/app.0000000000000000.js`);
    expect(answer.status).toBe(404);
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
  });

  it('given a JSON API answer, then it keeps the default security headers', async () => {
    const answer = await api.call('GET', '/v1/users');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
  });

  it('given the OpenAPI document, then the console is not in it', async () => {
    const { body } = await api.call('GET', '/v1/openapi.json');
    expect(Object.keys(body.paths as object).filter((path) => path.startsWith('/console'))).toEqual([]);
  });
});
