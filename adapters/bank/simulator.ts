/**
 * A fake custody bank speaking the real wire (API.md): a node http server that checks each
 * request the way the bank does, in this order:
 *   1. the fault plan (it stands for the network and the bank's front end: hang, delay, an
 *      error status) takes the call first, if a rule matches;
 *   2. a body over the size limit -> 413; a bad or replayed signature -> 401 SIGNATURE_INVALID;
 *   3. a body that is not JSON or breaks the contract -> 400 INVALID_REQUEST naming the field;
 *   4. a reference it already holds -> 200 with the same bankReference when the body is the
 *      same, 409 REFERENCE_CONFLICT when it is not (before any business rule: a transfer once
 *      accepted is never re-judged);
 *   5. business rules -> 422 { code, message }: rejectAccount(), an account number that is not
 *      10-32 digits (ACCOUNT_INVALID), an amount over the single-transfer limit (AMOUNT_OVER_LIMIT);
 *   6. otherwise 202 { bankReference, status: 'accepted' }.
 * An accepted transfer completes completionDelayMs later: `failed` with the reason given to
 * failAccount() for its payee, else `succeeded`, adding the amount to that payee's paid-out
 * total. Each result is POSTed to the callback URL through ../webhook-delivery.ts (signed
 * with the callback secret, retried until a 2xx, so at least once). Logs keep account numbers
 * masked; tests read the money through paidOutFen().
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BankAccount, TransferResult } from '../../src/bank/bank.port.js';
import { maskAccountNumber, maskedBankText } from '../../src/bank/bank-values.js';
import type { BankTransferState, TransferStatusRecord } from '../../src/bank/transfer-status.port.js';
import { AMOUNT_FEN_MAX, type Fen } from '../../src/core/money.js';
import { startWebhookDelivery, type WebhookDelivery, type WebhookDeliveryOptions } from '../webhook-delivery.js';
import {
  BANK_ERROR_CODE_PATTERN, BANK_TRANSFERS_PATH, BankWireError, maskedPayee, parseTransferRequestBody, sameTransfer, transferResultBody,
  type TransferRequestWire,
} from './mapping.js';
import { BANK_CLOCK_SKEW_MAX_S, verifyBankRequest } from './request-signing.js';

/** Largest request body read, in bytes; a transfer request is under 1 KB. */
export const BANK_SIMULATOR_REQUEST_BYTES_MAX = 16 * 1024;
/** Single-transfer limit unless the options say otherwise: CNY 500,000. */
export const BANK_SINGLE_TRANSFER_LIMIT_FEN = 50_000_000;
export const BANK_SIMULATOR_COMPLETION_DELAY_MS = 50;
/** Request log entries kept; the oldest half is dropped when full. */
export const BANK_SIMULATOR_LOG_ENTRIES_MAX = 100_000;
/** Nonces remembered at most; they are forgotten after twice the clock-skew window anyway. */
export const BANK_SIMULATOR_NONCES_MAX = 200_000;
export const BANK_FAULT_RULES_MAX = 1_000;
/** A real bank account number: the passbooks and cards of county banks are 16 to 23 digits; 10-32 leaves room. */
const ACCOUNT_NUMBER_REAL = /^\d{10,32}$/;

// ---------------------------------------------------------------- fault plan

export type BankFaultAction =
  /** Never reply; with afterProcessing the bank acts on the request first (the reply is lost, the transfer is not). */
  | { type: 'hang'; afterProcessing: boolean }
  | { type: 'delay'; delayMs: number }
  /** Answer with this status instead; a JSON { code, message } body, or an HTML page as a proxy sends. */
  | { type: 'fail'; status: number; html: boolean };

/** Which calls a rule applies to: the next `times` calls (default 1), optionally for one reference only. */
export interface BankFaultMatch {
  times?: number;
  reference?: string;
}

interface FaultRule {
  reference?: string;
  action: BankFaultAction;
  remaining: number;
}

/** Injected misbehaviour; each call takes the first matching rule, if any. */
export class BankFaultPlan {
  private rules: FaultRule[] = [];

  hang(match: BankFaultMatch & { afterProcessing?: boolean } = {}): void {
    this.add({ type: 'hang', afterProcessing: match.afterProcessing ?? false }, match);
  }

  delay(options: BankFaultMatch & { delayMs: number }): void {
    this.add({ type: 'delay', delayMs: options.delayMs }, options);
  }

