/** One signed POST of a notification to a webhook endpoint. */
export interface WebhookRequest {
  url: string;
  /** Standard Webhooks `webhook-id`: the occurrence id, the same on every retry and replay. */
  webhookId: string;
  /** Standard Webhooks `webhook-timestamp`: unix seconds of this attempt. */
  timestampSeconds: number;
  /** The exact JSON body that is signed and sent. */
  body: string;
  /** `whsec_` + base64 key. */
  secret: string;
  /**
   * Secrets being rotated out, each with the end of its overlap window (`expiresAt`, epoch ms).
   * Until then the request also carries a signature made with it (Standard Webhooks allows
   * several, space-separated), so receivers can switch to the new secret at their own pace.
   */
  previousSecrets?: readonly { secret: string; expiresAt: number }[];
  /** Upper bound for the whole request, already reduced to the Lambda's remaining time. */
  timeoutMs: number;
  /** Aborts the request when the invocation is about to time out. */
  signal?: AbortSignal;
}

interface OutcomeBase {
  /** Wall time the attempt took, in ms. */
  durationMs: number;
  statusCode?: number;
  /** The start of the response body, truncated (for the attempt log; never the secret). */
  responseSnippet?: string;
}

/**
 * How an attempt ended, already classified by the rules of CONTRACT section 5:
 * any 2xx delivered; 429 rate-limited (does not use the retry budget); 5xx, timeouts and
 * connection errors retryable; other 4xx (and 3xx: redirects are not followed) permanent.
 * An endpoint the SSRF guard refuses (a private address, say) is permanent without a status
 * code: no request was made, and trying again would be refused again.
 */
export type WebhookOutcome =
  | (OutcomeBase & { kind: 'delivered'; statusCode: number })
  | (OutcomeBase & { kind: 'rate-limited'; statusCode: 429; retryAfterSeconds?: number })
  | (OutcomeBase & { kind: 'retryable'; error: string; retryAfterSeconds?: number })
  | (OutcomeBase & { kind: 'permanent'; statusCode?: number; error: string });

export interface WebhookSender {
  send(request: WebhookRequest): Promise<WebhookOutcome>;
}
