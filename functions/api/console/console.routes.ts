import type { APIGatewayProxyEvent } from 'aws-lambda';
import { headerOf, type HttpResponse } from '../http';
import { ProblemError, problem } from '../problem';
import type { Route } from '../router';
import { CONSOLE_CSS, CONSOLE_HASH, CONSOLE_HTML, CONSOLE_JS } from './console-assets.generated';
import { ASSET_BASE_TOKEN, CONSOLE_PATH, consoleAssetNames } from './console-paths';

/**
 * The console's own Content-Security-Policy: scripts, styles and API calls from this origin
 * only, no inline code, no framing, no forms posting elsewhere. It replaces the API's default
 * (`default-src 'none'`), which would block the page's own script.
 */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The page is checked with the server on every load (ETag): a deploy shows at once. */
const PAGE_CACHE_CONTROL = 'no-cache';
/** The assets' names carry their content hash: they never change, so caches may keep them. */
const ASSET_CACHE_CONTROL = 'public, max-age=31536000, immutable';
const ETAG = `"${CONSOLE_HASH}"`;

const ASSETS: Readonly<Record<string, { body: string; contentType: string }>> = {
  [consoleAssetNames(CONSOLE_HASH).js]: { body: CONSOLE_JS, contentType: 'text/javascript; charset=utf-8' },
  [consoleAssetNames(CONSOLE_HASH).css]: { body: CONSOLE_CSS, contentType: 'text/css; charset=utf-8' },
};

/**
 * The operations console (issue 7): `GET /console` (also `/console/`) and its two hashed assets,
 * served from memory (built by `npm run build:console`). Public: the page holds no secret, the
 * operator signs in with an API key that stays in the browser. Not in the OpenAPI document,
 * which describes the JSON API only.
 */
export function consoleRoutes(): Route[] {
  return [
    {
      method: 'GET',
      path: CONSOLE_PATH,
      access: 'public',
      handler: ({ event }) => {
        // Relative asset URLs work under any stage prefix; from `/console` they need `console/`.
        const assetBase = event.path.endsWith('/') ? '' : `${CONSOLE_PATH.slice(1)}/`;
        const html = CONSOLE_HTML.replaceAll(ASSET_BASE_TOKEN, assetBase);
        return Promise.resolve(
          staticAnswer(event, { body: html, contentType: 'text/html; charset=utf-8' }, PAGE_CACHE_CONTROL),
        );
      },
    },
    {
      method: 'GET',
      path: `${CONSOLE_PATH}/{asset}`,
      access: 'public',
      handler: ({ event, params }) => {
        const asset = ASSETS[params.asset ?? ''];
        if (!asset) {
          // An old page asking for the assets of an earlier build lands here too: reload it.
          throw new ProblemError(
            problem('not-found', 'There is no console asset of this name; reload the console.'),
          );
        }
        return Promise.resolve(staticAnswer(event, asset, ASSET_CACHE_CONTROL));
      },
    },
  ];
}

/** 200 with the body, or 304 when the client's copy (If-None-Match) is this build's. */
function staticAnswer(
  event: Pick<APIGatewayProxyEvent, 'headers'>,
  asset: { body: string; contentType: string },
  cacheControl: string,
): HttpResponse {
  const securityHeaders = { 'cache-control': cacheControl, 'content-security-policy': CONSOLE_CSP };
  const headers = { etag: ETAG };
  if (matchesEtag(headerOf(event.headers, 'if-none-match'))) {
    return { statusCode: 304, headers, securityHeaders, body: '' };
  }
  return {
    statusCode: 200,
    headers: { ...headers, 'content-type': asset.contentType },
    securityHeaders,
    body: asset.body,
  };
}

/** `If-None-Match` holds this build's ETag (weak comparison, a list, or `*`). */
function matchesEtag(ifNoneMatch: string | undefined): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === ETAG);
}