  fail(options: BankFaultMatch & { status: number; html?: boolean }): void {
    if (!Number.isInteger(options.status) || options.status < 400 || options.status > 599) throw new Error('fail status must be 400..599');
    this.add({ type: 'fail', status: options.status, html: options.html ?? false }, options);
  }

  clear(): void {
    this.rules = [];
  }

  pending(): number {
    return this.rules.length;
  }

  take(reference: string | undefined): BankFaultAction | undefined {
    const rule = this.rules.find((r) => r.reference === undefined || r.reference === reference);
    if (!rule) return undefined;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.rules = this.rules.filter((r) => r !== rule);
    return rule.action;
  }

  private add(action: BankFaultAction, match: BankFaultMatch): void {
    if (this.rules.length >= BANK_FAULT_RULES_MAX) throw new Error(`fault plan holds at most ${BANK_FAULT_RULES_MAX} rules`);
    const times = match.times ?? 1;
    if (!(times >= 1)) throw new Error('fault rule times must be at least 1');
    this.rules.push({ reference: match.reference, action, remaining: times });
  }
}

// ---------------------------------------------------------------- state

export interface SimulatedTransfer {
  reference: string;
  bankReference: string;
  amountFen: Fen;
  /** Account number masked (****5678). */
  payee: BankAccount;
  purpose: string;
  memo: string;
  status: BankTransferState;
  failureReason?: string;
  acceptedAt: string;
  completedAt?: string;
  /** How many requests named this reference and were answered 202/200. */
  requests: number;
}

export interface BankSimulatorRequestLog {
  method: string;
  path: string;
  reference?: string;
  /** HTTP status answered; undefined for a hang. */
  status?: number;
  /** The error code answered, if any. */
  code?: string;
  injected?: BankFaultAction['type'];
  at: Date;
}

interface Transfer {
  wire: TransferRequestWire;
  bankReference: string;
  status: BankTransferState;
  failureReason?: string;
  acceptedAt: string;
  completedAt?: string;
  requests: number;
}

export interface BankSimulatorOptions {
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  merchantId: string;
  /** The merchant's API secret for request signatures. */
  secret: string;
  /** Where results are POSTed; none: results are kept (GET shows them) and not sent. */
  callbackUrl?: string;
  /** Secret signing the result notifications (a different secret from the API one). */
  callbackSecret: string;
  completionDelayMs?: number;
  singleTransferLimitFen?: Fen;
  /** Retry limits of the callback delivery; tests shorten them. */
  callbackDelivery?: Pick<WebhookDeliveryOptions<TransferResult>, 'attemptsMax' | 'firstDelayMs' | 'delayMsMax' | 'timeoutMs'>;
  /** A result not delivered after all attempts; by default a warning (no account numbers in it). */
  onCallbackGiveUp?: (result: TransferResult, reason: string) => void;
}

export interface BankSimulator {
  /** Base URL; the client appends /api/v1/transfers. */
  url: string;
  faults: BankFaultPlan;
  /** Transfers to this account are accepted, then fail asynchronously with this reason (e.g. 账户已销户). */
  failAccount(accountNumber: string, reason: string): void;
  /** Transfers to this account are refused at once: 422 with this code. */
  rejectAccount(accountNumber: string, code: string, message?: string): void;
  /** Every transfer held, oldest first, account numbers masked. */
  transfers(): SimulatedTransfer[];
  /** The request log, oldest first. */
  requests(): BankSimulatorRequestLog[];
  /** Money paid out to one account so far (succeeded transfers only). */
  paidOutFen(accountNumber: string): Fen;
  totalPaidOutFen(): Fen;
  /** Notifications given up after all attempts. */
  undelivered(): { result: TransferResult; reason: string }[];
  /** Sends the completed transfer's notification again, same notificationId: what a bank does now and then. */
  redeliver(reference: string): void;
  /** Results completed from now on go here; undefined stops sending. */
  setCallbackUrl(url: string | undefined): void;
  /** Resolves once every accepted transfer has completed and every notification is delivered or given up. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------- replies

const JSON_TYPE = { 'Content-Type': 'application/json; charset=utf-8' };

function sendJson(res: http.ServerResponse, status: number, body: object): void {
  res.writeHead(status, JSON_TYPE).end(JSON.stringify(body));
}

const ERROR_PAGE = (status: number) => `<!DOCTYPE html><html><head><title>${status} Bad Gateway</title></head>`
  + `<body><center><h1>${status} Bad Gateway</h1></center><hr><center>nginx</center></body></html>`;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function readBody(req: http.IncomingMessage, bytesMax: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > bytesMax) over = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The reference a request is about, for the fault plan and the log; the handlers validate properly. */
function peekReference(method: string, path: string, body: Buffer): string | undefined {
  if (method === 'GET' && path.startsWith(`${BANK_TRANSFERS_PATH}/`)) {
    try {
      return decodeURIComponent(path.slice(BANK_TRANSFERS_PATH.length + 1));
    } catch {
      return undefined; // malformed percent-encoding: no such transfer (404)
    }
  }
  if (method !== 'POST') return undefined;
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    const reference = typeof parsed === 'object' && parsed !== null ? (parsed as { reference?: unknown }).reference : undefined;
    return typeof reference === 'string' ? reference.slice(0, 64) : undefined;
  } catch {
    return undefined;
  }
}

