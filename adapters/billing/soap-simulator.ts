/**
 * A fake carrier billing system speaking the real wire: a node http server with
 * `soap.listen` serving the two services of ./wsdl (amount charging, account management),
 * stateful through a SubscriberBook. Charges are de-duplicated by referenceCode in the book
 * (same reference, same result, never a second charge). Tests and demos steer it with a
 * FaultPlan: hang (with or without applying the charge first), delay, or reply with a
 * Parlay X fault. Every request body passes assertSafeXml before `soap` parses it; a refused
 * one gets a SOAP fault. Every request is kept in an in-memory log for tests (never printed).
 *
 * getBalance on a postpaid account is refused with POL1011: Parlay X balance is prepaid
 * credit, and reporting the bill owed as a "balance" would invite charging against it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import * as soap from 'soap';
import { guardSoapServer, listenSoap } from '../soap-http.js';
import { soapFault } from '../simulator-faults.js';
import type { XmlLimits } from '../xml-guard.js';
import type { SimulatedChargeResult, SubscriberBook } from './subscriber-book.js';
import {
  ACCOUNT_MANAGEMENT_PATH, ACCOUNT_MANAGEMENT_WSDL, AMOUNT_CHARGING_PATH, AMOUNT_CHARGING_WSDL, BILLING_WSDL_DIR,
} from './soap-client.js';
import {
  BALANCE_TYPE_PREPAID, BillingWireError, FAULT_IDS, TEL_URI_PREFIX, decimalToFen, fenToDecimal, parseChargeArgs, parseSdpTimeStamp, sdpPasswordDigest,
  telToMsisdn, type ParsedCharge,
} from './soap-mapping.js';

/** Largest request body read, in bytes: a billing request is under 2 KB. */
export const SIMULATOR_REQUEST_BYTES_MAX = 64 * 1024;
/** Deepest request nesting accepted. */
export const SIMULATOR_REQUEST_DEPTH_MAX = 32;
/** Request log entries kept; the oldest half is dropped when full, so long demos stay bounded. */
export const SIMULATOR_LOG_ENTRIES_MAX = 200_000;
/** Fault rules pending at most. */
export const FAULT_RULES_MAX = 1_000;
/** How far an SDP timeStamp may be from the simulator's clock. */
export const SDP_TIMESTAMP_SKEW_MS_MAX = 5 * 60 * 1000;

const REQUEST_LIMITS: XmlLimits = { bytesMax: SIMULATOR_REQUEST_BYTES_MAX, depthMax: SIMULATOR_REQUEST_DEPTH_MAX };

export type SimulatedOperation = 'chargeAmount' | 'refundAmount' | 'getBalance';

export interface SimulatorRequestLog {
  /** `refused`: the body failed the XML guard and never reached `soap`. */
  operation: SimulatedOperation | 'refused';
  msisdn?: string;
  referenceCode?: string;
  amountFen?: number;
  at: Date;
  /** What the FaultPlan did to this call, if anything. */
  injected?: FaultAction['type'];
  /** `ok`, `hang`, or the messageId of the fault sent. */
  reply?: string;
}

// ---------------------------------------------------------------- fault plan

export type HangMode = 'applyThenHang' | 'hangWithoutApplying';

export type FaultAction =
  | { type: 'hang'; mode: HangMode }
  | { type: 'delay'; delayMs: number }
  | { type: 'fault'; exception: 'ServiceException' | 'PolicyException'; messageId: string; text: string; variables: string[] };

/** Which calls a rule applies to: the next `times` calls (default 1), optionally of one operation or one msisdn. */
export interface FaultMatch {
  operation?: SimulatedOperation;
  msisdn?: string;
  times?: number;
}

interface FaultRule extends FaultMatch {
  action: FaultAction;
  remaining: number;
}

/** Injected misbehaviour; each call takes the first matching rule, if any. */
export class FaultPlan {
  private rules: FaultRule[] = [];

  /** Never reply (the client times out). `applyThenHang` performs the operation first, whatever its outcome. */
  hang(options: FaultMatch & { mode: HangMode }): void {
    this.add({ type: 'hang', mode: options.mode }, options);
  }

