/**
 * The circuit breaker's key of a webhook URL: `scheme://host[:port]`, the port left out when it
 * is the scheme's default (URL.host's rule), path and query dropped, so every path on one host
 * shares its health. No imports: the service and the command-line client (cli/) both use it, and
 * the client must not pull the service's code in with it.
 * @throws TypeError when `url` is not a URL
 */
export function endpointKeyOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}`;
}
