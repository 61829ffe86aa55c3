/**
 * Our side of the custody bank's HTTP JSON API (API.md): BankPort.transfer over
 * POST /api/v1/transfers and TransferStatusPort.transferStatus over GET /api/v1/transfers/:reference,
 * each request signed (./request-signing.ts), with one deadline from connect to the last reply
 * byte, the reply bounded while reading and parsed strictly (./mapping.ts). Outcomes of a transfer:
 * - 202, or 200 for a reference the bank already holds with the same body -> `accepted` with the
 *   bank's reference (the same one both times);
 * - 422 -> `rejected` with the bank's code (nothing was paid, the reference stays free);
 * - 409 -> `rejected` REFERENCE_CONFLICT: the reference is taken by a transfer with a different
 *   body. That earlier transfer stands and may be paid; see API.md before acting on it;
 * - no reply in time, or the connection lost after sending -> `timeout` (the bank may hold the
 *   transfer; retrying with the same reference is safe because the bank de-duplicates on it);
 * - anything else (401/403, 400, 5xx, an HTML error page, a body that is not JSON or breaks the
 *   contract, an unreachable host) -> `service_error` with a code and a detail saying which.
 * A request that itself breaks the contract is our bug and throws BankWireError before sending.
 * Details never hold a full account number; nothing is logged and nothing is retried here.
 */
import type { BankPort, TransferOutcome, TransferRequest } from '../../src/bank/bank.port.js';
import { parseTransferReference } from '../../src/bank/bank-values.js';
import type { TransferStatusOutcome, TransferStatusPort } from '../../src/bank/transfer-status.port.js';
import {
  BANK_TRANSFERS_PATH, BankWireError, REFERENCE_CONFLICT, bankDetail, parseAcceptedReply, parseBankErrorReply, parseTransferStatusReply,
  transferRequestBody,
} from './mapping.js';
import { bankRequestHeaders } from './request-signing.js';

/** Default deadline of one call: the bank answers a transfer in well under a second. */
export const BANK_TIMEOUT_MS = 10_000;
export const BANK_TIMEOUT_MS_MAX = 60_000;
/** Largest reply read; a transfer reply is under 200 bytes, an error page a few KB. */
export const BANK_REPLY_BYTES_MAX = 64 * 1024;

export interface BankHttpClientOptions {
  /** The bank's API base, e.g. https://openapi.bank.example/custody; API paths are appended. */
  baseUrl: string;
  /** Our merchant id at the bank (商户号). */
  merchantId: string;
  /** The API secret the bank issued for request signing (not the callback secret). */
  secret: string;
  /** Deadline of each call, 1..BANK_TIMEOUT_MS_MAX; BANK_TIMEOUT_MS unless there is a reason. */
  timeoutMs: number;
  /** Largest reply read, in bytes; BANK_REPLY_BYTES_MAX by default. */
  replyBytesMax?: number;
}

export type BankHttpClient = BankPort & TransferStatusPort;

type Failure = { kind: 'timeout'; code: 'TIMEOUT'; detail: string } | { kind: 'service_error'; code: string; detail: string };

const serviceError = (code: string, detail: string): Failure => ({ kind: 'service_error', code, detail: bankDetail(detail) });
const timeout = (detail: string): Failure => ({ kind: 'timeout', code: 'TIMEOUT', detail: bankDetail(detail) });

/** Raised inside a call once its outcome is known to be a failure; caught and returned by the call. */
class CallFailed extends Error {
  constructor(readonly failure: Failure) {
    super(failure.detail);
  }
}

interface Reply {
  status: number;
  contentType: string;
  text: string;
}

/** Node/undici error codes meaning "the request may have reached the bank, its reply did not reach us". */
const OUTCOME_UNKNOWN_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT']);