  /** Reply normally, `delayMs` late. */
  delay(options: FaultMatch & { delayMs: number }): void {
    this.add({ type: 'delay', delayMs: options.delayMs }, options);
  }

  /** Reply with this Parlay X fault instead of performing the operation. */
  fault(options: FaultMatch & { exception: 'ServiceException' | 'PolicyException'; messageId: string; text?: string; variables?: string[] }): void {
    const text = options.text ?? (options.exception === 'ServiceException' ? 'A service error occurred. Error code is %1' : 'A policy error occurred. Error code is %1');
    this.add({ type: 'fault', exception: options.exception, messageId: options.messageId, text, variables: options.variables ?? ['injected'] }, options);
  }

  clear(): void {
    this.rules = [];
  }

  /** Rules not used up yet. */
  pending(): number {
    return this.rules.length;
  }

  /** Consumes one use of the first rule matching this call. */
  take(operation: SimulatedOperation, msisdn: string | undefined): FaultAction | undefined {
    const rule = this.rules.find((r) => (!r.operation || r.operation === operation) && (!r.msisdn || r.msisdn === msisdn));
    if (!rule) return undefined;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.rules = this.rules.filter((r) => r !== rule);
    return rule.action;
  }

  private add(action: FaultAction, match: FaultMatch): void {
    if (this.rules.length >= FAULT_RULES_MAX) throw new Error(`fault plan holds at most ${FAULT_RULES_MAX} rules`);
    const times = match.times ?? 1;
    if (!(times >= 1)) throw new Error('fault rule times must be at least 1');
    this.rules.push({ operation: match.operation, msisdn: match.msisdn, times, action, remaining: times });
  }
}

// ---------------------------------------------------------------- faults on the wire

const serviceFault = (messageId: string, text: string, variables: string[]) => soapFault('ServiceException', messageId, text, variables);
const policyFault = (messageId: string, text: string, variables: string[]) => soapFault('PolicyException', messageId, text, variables);

/** A request the carrier cannot read, as the Parlay X fault a carrier would send. */
function faultForBadRequest(error: unknown): { Fault: object } {
  if (!(error instanceof BillingWireError)) throw error;
  const field = error.field ?? 'body';
  if (field.startsWith('charge.')) return serviceFault('SVC0007', 'Invalid charging information: %1', [error.message]);
  return serviceFault('SVC0002', 'Invalid input value for message part %1', [field]);
}

function faultForBookResult(result: SimulatedChargeResult, request: ParsedCharge, operation: SimulatedOperation): { Fault: object } {
  const tel = `${TEL_URI_PREFIX}${request.msisdn}`;
  switch (result.kind) {
    case 'insufficient_credit':
      return policyFault(FAULT_IDS.insufficientCredit, 'Prepaid credit is less than the amount %1', [fenToDecimal(request.amountFen, 'amount')]);
    case 'subscriber_suspended':
      return policyFault(FAULT_IDS.subscriberSuspended, 'The account of %1 is suspended', [tel]);
    case 'subscriber_unknown':
      return serviceFault('SVC0004', 'No valid addresses provided in message part %1', ['endUserIdentifier']);
    case 'duplicate_conflict':
      return operation === 'refundAmount'
        ? policyFault(FAULT_IDS.refundNoMatchingCharge, 'No charge %1 of this subscriber covers the refund', [request.originalReferenceCode ?? '(none)'])
        : policyFault(FAULT_IDS.referenceReused, 'referenceCode %1 was already used for a different charge', [request.referenceCode]);
    case 'charged':
      throw new Error('a completed charge is not a fault');
  }
}

// ---------------------------------------------------------------- operations

function parseRequest(args: unknown): ParsedCharge {
  try {
    return parseChargeArgs(args);
  } catch (error) {
    throw faultForBadRequest(error);
  }
}

function chargeAmount(book: SubscriberBook, args: unknown): object {
  const request = parseRequest(args);
  const result = book.charge(request.msisdn, request.amountFen, request.referenceCode);
  if (result.kind !== 'charged') throw faultForBookResult(result, request, 'chargeAmount');
  return {};
}

