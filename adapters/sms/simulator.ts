/**
 * A fake carrier SMS gateway speaking the real wire: a node http server with `soap.listen`
 * serving Parlay X SendSms (./wsdl), and a phone per number whose inbox tests and the
 * sandbox read (to see a one-time code, say). A sendSms is handled as a careful gateway would:
 *   1. a request that does not fit the contract -> ServiceException SVC0002 (variable: the part);
 *   2. more than one address -> PolicyException POL0003; a `charging` element -> POL0008
 *      (the lender never charges the recipient);
 *   3. a text over SMS_SEGMENTS_MAX segments -> ServiceException SVC0280;
 *   4. a correlator seen before -> the first requestIdentifier again, nothing delivered
 *      (the same correlator with another number or text -> SVC0002 naming the correlator);
 *   5. an unknown number -> ServiceException SVC0004; a barred one -> POL3101; an opted-out
 *      one -> POL3102 (refusals are not remembered: the same correlator may succeed later);
 *   6. otherwise delivered: the phone's inbox gets the text, the reply a new requestIdentifier.
 * Every request body passes the XML guard before `soap` parses it (../soap-http.ts); a
 * refused one gets SVC0001. Tests and demos steer sendSms with an SmsFaultPlan: hang (after
 * delivering or without), delay, a Parlay X fault, or a malformed reply (after delivering).
 * Requests are kept in an in-memory log with numbers masked and without texts: a text may
 * hold a one-time code, and only the phone's inbox shows it.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type * as soap from 'soap';
import { maskMobile } from '../../src/core/identity.js';
import { SMS_SEGMENTS_MAX, smsSegments } from '../../src/core/sms-segments.js';
import { TEL_URI_PREFIX } from '../billing/soap-mapping.js';
import { ParlayXFaultPlan, soapFault, type DelayAction, type FaultMatch, type ParlayXFaultAction } from '../simulator-faults.js';
import { guardSoapServer, listenSoap } from '../soap-http.js';
import type { XmlLimits } from '../xml-guard.js';
import { SEND_SMS_PATH, SEND_SMS_WSDL, SMS_SOAP_DESERIALIZER, SMS_WSDL_DIR } from './client.js';
import {
  ADDRESSES_PER_REQUEST_MAX, SMS_FAULT_IDS, SmsWireError, parseDeliveryStatusArgs, parseSendSmsArgs, type ParsedSendSms,
} from './mapping.js';

/** Largest request body read, in bytes: ten segments of Chinese text are about 2 KB of XML. */
export const SMS_SIMULATOR_REQUEST_BYTES_MAX = 64 * 1024;
/** Deepest request nesting accepted. */
export const SMS_SIMULATOR_REQUEST_DEPTH_MAX = 32;
/** Request log entries kept; the oldest half is dropped when full, so long demos stay bounded. */
export const SMS_SIMULATOR_LOG_ENTRIES_MAX = 200_000;
/** Correlators remembered for de-duplication; the oldest half is forgotten when full (days of sandbox traffic). */
export const SMS_SIMULATOR_CORRELATORS_MAX = 200_000;
/** Messages kept per phone, newest last; a phone's memory is not endless either. */
export const SMS_SIMULATOR_INBOX_MESSAGES_MAX = 100;
/** Phones with an inbox at most; the one that received first is forgotten first. */
export const SMS_SIMULATOR_INBOXES_MAX = 100_000;
/** Fault rules pending at most. */
export const SMS_FAULT_RULES_MAX = 1_000;

const REQUEST_LIMITS: XmlLimits = { bytesMax: SMS_SIMULATOR_REQUEST_BYTES_MAX, depthMax: SMS_SIMULATOR_REQUEST_DEPTH_MAX };

/** One message as the phone shows it. */
export interface SmsInboxMessage {
  text: string;
  /** The correlator it was sent under (our reference); null when the sender asked for no receipt. */
  reference: string | null;
  receivedAt: Date;
  segments: number;
}

