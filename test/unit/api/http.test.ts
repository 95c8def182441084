import { describe, expect, it } from 'vitest';
import { finalizeResponse, json } from '#api/http';

const STRICT_CSP = "default-src 'none'; frame-ancestors 'none'";

describe('finalizeResponse: the headers every answer leaves with', () => {
  it('given a JSON answer, then it carries the default security headers and the request id', () => {
    const result = finalizeResponse(json(200, { ok: true }), 'req-1');

    expect(result.headers).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'content-security-policy': STRICT_CSP,
      'referrer-policy': 'no-referrer',
      'x-request-id': 'req-1',
    });
  });

  it('given a route that puts security headers among its plain headers (any case), then the defaults win', () => {
    const answer = json(
      200,
      {},
      {
        'Cache-Control': 'public, max-age=3600',
        'content-security-policy': 'default-src *',
        'X-Frame-Options': 'ALLOWALL',
        etag: '"3"',
      },
    );

    const headers = finalizeResponse(answer, 'req-2').headers ?? {};

    expect(headers).toMatchObject({ 'cache-control': 'no-store', 'content-security-policy': STRICT_CSP });
    expect(headers['x-frame-options']).toBe('DENY');
    // One header per name: the route's own spellings are gone, not sent beside ours.
    const names = Object.keys(headers).map((name) => name.toLowerCase());
    expect(new Set(names).size).toBe(names.length);
    expect(headers.etag).toBe('"3"');
  });

  it('given a route that opts in through securityHeaders, then its CSP and caching replace the defaults and nothing else does', () => {
    const result = finalizeResponse(
      {
        ...json(200, {}),
        securityHeaders: {
          'cache-control': 'public, max-age=31536000, immutable',
          'content-security-policy': "default-src 'self'",
        },
      },
      'req-3',
    );

    expect(result.headers).toMatchObject({
      'cache-control': 'public, max-age=31536000, immutable',
      'content-security-policy': "default-src 'self'",
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
    });
  });
});
