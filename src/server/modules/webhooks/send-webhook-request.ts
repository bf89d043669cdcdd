import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { LookupFunction, Socket } from 'node:net';
import {
  bareHostname,
  parseWebhookUrl,
  resolveCheckedAddress,
  type WebhookUrlPolicy,
  WebhookUrlRejected,
} from './webhook-url-policy.ts';

export const RESPONSE_EXCERPT_BYTES = 4096;

export type WebhookErrorClass = 'dns' | 'connect' | 'tls' | 'timeout' | 'blocked';

export type WebhookResponse =
  | {
      kind: 'response';
      statusCode: number;
      headers: Record<string, string>;
      /** At most 4 KB, control characters removed. */
      bodyExcerpt: string;
      durationMs: number;
    }
  | { kind: 'error'; errorClass: WebhookErrorClass; message: string; durationMs: number };

export type WebhookTransport = {
  send(request: { url: string; headers: Record<string, string>; body: string }): Promise<WebhookResponse>;
  /**
   * Closes pooled keep-alive sockets that have not been used since the previous call (the
   * transport calls it every `idleSweepMs`, so an idle socket lives between one and two periods).
   */
  closeIdleSockets(): number;
  close(): void;
};

/** How often unused pooled sockets are looked for and closed (idle for 30–60 s). */
export const IDLE_SOCKET_SWEEP_MS = 30_000;

/** URLs whose static check is remembered (the check is a pure function of the URL's text). */
const CHECKED_URLS_MAX = 1024;

/** A lookup refusal: the message alone is logged, it already names the host and the address. */
type LookupRefusal = NodeJS.ErrnoException & { refusal: true };

/**
 * The one way webhooks leave Vigil. Each request's URL passes the static check (scheme,
 * credentials, IP literals in any spelling — remembered per URL text). Each *connection* resolves
 * the name and checks every address in the agent's `lookup`, which answers only with the checked
 * address: the socket is opened to exactly the address that was checked (no second resolution,
 * so no DNS-rebinding window), and a pooled keep-alive socket is always one opened that way.
 * (An IP-literal host never reaches `lookup`: Node connects to it directly, after the static
 * check has passed it.) Redirects are never followed (Node's http client does not), the whole
 * exchange has a deadline, at most 4 KB of the response is read, and pooled sockets left unused
 * for 30–60 s are closed.
 */