function refundAmount(book: SubscriberBook, args: unknown): object {
  const request = parseRequest(args);
  if (request.originalReferenceCode === undefined) throw faultForBookResult({ kind: 'duplicate_conflict' }, request, 'refundAmount');
  const result = book.refund(request.msisdn, request.amountFen, request.referenceCode, request.originalReferenceCode);
  if (result.kind !== 'charged') throw faultForBookResult(result, request, 'refundAmount');
  return {};
}

function getBalance(book: SubscriberBook, args: unknown): object {
  let msisdn: string;
  try {
    msisdn = telToMsisdn((args as { endUserIdentifier?: unknown } | null)?.endUserIdentifier, 'endUserIdentifier');
  } catch (error) {
    throw faultForBadRequest(error);
  }
  const subscriber = book.get(msisdn);
  if (!subscriber) throw serviceFault('SVC0004', 'No valid addresses provided in message part %1', ['endUserIdentifier']);
  if (subscriber.status !== 'active') throw policyFault(FAULT_IDS.subscriberSuspended, 'The account of %1 is suspended', [`${TEL_URI_PREFIX}${msisdn}`]);
  if (subscriber.plan !== 'prepaid') throw policyFault(FAULT_IDS.postpaidNoBalance, 'No prepaid balance: %1 is a postpaid account', [`${TEL_URI_PREFIX}${msisdn}`]);
  const { balanceFen } = subscriber;
  const amount = balanceFen < 0 ? `-${fenToDecimal(-balanceFen, 'balance')}` : fenToDecimal(balanceFen, 'balance');
  return { result: [{ balanceType: BALANCE_TYPE_PREPAID, amount }] };
}

const OPERATIONS: Record<SimulatedOperation, (book: SubscriberBook, args: unknown) => object> = { chargeAmount, refundAmount, getBalance };

// ---------------------------------------------------------------- one call

export interface BillingSoapSimulatorOptions {
  book: SubscriberBook;
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Added before every reply. */
  latencyMs?: number;
  /** When set, every call must carry a valid RequestSOAPHeader for this service provider. */
  sp?: { spId: string; secret: string };
}