function failureForError(error: unknown, closed: boolean): Failure {
  if (error instanceof CallFailed) return error.failure;
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError') return timeout('no reply from the bank within the deadline');
  if (name === 'AbortError' && closed) return serviceError('CLIENT_CLOSED', 'the bank client was closed during the call');
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  const message = typeof cause?.message === 'string' ? cause.message : (error as Error | null)?.message ?? String(error);
  if (code !== undefined && OUTCOME_UNKNOWN_CODES.has(code)) return timeout(`connection lost before the reply (${code}: ${message})`);
  return serviceError('UNREACHABLE', `bank not reachable (${code ?? 'network error'}: ${message})`);
}

/** The body, at most bytesMax bytes, as UTF-8; the deadline's signal still covers this read. */
async function readText(response: Response, bytesMax: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > bytesMax) {
    await response.body?.cancel();
    throw new CallFailed(serviceError('REPLY_TOO_LARGE', `HTTP ${response.status} reply declares ${declared} bytes, more than ${bytesMax}`));
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > bytesMax) {
      await reader.cancel();
      throw new CallFailed(serviceError('REPLY_TOO_LARGE', `HTTP ${response.status} reply is larger than ${bytesMax} bytes`));
    }
    chunks.push(value);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new CallFailed(serviceError('REPLY_NOT_UTF8', `HTTP ${response.status} reply is not UTF-8`));
  }
}

/** Strict JSON of a reply: declared as JSON and parsing as JSON, else a service error saying which. */
function json(reply: Reply): unknown {
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(reply.contentType)) {
    const what = reply.contentType === '' ? 'a body without content type' : reply.contentType.split(';')[0]!.trim().slice(0, 60);
    throw new CallFailed(serviceError('REPLY_NOT_JSON', `HTTP ${reply.status} reply is ${what}, not JSON`));
  }
  try {
    return JSON.parse(reply.text) as unknown;
  } catch {
    throw new CallFailed(serviceError('REPLY_NOT_JSON', `HTTP ${reply.status} reply is declared JSON but does not parse`));
  }
}

/** Runs a reply parser; a contract breach becomes REPLY_INVALID naming the field. */
function parsed<T>(reply: Reply, parse: (body: unknown) => T): T {
  const body = json(reply);
  try {
    return parse(body);
  } catch (error) {
    if (!(error instanceof BankWireError)) throw error;
    throw new CallFailed(serviceError('REPLY_INVALID', `HTTP ${reply.status} reply does not fit the contract: ${error.message}`));
  }
}

/** `HTTP 503 SYSTEM_BUSY: 系统繁忙` when the body is the documented error JSON, else what the body is. */
function describeError(reply: Reply): string {
  try {
    const { code, message } = parsed(reply, parseBankErrorReply);
    return `HTTP ${reply.status} ${code}: ${message}`;
  } catch (error) {
    if (error instanceof CallFailed) return error.failure.detail;
    throw error;
  }
}

/** Statuses every call reads alike; undefined when the status is the endpoint's own business. */
function commonFailure(reply: Reply): Failure | undefined {
  if (reply.status === 401 || reply.status === 403) {
    // Our signature, merchant id or clock is wrong: a configuration fault that retrying will not fix, but ops must see.
    return serviceError('UNAUTHORIZED', `the bank refused our signature: ${describeError(reply)}`);
  }
  if (reply.status === 400) return serviceError('BAD_REQUEST', `the bank found our request malformed: ${describeError(reply)}`);
  if (reply.status === 429) return serviceError('THROTTLED', describeError(reply));
  if (reply.status >= 500) return serviceError(`HTTP_${reply.status}`, describeError(reply));
  return undefined;
}

function transferOutcome(reply: Reply): TransferOutcome {
  if (reply.status === 202 || reply.status === 200) return { kind: 'accepted', bankReference: parsed(reply, parseAcceptedReply).bankReference };
  if (reply.status === 409) {
    // The status alone decides it; the body only adds the bank's words when it has them.
    let detail = 'the reference is already used by a transfer with a different body; that transfer stands';
    try {
      detail = `${detail} (${parsed(reply, parseBankErrorReply).message})`;
    } catch (error) {
      if (!(error instanceof CallFailed)) throw error;
    }
    return { kind: 'rejected', code: REFERENCE_CONFLICT, detail: bankDetail(detail) };
  }
  if (reply.status === 422) {
    // Without a readable code we cannot say why, so it is not treated as a definite refusal.
    const { code, message } = parsed(reply, parseBankErrorReply);
    return { kind: 'rejected', code, detail: message };
  }
  return commonFailure(reply) ?? serviceError(`HTTP_${reply.status}`, `unexpected ${describeError(reply)}`);
}