export type SmsSimulatedOperation = 'sendSms' | 'getSmsDeliveryStatus';

export interface SmsSimulatorRequestLog {
  /** `refused`: the body failed the XML guard and never reached `soap`. */
  operation: SmsSimulatedOperation | 'refused';
  /** Masked, 139****0001: the log is for tests and demos, and may be shown. */
  msisdn?: string;
  correlator?: string;
  requestIdentifier?: string;
  segments?: number;
  at: Date;
  /** What the fault plan did to this call, if anything. */
  injected?: SmsFaultAction['type'];
  /** `ok` (delivered), `duplicate` (first result repeated), `hang`, `malformed`, the messageId of the fault sent, or the guard's code. */
  reply?: string;
}

// ---------------------------------------------------------------- fault plan

/** `deliverThenHang`: the phone gets the message, the reply never comes (the resend must not deliver again). */
export type SmsHangMode = 'deliverThenHang' | 'hangWithoutDelivering';
/** `broken_xml`: a 200 whose body is not well-formed. `schema_violation`: a well-formed reply with an unusable requestIdentifier. */
export type SmsMalformedMode = 'broken_xml' | 'schema_violation';

export type SmsFaultAction =
  | { type: 'hang'; mode: SmsHangMode }
  | DelayAction
  | ParlayXFaultAction
  | { type: 'malformed'; mode: SmsMalformedMode };

export type SmsFaultMatch = FaultMatch;

/** Injected misbehaviour of sendSms; each call takes the first matching rule, if any. */
export class SmsFaultPlan extends ParlayXFaultPlan<SmsFaultAction> {
  constructor() {
    super(SMS_FAULT_RULES_MAX);
  }

  /** Never reply: the client's deadline passes. By default nothing is delivered; `deliverThenHang` delivers first. */
  hang(match: FaultMatch & { mode?: SmsHangMode } = {}): void {
    this.add({ type: 'hang', mode: match.mode ?? 'hangWithoutDelivering' }, match);
  }

  /** Deliver, then reply with a 200 that is broken XML, or a well-formed reply with an unusable requestIdentifier. */
  malformed(options: FaultMatch & { mode: SmsMalformedMode }): void {
    this.add({ type: 'malformed', mode: options.mode }, options);
  }
}

// ---------------------------------------------------------------- faults on the wire

const serviceFault = (messageId: string, text: string, variables: string[]) => soapFault('ServiceException', messageId, text, variables);
const policyFault = (messageId: string, text: string, variables: string[]) => soapFault('PolicyException', messageId, text, variables);
const invalidInput = (part: string) => serviceFault('SVC0002', 'Invalid input value for message part %1', [part]);

// ---------------------------------------------------------------- the gateway's state

/** Why the gateway refuses a number it knows. */
export type SmsRefusal = 'barred' | 'opted_out';

interface SentMessage {
  requestIdentifier: string;
  msisdn: string;
  /** Address and text, hashed: a correlator reused for another message is refused, not answered. */
  fingerprint: string;
}

