/**
 * The API's base path, from the console page's own path: everything before its `/console`
 * segment. Behind API Gateway the stage is part of the path (`/prod/console/` → `/prod`);
 * locally there is none (`/console` → ``). The API is then called at `${base}/v1/...`, on the
 * page's own origin, whatever host serves it.
 */
export function basePathOf(pathname: string): string {
  const trimmed = pathname.replace(/\/+$/, '');
  return trimmed.endsWith('/console') ? trimmed.slice(0, -'/console'.length) : '';
}