function statusRecord(t: Transfer): TransferStatusRecord {
  return {
    reference: t.wire.reference,
    bankReference: t.bankReference,
    status: t.status,
    amountFen: t.wire.amountFen,
    ...(t.failureReason !== undefined ? { failureReason: t.failureReason } : {}),
    acceptedAt: t.acceptedAt,
    ...(t.completedAt !== undefined ? { completedAt: t.completedAt } : {}),
  };
}

// ---------------------------------------------------------------- the bank

export async function startBankSimulator(options: BankSimulatorOptions): Promise<BankSimulator> {
  const completionDelayMs = options.completionDelayMs ?? BANK_SIMULATOR_COMPLETION_DELAY_MS;
  const limitFen = options.singleTransferLimitFen ?? BANK_SINGLE_TRANSFER_LIMIT_FEN;
  if (!Number.isSafeInteger(limitFen) || limitFen <= 0 || limitFen > AMOUNT_FEN_MAX) throw new Error('singleTransferLimitFen must be a positive whole number of fen');
  const faults = new BankFaultPlan();
  const byReference = new Map<string, Transfer>();
  const results = new Map<string, TransferResult>();
  const failing = new Map<string, string>();
  const rejecting = new Map<string, { code: string; message: string }>();
  const paidOut = new Map<string, Fen>();
  const nonces = new Map<string, number>();
  const log: BankSimulatorRequestLog[] = [];
  const undelivered: { result: TransferResult; reason: string }[] = [];
  const completions = new Map<NodeJS.Timeout, { promise: Promise<void>; resolve: () => void }>();
  const deliveries = new Set<WebhookDelivery<TransferResult>>();
  let delivery: WebhookDelivery<TransferResult> | undefined;
  let sequence = 0;
  let notificationSequence = 0;
  let closed = false;

  const onGiveUp = (result: TransferResult, reason: string) => {
    undelivered.push({ result, reason });
    if (options.onCallbackGiveUp) options.onCallbackGiveUp(result, reason);
    else console.warn(`bank simulator: result of transfer ${result.reference} (${result.status}) not delivered: ${reason}`);
  };

  function setCallbackUrl(url: string | undefined): void {
    // The old sender keeps retrying what it holds, to the old URL; idle() and close() still wait for it.
    delivery = url === undefined ? undefined : startWebhookDelivery<TransferResult>({
      ...options.callbackDelivery, targetUrl: url, secret: options.callbackSecret, body: transferResultBody, onGiveUp,
    });
    if (delivery) deliveries.add(delivery);
  }
  setCallbackUrl(options.callbackUrl);

  function remember(entry: BankSimulatorRequestLog): BankSimulatorRequestLog {
    if (log.length >= BANK_SIMULATOR_LOG_ENTRIES_MAX) log.splice(0, BANK_SIMULATOR_LOG_ENTRIES_MAX / 2);
    log.push(entry);
    return entry;
  }

  /** A nonce seen within twice the skew window is a replay. */
  function freshNonce(nonce: string, nowMs: number): boolean {
    if (nonces.size >= BANK_SIMULATOR_NONCES_MAX) {
      for (const [n, expires] of nonces) if (expires <= nowMs) nonces.delete(n);
      if (nonces.size >= BANK_SIMULATOR_NONCES_MAX) nonces.delete(nonces.keys().next().value!);
    }
    const seen = nonces.get(nonce);
    if (seen !== undefined && seen > nowMs) return false;
    nonces.set(nonce, nowMs + 2 * BANK_CLOCK_SKEW_MAX_S * 1000);
    return true;
  }

  function complete(transfer: Transfer): void {
    const reason = failing.get(transfer.wire.payee.accountNumber);
    transfer.completedAt = new Date().toISOString();
    if (reason !== undefined) {
      transfer.status = 'failed';
      transfer.failureReason = reason;
    } else {
      transfer.status = 'succeeded';
      const account = transfer.wire.payee.accountNumber;
      paidOut.set(account, (paidOut.get(account) ?? 0) + transfer.wire.amountFen);
    }
    notificationSequence += 1;
    const result: TransferResult = {
      notificationId: `N${String(notificationSequence).padStart(12, '0')}`,
      reference: transfer.wire.reference,
      bankReference: transfer.bankReference,
      status: transfer.status,
      ...(transfer.failureReason !== undefined ? { failureReason: transfer.failureReason } : {}),
      completedAt: transfer.completedAt,
    };
    results.set(transfer.wire.reference, result);
    delivery?.send(result);
  }

  function accept(wire: TransferRequestWire): Transfer {
    sequence += 1;
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
    const transfer: Transfer = { wire, bankReference: `CB${day}${String(sequence).padStart(10, '0')}`, status: 'accepted', acceptedAt: new Date().toISOString(), requests: 1 };
    byReference.set(wire.reference, transfer);
    // idle() waits on the promise; close() cancels the timer and resolves it without completing.
    let resolve: () => void = () => undefined;
    const promise = new Promise<void>((r) => {
      resolve = r;
    });
    const timer = setTimeout(() => {
      completions.delete(timer);
      complete(transfer);
      resolve();
    }, completionDelayMs);
    completions.set(timer, { promise, resolve });
    return transfer;
  }

  type Answer = { status: number; body: object; code?: string };

  /** Steps 3-6 of the header comment, for a request whose signature is good. */
  function postTransfer(body: Buffer): Answer {
    let wire: TransferRequestWire;
    try {
      wire = parseTransferRequestBody(JSON.parse(body.toString('utf8')) as unknown);
    } catch (error) {
      if (error instanceof SyntaxError) return { status: 400, code: 'INVALID_REQUEST', body: { code: 'INVALID_REQUEST', message: 'body is not JSON' } };
      if (!(error instanceof BankWireError)) throw error;
      return { status: 400, code: 'INVALID_REQUEST', body: { code: 'INVALID_REQUEST', message: error.message, field: error.field } };
    }
    const existing = byReference.get(wire.reference);
    if (existing) {
      if (!sameTransfer(existing.wire, wire)) {
        return { status: 409, code: 'REFERENCE_CONFLICT', body: { code: 'REFERENCE_CONFLICT', message: '交易流水号已存在且内容不同 reference already used with a different body' } };
      }
      existing.requests += 1;
      return { status: 200, body: { bankReference: existing.bankReference, status: 'accepted' } };
    }
    const account = wire.payee.accountNumber;
    const refusal = rejecting.get(account)
      ?? (ACCOUNT_NUMBER_REAL.test(account) ? undefined : { code: 'ACCOUNT_INVALID', message: `收款账号无效 invalid account number ${maskAccountNumber(account)}` })
      ?? (wire.amountFen > limitFen ? { code: 'AMOUNT_OVER_LIMIT', message: `超过单笔限额 amount over the single-transfer limit of ${limitFen} fen` } : undefined);
    if (refusal) return { status: 422, code: refusal.code, body: refusal };
    const transfer = accept(wire);
    return { status: 202, body: { bankReference: transfer.bankReference, status: 'accepted' } };
  }

  function getTransfer(reference: string): Answer {
    const transfer = byReference.get(reference);
    if (!transfer) return { status: 404, code: 'TRANSFER_NOT_FOUND', body: { code: 'TRANSFER_NOT_FOUND', message: '交易不存在 no transfer under this reference' } };
    return { status: 200, body: statusRecord(transfer) };
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const target = req.url ?? '/';
    const path = target.split('?')[0]!;
    const body = await readBody(req, BANK_SIMULATOR_REQUEST_BYTES_MAX);
    const entry = remember({ method, path, at: new Date() });
    const reference = body ? peekReference(method, path, body) : undefined;
    if (reference !== undefined) entry.reference = reference;
    const answer = (a: Answer) => {
      entry.status = a.status;
      if (a.code !== undefined) entry.code = a.code;
      sendJson(res, a.status, a.body);
    };

    const action = faults.take(reference);
    if (action) entry.injected = action.type;
    if (action?.type === 'hang' && !action.afterProcessing) return;
    if (action?.type === 'delay') await sleep(action.delayMs);
    if (action?.type === 'fail') {
      entry.status = action.status;
      if (action.html) res.writeHead(action.status, { 'Content-Type': 'text/html' }).end(ERROR_PAGE(action.status));
      else answer({ status: action.status, code: 'SYSTEM_BUSY', body: { code: 'SYSTEM_BUSY', message: '系统繁忙，请稍后再试 system busy' } });
      return;
    }

    let result: Answer;
    if (body === undefined) {
      result = { status: 413, code: 'BODY_TOO_LARGE', body: { code: 'BODY_TOO_LARGE', message: `body over ${BANK_SIMULATOR_REQUEST_BYTES_MAX} bytes` } };
    } else {
      const verdict = verifyBankRequest({ merchantId: options.merchantId, secret: options.secret }, req.headers, { method, target, body }, new Date());
      const replayed = verdict.ok && !freshNonce(verdict.nonce, Date.now());
      if (!verdict.ok || replayed) {
        const message = verdict.ok ? 'X-Bank-Nonce was used before' : verdict.reason;
        result = { status: 401, code: 'SIGNATURE_INVALID', body: { code: 'SIGNATURE_INVALID', message } };
      } else if (method === 'POST' && path === BANK_TRANSFERS_PATH) {
        result = postTransfer(body);
      } else if (method === 'GET' && reference !== undefined && !reference.includes('/')) {
        result = getTransfer(reference);
      } else {
        result = { status: 404, code: 'NOT_FOUND', body: { code: 'NOT_FOUND', message: 'no such endpoint' } };
      }
    }
    // The bank has acted; the reply is what gets lost.
    if (action?.type === 'hang') {
      entry.code = result.code;
      return;
    }
    answer(result);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A simulator bug must show in the test, not hang it.
      if (!res.headersSent) sendJson(res, 500, { code: 'SIMULATOR_ERROR', message: maskedBankText((error as Error).message ?? String(error)) });
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;

  const idle = async () => {
    for (;;) {
      const waiting = [...completions.values()].map((c) => c.promise);
      if (waiting.length > 0) {
        await Promise.all(waiting);
        continue;
      }
      await Promise.all([...deliveries].map((d) => d.idle()));
      if (completions.size === 0) return;
    }
  };

  return {
    url: `http://${host}:${port}`,
    faults,
    failAccount: (accountNumber, reason) => {
      failing.set(accountNumber, reason);
    },
    rejectAccount: (accountNumber, code, message) => {
      if (!BANK_ERROR_CODE_PATTERN.test(code)) throw new Error('rejection code must be upper-case letters, digits and _');
      rejecting.set(accountNumber, { code, message: message ?? `拒绝 rejected: ${code}` });
    },
    transfers: () => [...byReference.values()].map((t) => ({
      reference: t.wire.reference,
      bankReference: t.bankReference,
      amountFen: t.wire.amountFen,
      payee: maskedPayee(t.wire.payee),
      purpose: t.wire.purpose,
      memo: t.wire.memo,
      status: t.status,
      ...(t.failureReason !== undefined ? { failureReason: t.failureReason } : {}),
      acceptedAt: t.acceptedAt,
      ...(t.completedAt !== undefined ? { completedAt: t.completedAt } : {}),
      requests: t.requests,
    })),
    requests: () => log.map((e) => ({ ...e })),
    paidOutFen: (accountNumber) => paidOut.get(accountNumber) ?? 0,
    totalPaidOutFen: () => [...paidOut.values()].reduce((a, b) => a + b, 0),
    undelivered: () => undelivered.map((u) => ({ ...u })),
    redeliver: (reference) => {
      const result = results.get(reference);
      if (!result) throw new Error(`transfer ${reference} has not completed`);
      delivery?.send(result);
    },
    setCallbackUrl: (url) => {
      if (!closed) setCallbackUrl(url);
    },
    idle,
    close: async () => {
      closed = true;
      for (const [timer, completion] of completions) {
        clearTimeout(timer);
        completion.resolve();
      }
      completions.clear();
      await Promise.all([...deliveries].map((d) => d.close()));
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Hung calls keep their connections open; drop them so close() returns.
        server.closeAllConnections();
      });
    },
  };
}