interface Simulation {
  faults: SmsFaultPlan;
  latencyMs: number;
  log: SmsSimulatorRequestLog[];
  unknown: Set<string>;
  refusals: Map<string, SmsRefusal>;
  byCorrelator: Map<string, SentMessage>;
  byRequestIdentifier: Map<string, string>;
  inboxes: Map<string, SmsInboxMessage[]>;
  runId: string;
  sequence: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** A reply that never comes; the connection is dropped by the client's deadline or by close(). */
const never = () => new Promise<never>(() => undefined);

function record(sim: Simulation, entry: SmsSimulatorRequestLog): SmsSimulatorRequestLog {
  if (sim.log.length >= SMS_SIMULATOR_LOG_ENTRIES_MAX) sim.log.splice(0, SMS_SIMULATOR_LOG_ENTRIES_MAX / 2);
  sim.log.push(entry);
  return entry;
}

/** Drops the oldest entries of a Map (insertion order) once it holds `max`. */
function bound<K, V>(map: Map<K, V>, max: number, drop: number): void {
  if (map.size < max) return;
  let dropped = 0;
  for (const key of map.keys()) {
    if (dropped >= drop) break;
    map.delete(key);
    dropped += 1;
  }
}

function fingerprint(msisdn: string, message: string): string {
  return createHash('sha256').update(`${msisdn}\n${message}`, 'utf8').digest('hex');
}

function deliver(sim: Simulation, msisdn: string, request: ParsedSendSms, segments: number): string {
  sim.sequence += 1;
  const requestIdentifier = `SMS${sim.runId}${String(sim.sequence).padStart(8, '0')}`;
  const reference = request.receipt?.correlator ?? null;
  if (reference !== null) {
    bound(sim.byCorrelator, SMS_SIMULATOR_CORRELATORS_MAX, SMS_SIMULATOR_CORRELATORS_MAX / 2);
    sim.byCorrelator.set(reference, { requestIdentifier, msisdn, fingerprint: fingerprint(msisdn, request.message) });
  }
  bound(sim.byRequestIdentifier, SMS_SIMULATOR_CORRELATORS_MAX, SMS_SIMULATOR_CORRELATORS_MAX / 2);
  sim.byRequestIdentifier.set(requestIdentifier, msisdn);
  let inbox = sim.inboxes.get(msisdn);
  if (!inbox) {
    bound(sim.inboxes, SMS_SIMULATOR_INBOXES_MAX, 1);
    inbox = [];
    sim.inboxes.set(msisdn, inbox);
  }
  if (inbox.length >= SMS_SIMULATOR_INBOX_MESSAGES_MAX) inbox.shift();
  inbox.push({ text: request.message, reference, receivedAt: new Date(), segments });
  return requestIdentifier;
}

// ---------------------------------------------------------------- the operations

function parseRequest(args: unknown): ParsedSendSms {
  try {
    return parseSendSmsArgs(args);
  } catch (error) {
    if (!(error instanceof SmsWireError)) throw error;
    throw invalidInput(error.field ?? 'body');
  }
}

/** The gateway's rules, in the order of the header comment; `duplicate` tells the log a first result was repeated. */
function sendSms(sim: Simulation, args: unknown, entry: SmsSimulatorRequestLog): { result: string } {
  const request = parseRequest(args);
  if (request.msisdns.length > ADDRESSES_PER_REQUEST_MAX) {
    throw policyFault('POL0003', 'Too many addresses specified in message part %1', ['addresses']);
  }
  if (request.charging) throw policyFault('POL0008', 'Charging is not supported', []);
  const msisdn = request.msisdns[0]!;
  const segments = smsSegments(request.message).segments;
  entry.segments = segments;
  if (segments > SMS_SEGMENTS_MAX) throw serviceFault('SVC0280', 'Message too long. Maximum length is %1', [`${SMS_SEGMENTS_MAX} segments`]);
  const correlator = request.receipt?.correlator;
  const first = correlator === undefined ? undefined : sim.byCorrelator.get(correlator);
  if (first) {
    if (first.fingerprint !== fingerprint(msisdn, request.message)) throw invalidInput('receiptRequest.correlator');
    entry.requestIdentifier = first.requestIdentifier;
    entry.reply = 'duplicate';
    return { result: first.requestIdentifier };
  }
  const tel = `${TEL_URI_PREFIX}${msisdn}`;
  if (sim.unknown.has(msisdn)) throw serviceFault('SVC0004', 'No valid addresses provided in message part %1', ['addresses']);
  const refusal = sim.refusals.get(msisdn);
  if (refusal === 'barred') throw policyFault(SMS_FAULT_IDS.barred, 'Messages to %1 are barred', [tel]);
  if (refusal === 'opted_out') throw policyFault(SMS_FAULT_IDS.optedOut, '%1 has opted out of messages from %2', [tel, request.senderName ?? 'this sender']);
  const requestIdentifier = deliver(sim, msisdn, request, segments);
  entry.requestIdentifier = requestIdentifier;
  entry.reply = 'ok';
  return { result: requestIdentifier };
}

function getSmsDeliveryStatus(sim: Simulation, args: unknown): { result: { address: string; deliveryStatus: string }[] } {
  let requestIdentifier: string;
  try {
    requestIdentifier = parseDeliveryStatusArgs(args);
  } catch (error) {
    if (!(error instanceof SmsWireError)) throw error;
    throw invalidInput('requestIdentifier');
  }
  const msisdn = sim.byRequestIdentifier.get(requestIdentifier);
  if (msisdn === undefined) throw invalidInput('requestIdentifier');
  // Every simulated phone is reachable: what is delivered is on the handset at once.
  return { result: [{ address: `${TEL_URI_PREFIX}${msisdn}`, deliveryStatus: 'DeliveredToTerminal' }] };
}

/** Looks like the start of a reply, then breaks off into mismatched tags: well-guarded, not well-formed. */
const BROKEN_XML = '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
  + '<local:sendSmsResponse xmlns:local="http://www.csapi.org/schema/parlayx/sms/send/v2_2/local">'
  + '<local:result>SMS</soap:Body></local:sendSmsResponse></soap:Envelope>';
/** A requestIdentifier no contract allows (spaces): the client must refuse the reply. */
const UNUSABLE_REQUEST_IDENTIFIER = 'accepted, identifier follows';

// ---------------------------------------------------------------- one call

/** Best-effort fields for the log and the fault plan; the operation validates them properly. */
function peek(args: unknown): { msisdn?: string; entry: SmsSimulatorRequestLog } {
  const a = (typeof args === 'object' && args !== null ? args : {}) as Record<string, unknown>;
  const entry: SmsSimulatorRequestLog = { operation: 'sendSms', at: new Date() };
  const first = Array.isArray(a.addresses) ? a.addresses[0] : a.addresses;
  const msisdn = typeof first === 'string' && first.startsWith(TEL_URI_PREFIX) ? first.slice(TEL_URI_PREFIX.length) : undefined;
  if (msisdn !== undefined) entry.msisdn = maskMobile(msisdn);
  const correlator = (a.receiptRequest as { correlator?: unknown } | undefined)?.correlator;
  if (typeof correlator === 'string') entry.correlator = correlator;
  return { msisdn, entry };
}

function faultIdOf(error: unknown): string {
  const detail = (error as { Fault?: { detail?: Record<string, { messageId?: string }> } }).Fault?.detail;
  return detail ? Object.values(detail)[0]?.messageId ?? 'fault' : 'error';
}

async function handleSend(sim: Simulation, args: unknown, res: http.ServerResponse): Promise<object> {
  const { msisdn, entry } = peek(args);
  record(sim, entry);
  try {
    if (sim.latencyMs > 0) await sleep(sim.latencyMs);
    const action = sim.faults.take(msisdn);
    if (action) entry.injected = action.type;
    if (action?.type === 'delay') await sleep(action.delayMs);
    if (action?.type === 'fault') throw soapFault(action.exception, action.messageId, action.text, action.variables);
    if (action?.type === 'hang') {
      // Delivered or not, the outcome is hidden from the caller, as when a reply is lost.
      if (action.mode === 'deliverThenHang') {
        try {
          sendSms(sim, args, entry);
        } catch {
          // A refusal is hidden by the hang as well.
        }
      }
      entry.reply = 'hang';
      return await never();
    }
    const reply = sendSms(sim, args, entry);
    if (action?.type === 'malformed') {
      entry.reply = 'malformed';
      if (action.mode === 'schema_violation') return { result: UNUSABLE_REQUEST_IDENTIFIER };
      // Written past `soap`, which cannot be made to send broken XML; its own reply never comes.
      res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8' }).end(BROKEN_XML);
      return await never();
    }
    return reply;
  } catch (error) {
    entry.reply = faultIdOf(error);
    throw error;
  }
}

function handleStatus(sim: Simulation, args: unknown): object {
  const entry = record(sim, { operation: 'getSmsDeliveryStatus', at: new Date() });
  const id = (args as { requestIdentifier?: unknown } | null)?.requestIdentifier;
  if (typeof id === 'string') entry.requestIdentifier = id;
  try {
    const reply = getSmsDeliveryStatus(sim, args);
    entry.reply = 'ok';
    return reply;
  } catch (error) {
    entry.reply = faultIdOf(error);
    throw error;
  }
}

// ---------------------------------------------------------------- the server

export interface SmsSimulatorOptions {
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Added before every sendSms reply. */
  latencyMs?: number;
  /** Numbers the gateway does not know (SVC0004). */
  unknownNumbers?: readonly string[];
  /** Numbers barred from our messages (POL3101). */
  barredNumbers?: readonly string[];
}

export interface SmsSimulator {
  /** Base URL; the client appends SEND_SMS_PATH. */
  url: string;
  faults: SmsFaultPlan;
  /** What the phone with this number received, oldest first (a copy). */
  inbox(msisdn: string): SmsInboxMessage[];
  /** A copy of the request log, oldest first; numbers masked, no texts. */
  requests(): SmsSimulatorRequestLog[];
  /** From now on refuse messages to `msisdn`: barred (POL3101, the default) or opted out (POL3102). */
  bar(msisdn: string, reason?: SmsRefusal): void;
  /** Lifts a bar or an opt-out. */
  unbar(msisdn: string): void;
  /** From now on the gateway does not know `msisdn` (SVC0004). */
  markUnknown(msisdn: string): void;
  close(): Promise<void>;
}

export async function startSmsSimulator(options: SmsSimulatorOptions = {}): Promise<SmsSimulator> {
  const sim: Simulation = {
    faults: new SmsFaultPlan(),
    latencyMs: options.latencyMs ?? 0,
    log: [],
    unknown: new Set(options.unknownNumbers ?? []),
    refusals: new Map((options.barredNumbers ?? []).map((msisdn) => [msisdn, 'barred' as const])),
    byCorrelator: new Map(),
    byRequestIdentifier: new Map(),
    inboxes: new Map(),
    // requestIdentifiers differ between runs of the sandbox, as a real gateway's do.
    runId: Date.now().toString(36).toUpperCase(),
    sequence: 0,
  };
  const server = http.createServer((_req, res) => {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('no such service');
  });
  const services: soap.IServices = {
    SendSmsService: {
      SendSms: {
        // node-soap calls (args, callback, headers, req, res); the response is needed only for broken replies.
        sendSms: (args: unknown, _callback: unknown, _headers: unknown, _req: unknown, res: http.ServerResponse) => handleSend(sim, args, res),
        getSmsDeliveryStatus: (args: unknown) => handleStatus(sim, args),
      },
    },
  };
  await listenSoap(server, SEND_SMS_PATH, path.join(SMS_WSDL_DIR, SEND_SMS_WSDL), services, SMS_SOAP_DESERIALIZER);
  guardSoapServer(server, { limits: REQUEST_LIMITS, onRefused: (code) => record(sim, { operation: 'refused', at: new Date(), reply: code }) });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    faults: sim.faults,
    inbox: (msisdn) => (sim.inboxes.get(msisdn) ?? []).map((m) => ({ ...m, receivedAt: new Date(m.receivedAt) })),
    requests: () => sim.log.map((entry) => ({ ...entry })),
    bar: (msisdn, reason = 'barred') => {
      sim.refusals.set(msisdn, reason);
    },
    unbar: (msisdn) => {
      sim.refusals.delete(msisdn);
    },
    markUnknown: (msisdn) => {
      sim.unknown.add(msisdn);
    },
    close: () => new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      // Hung calls keep their connections open; drop them so close() returns.
      server.closeAllConnections();
    }),
  };
}