interface Simulation {
  book: SubscriberBook;
  faults: FaultPlan;
  latencyMs: number;
  sp?: { spId: string; secret: string };
  log: SimulatorRequestLog[];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** A reply that never comes; the connection is dropped by the client's deadline or by close(). */
const never = () => new Promise<never>(() => undefined);

function record(sim: Simulation, entry: SimulatorRequestLog): SimulatorRequestLog {
  if (sim.log.length >= SIMULATOR_LOG_ENTRIES_MAX) sim.log.splice(0, SIMULATOR_LOG_ENTRIES_MAX / 2);
  sim.log.push(entry);
  return entry;
}

/** Best-effort fields for the log; the operation itself validates them properly. */
function logEntry(operation: SimulatedOperation, args: unknown): SimulatorRequestLog {
  const a = (typeof args === 'object' && args !== null ? args : {}) as Record<string, unknown>;
  const tel = typeof a.endUserIdentifier === 'string' ? a.endUserIdentifier : '';
  const entry: SimulatorRequestLog = { operation, at: new Date() };
  if (tel.startsWith(TEL_URI_PREFIX)) entry.msisdn = tel.slice(TEL_URI_PREFIX.length);
  if (typeof a.referenceCode === 'string') entry.referenceCode = a.referenceCode;
  try {
    entry.amountFen = decimalToFen((a.charge as Record<string, unknown> | undefined)?.amount, 'charge.amount');
  } catch {
    // Logged without an amount; the operation refuses the request with the proper fault.
  }
  return entry;
}

/** Checks the Huawei-style RequestSOAPHeader when the simulation has credentials. */
function checkCredentials(sim: Simulation, headers: unknown): void {
  if (!sim.sp) return;
  const h = ((headers as Record<string, unknown> | undefined)?.RequestSOAPHeader ?? {}) as Record<string, unknown>;
  const timeStamp = typeof h.timeStamp === 'string' ? h.timeStamp : '';
  const stampedAt = parseSdpTimeStamp(timeStamp);
  const fresh = stampedAt !== undefined && Math.abs(Date.now() - stampedAt.getTime()) <= SDP_TIMESTAMP_SKEW_MS_MAX;
  const valid = h.spId === sim.sp.spId && fresh && h.spPassword === sdpPasswordDigest(sim.sp.spId, sim.sp.secret, timeStamp);
  if (!valid) throw serviceFault(FAULT_IDS.spAuthenticationFailed, 'Service provider authentication failed', []);
}

async function handle(sim: Simulation, operation: SimulatedOperation, args: unknown, headers: unknown): Promise<object> {
  const entry = record(sim, logEntry(operation, args));
  try {
    checkCredentials(sim, headers);
    if (sim.latencyMs > 0) await sleep(sim.latencyMs);
    const action = sim.faults.take(operation, entry.msisdn);
    if (action) entry.injected = action.type;
    if (action?.type === 'delay') await sleep(action.delayMs);
    if (action?.type === 'fault') throw soapFault(action.exception, action.messageId, action.text, action.variables);
    if (action?.type === 'hang') {
      if (action.mode === 'applyThenHang') performIgnoringFaults(() => OPERATIONS[operation](sim.book, args));
      return await hang(entry);
    }
    const reply = OPERATIONS[operation](sim.book, args);
    entry.reply = 'ok';
    return reply;
  } catch (error) {
    const id = (error as { Fault?: { detail?: Record<string, { messageId?: string }> } }).Fault?.detail;
    entry.reply = id ? Object.values(id)[0]?.messageId ?? 'fault' : 'error';
    throw error;
  }
}

/** The carrier did its work (charged, or refused) and the reply was lost: only the effect remains. */
function performIgnoringFaults(operation: () => object): void {
  try {
    operation();
  } catch (error) {
    if ((error as { Fault?: unknown }).Fault === undefined) throw error;
  }
}

function hang(entry: SimulatorRequestLog): Promise<never> {
  entry.reply = 'hang';
  return never();
}

function services(sim: Simulation): { charging: soap.IServices; account: soap.IServices } {
  const op = (name: SimulatedOperation) => (args: unknown, _callback: unknown, headers: unknown) => handle(sim, name, args, headers);
  return {
    charging: { AmountChargingService: { AmountCharging: { chargeAmount: op('chargeAmount'), refundAmount: op('refundAmount') } } },
    account: { AccountManagementService: { AccountManagement: { getBalance: op('getBalance') } } },
  };
}

// ---------------------------------------------------------------- the server

// xsd:decimal stays the exact text; amounts are parsed by soap-mapping, never as floats.
const DESERIALIZER = { decimal: (text: string) => text };

export interface BillingSoapSimulator {
  /** Base URL; the client appends the service paths. */
  url: string;
  close(): Promise<void>;
  faults: FaultPlan;
  /** A copy of the request log, oldest first. */
  requests(): SimulatorRequestLog[];
}

export async function startBillingSoapSimulator(options: BillingSoapSimulatorOptions): Promise<BillingSoapSimulator> {
  const sim: Simulation = { book: options.book, faults: new FaultPlan(), latencyMs: options.latencyMs ?? 0, sp: options.sp, log: [] };
  const server = http.createServer((_req, res) => {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('no such service');
  });
  const { charging, account } = services(sim);
  await listenSoap(server, AMOUNT_CHARGING_PATH, path.join(BILLING_WSDL_DIR, AMOUNT_CHARGING_WSDL), charging, DESERIALIZER);
  await listenSoap(server, ACCOUNT_MANAGEMENT_PATH, path.join(BILLING_WSDL_DIR, ACCOUNT_MANAGEMENT_WSDL), account, DESERIALIZER);
  guardSoapServer(server, { limits: REQUEST_LIMITS, onRefused: (code) => record(sim, { operation: 'refused', at: new Date(), reply: code }) });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    faults: sim.faults,
    requests: () => sim.log.map((entry) => ({ ...entry })),
    close: () => new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      // Hung calls keep their connections open; drop them so close() returns.
      server.closeAllConnections();
    }),
  };
}