export function createWebhookTransport(options: {
  policy: WebhookUrlPolicy;
  timeoutMs: number;
  /** Milliseconds clock for latency (real time: it measures the network, not business time). */
  monotonicNow?: () => number;
  /** How often unused pooled sockets are closed (IDLE_SOCKET_SWEEP_MS; tests sweep by hand). */
  idleSweepMs?: number;
}): WebhookTransport {
  // No agent `timeout`: with one, every request re-arms its socket's timer twice and adds and
  // removes timeout listeners (≈4 µs of a delivery's CPU in bench/webhooks.ts). The whole
  // exchange has its own deadline below, idle pooled sockets are closed by a sweep, and a request
  // that meets a pooled connection the receiver has just closed is sent again on a fresh one.
  const agentOptions = { keepAlive: true, maxSockets: 16, maxFreeSockets: 16 };
  const httpAgent = new http.Agent(agentOptions);
  const httpsAgent = new https.Agent(agentOptions);
  /** Bytes a pooled socket had moved at the previous sweep; unchanged means unused since. */
  const trafficAtLastSweep = new WeakMap<Socket, number>();
  const closeIdleSockets = () => {
    let closed = 0;
    for (const agent of [httpAgent, httpsAgent]) {
      for (const sockets of Object.values(agent.freeSockets)) {
        for (const socket of sockets ?? []) {
          const traffic = socket.bytesRead + socket.bytesWritten;
          if (trafficAtLastSweep.get(socket) === traffic) {
            // Closing a socket is how it leaves the agent's pool (the agent removes it on close).
            socket.destroy();
            closed += 1;
          } else trafficAtLastSweep.set(socket, traffic);
        }
      }
    }
    return closed;
  };
  const sweep = setInterval(closeIdleSockets, options.idleSweepMs ?? IDLE_SOCKET_SWEEP_MS);
  sweep.unref();
  const now = options.monotonicNow ?? (() => performance.now());
  const checkedUrls = new Map<string, URL | WebhookUrlRejected>();

  function checkedUrl(text: string): URL {
    let verdict = checkedUrls.get(text);
    if (verdict === undefined) {
      try {
        verdict = parseWebhookUrl(text, options.policy);
      } catch (error) {
        if (!(error instanceof WebhookUrlRejected)) throw error;
        verdict = error;
      }
      if (checkedUrls.size >= CHECKED_URLS_MAX) checkedUrls.delete(checkedUrls.keys().next().value as string);
      checkedUrls.set(text, verdict);
    }
    if (verdict instanceof WebhookUrlRejected) throw verdict;
    return verdict;
  }

  const checkedLookup: LookupFunction = (hostname, lookupOptions, callback) => {
    const all = (lookupOptions as { all?: boolean }).all;
    resolveCheckedAddress(hostname, options.policy).then(
      ({ address, family }) => {
        if (all) (callback as unknown as (e: null, a: unknown[]) => void)(null, [{ address, family }]);
        else callback(null, address, family);
      },
      (error: unknown) => {
        const refusal: LookupRefusal = Object.assign(new Error((error as Error).message), {
          code: error instanceof WebhookUrlRejected && error.kind === 'blocked' ? 'EBLOCKED' : 'ENOTFOUND',
          refusal: true as const,
        });
        if (all) (callback as unknown as (e: Error, a: unknown[]) => void)(refusal, []);
        else callback(refusal, '', 4);
      },
    );
  };

  async function send(request: {
    url: string;
    headers: Record<string, string>;
    body: string;
  }): Promise<WebhookResponse> {
    const started = now();
    const elapsed = () => Math.max(0, Math.round(now() - started));
    let url;
    try {
      url = checkedUrl(request.url);
    } catch (error) {
      if (error instanceof WebhookUrlRejected)
        return { kind: 'error', errorClass: 'blocked', message: error.message, durationMs: elapsed() };
      throw error;
    }
    const hostname = bareHostname(url);
    const secure = url.protocol === 'https:';
    const body = Buffer.from(request.body, 'utf8');
    const requestOptions: https.RequestOptions = {
      method: 'POST',
      host: hostname,
      port: url.port || (secure ? 443 : 80),
      path: `${url.pathname}${url.search}`,
      headers: { ...request.headers, 'content-length': String(body.length) },
      agent: secure ? httpsAgent : httpAgent,
      lookup: checkedLookup,
      ...(secure ? { servername: hostname.includes(':') ? undefined : hostname } : {}),
    };
    return await new Promise<WebhookResponse>((resolve) => {
      let settled = false;
      let current: http.ClientRequest;
      const finish = (result: WebhookResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        resolve(result);
      };
      const deadline = setTimeout(() => {
        finish({
          kind: 'error',
          errorClass: 'timeout',
          message: `no complete response within ${options.timeoutMs} ms`,
          durationMs: elapsed(),
        });
        current.destroy(new Error('timeout'));
      }, options.timeoutMs);
      const exchange = (firstTry: boolean) => {
        const sent = (secure ? https : http).request(requestOptions);
        current = sent;
        sent.on('error', (error: NodeJS.ErrnoException) => {
          // A pooled connection the receiver closed while it sat idle (its keep-alive timeout
          // ran out as this request left): nothing reached the receiver's application, so the
          // exchange starts again once, on another connection (Node's documented pattern).
          if (firstTry && !settled && sent.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE')) {
            exchange(false);
            return;
          }
          finish({
            kind: 'error',
            errorClass: classifyError(error),
            message: describeError(error),
            durationMs: elapsed(),
          });
        });
        sent.on('response', (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          let truncated = false;
          response.on('data', (chunk: Buffer) => {
            if (truncated) return;
            chunks.push(chunk);
            size += chunk.length;
            if (size > RESPONSE_EXCERPT_BYTES) {
              truncated = true;
              // No need to read a large body: drop this connection rather than drain it.
              response.destroy();
              done();
            }
          });
          const done = () =>
            finish({
              kind: 'response',
              statusCode: response.statusCode ?? 0,
              headers: sanitiseHeaders(response.headers),
              bodyExcerpt: chunks.length === 0 ? '' : sanitiseBody(Buffer.concat(chunks)),
              durationMs: elapsed(),
            });
          response.on('end', done);
          response.on('error', done);
        });
        sent.end(body);
      };
      exchange(true);
    });
  }

  return {
    send,
    closeIdleSockets,
    close() {
      clearInterval(sweep);
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

function classifyError(error: NodeJS.ErrnoException): WebhookErrorClass {
  const code = error.code ?? '';
  if (code === 'EBLOCKED') return 'blocked';
  if (['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'ENODATA', 'ESERVFAIL'].includes(code)) return 'dns';
  if (
    /^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|ERR_OSSL|HOSTNAME_MISMATCH)/.test(code) ||
    code.includes('CERT')
  )
    return 'tls';
  if (code === 'ETIMEDOUT') return 'timeout';
  return 'connect';
}

function describeError(error: NodeJS.ErrnoException | LookupRefusal): string {
  // The message only: it names the code and, at most, the checked address we connected to.
  if ('refusal' in error) return error.message.slice(0, 500);
  return `${error.code ?? 'error'}: ${error.message}`.slice(0, 500);
}

const SENSITIVE_RESPONSE_HEADERS = new Set(['set-cookie', 'authorization', 'proxy-authenticate', 'www-authenticate']);

/** Response headers as logged: at most 50, values ≤500 characters, cookies and credentials redacted. */
export function sanitiseHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const result: Record<string, string> = {};
  let seen = 0;
  for (const name in headers) {
    if (seen++ === 50) break;
    const value = headers[name];
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    result[name] = SENSITIVE_RESPONSE_HEADERS.has(name) ? '[redacted]' : stripControl(text).slice(0, 500);
  }
  return result;
}

/** At most 4 KB of UTF-8 (never a split character), without control characters except \n and \t. */
export function sanitiseBody(bytes: Buffer): string {
  let text = stripControl(bytes.subarray(0, RESPONSE_EXCERPT_BYTES).toString('utf8'));
  while (Buffer.byteLength(text, 'utf8') > RESPONSE_EXCERPT_BYTES) text = text.slice(0, -1);
  return text;
}

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufffd]/;
// eslint-disable-next-line no-control-regex -- removing control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufffd]/g;

function stripControl(text: string): string {
  // Most values have none: testing first spares building a copy of each.
  return CONTROL_CHARACTER.test(text) ? text.replace(CONTROL_CHARACTERS, '') : text;
}