function statusOutcome(reply: Reply, reference: string): TransferStatusOutcome {
  if (reply.status === 200) return { kind: 'found', transfer: parsed(reply, (body) => parseTransferStatusReply(body, reference)) };
  if (reply.status === 404) {
    // A 404 from a proxy (HTML) is not the bank saying "no such transfer": only the documented error counts.
    const { code } = parsed(reply, parseBankErrorReply);
    if (code === 'TRANSFER_NOT_FOUND') return { kind: 'not_found' };
  }
  return commonFailure(reply) ?? serviceError(`HTTP_${reply.status}`, `unexpected ${describeError(reply)}`);
}

function checkOptions(options: BankHttpClientOptions): URL {
  const url = new URL(options.baseUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`bank baseUrl must be http(s), not ${url.protocol}`);
  if (url.search !== '' || url.hash !== '') throw new Error('bank baseUrl must not have a query or fragment');
  if (!Number.isInteger(options.timeoutMs) || options.timeoutMs <= 0 || options.timeoutMs > BANK_TIMEOUT_MS_MAX) {
    throw new Error(`bank timeoutMs must be a whole number from 1 to ${BANK_TIMEOUT_MS_MAX}`);
  }
  if (!/^[\x21-\x7e]{1,64}$/.test(options.merchantId)) throw new Error('bank merchantId must be 1 to 64 printable ASCII characters');
  if (options.secret.length < 16) throw new Error('bank secret must be at least 16 characters');
  return url;
}

/** BankPort (and status queries) over the custody bank's HTTP API. close() aborts calls in flight. */
export function createBankHttpClient(options: BankHttpClientOptions): BankHttpClient {
  const base = checkOptions(options);
  const basePath = base.pathname.replace(/\/+$/, '');
  const origin = base.origin;
  const bytesMax = options.replyBytesMax ?? BANK_REPLY_BYTES_MAX;
  const closing = new AbortController();

  async function call(method: 'GET' | 'POST', target: string, body: string): Promise<Reply> {
    if (closing.signal.aborted) throw new CallFailed(serviceError('CLIENT_CLOSED', 'the bank client is closed'));
    const response = await fetch(`${origin}${target}`, {
      method,
      headers: {
        Accept: 'application/json',
        ...(method === 'POST' ? { 'Content-Type': 'application/json; charset=utf-8' } : {}),
        ...bankRequestHeaders(options.merchantId, options.secret, method, target, body),
      },
      ...(method === 'POST' ? { body } : {}),
      redirect: 'manual',
      signal: AbortSignal.any([AbortSignal.timeout(options.timeoutMs), closing.signal]),
    });
    const text = await readText(response, bytesMax);
    return { status: response.status, contentType: response.headers.get('content-type') ?? '', text };
  }

  return {
    async transfer(request: TransferRequest): Promise<TransferOutcome> {
      // Built before the call: a malformed request is our bug and throws, it is not a bank outcome.
      const body = JSON.stringify(transferRequestBody(request));
      try {
        return transferOutcome(await call('POST', `${basePath}${BANK_TRANSFERS_PATH}`, body));
      } catch (error) {
        return failureForError(error, closing.signal.aborted);
      }
    },
    async transferStatus(reference: string): Promise<TransferStatusOutcome> {
      parseTransferReference(reference, 'reference', 'BANK_WIRE_REQUEST_INVALID');
      try {
        return statusOutcome(await call('GET', `${basePath}${BANK_TRANSFERS_PATH}/${encodeURIComponent(reference)}`, ''), reference);
      } catch (error) {
        return failureForError(error, closing.signal.aborted);
      }
    },
    close: () => closing.abort(),
  };
}
