/**
 * Our side of the carrier's real-time billing wire: BillingPort over SOAP (Parlay X Payment
 * amount charging + Account Management getBalance), with the `soap` package building the
 * envelopes from the WSDL in ./wsdl.
 *
 * The HTTP exchange is ours (GuardedSoapHttpClient, handed to `soap` as its `httpClient`)
 * so that every reply is bounded and checked before any XML parser touches it: an explicit
 * deadline per call, a byte limit while reading, a refusal of HTML / non-XML bodies, and
 * assertSafeXml (no DTD, no entity bombs, bounded depth). Outcomes:
 * - no reply in time, or the connection dropped after sending -> `timeout` (the charge may
 *   or may not have happened; retrying with the same referenceCode is safe, the carrier
 *   de-duplicates on it);
 * - a SOAP fault -> the fault table in soap-mapping.ts;
 * - anything else unusable (HTML error page, malformed or refused XML, unreachable host)
 *   -> `service_error` with a detail saying which.
 * No retries here: the queue retries. Nothing is logged here; outcome details never hold a
 * full phone number.
 */
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as soap from 'soap';
import type { BalanceOutcome, BillingPort, ChargeFailure, ChargeOutcome, ChargeRequest, Msisdn, RefundRequest } from '../../src/billing/billing.port.js';
import { XmlGuardError, assertSafeXml, type XmlLimits } from '../xml-guard.js';
import {
  BillingWireError, chargeArgs, failureForFault, maskPhoneNumbers, msisdnToTel, parseBalanceReply, parseSoapFault,
  refundArgs, sdpRequestHeaderXml, FAULT_DETAIL_CHARS_MAX,
} from './soap-mapping.js';

/** Default deadline of one call, connect to last reply byte. */
export const BILLING_SOAP_TIMEOUT_MS = 10_000;
/** Longest deadline a caller may configure: beyond this a stuck carrier would hold queue workers. */
export const BILLING_SOAP_TIMEOUT_MS_MAX = 120_000;
/** Largest reply read: billing replies are under 2 KB; anything near this is not a billing reply. */
export const BILLING_SOAP_REPLY_BYTES_MAX = 64 * 1024;
/** Deepest reply nesting accepted: a fault envelope nests 5 deep. */
export const BILLING_SOAP_REPLY_DEPTH_MAX = 32;
/** Open connections to the carrier at most, per client. */
export const BILLING_SOAP_SOCKETS_MAX = 64;

export const BILLING_WSDL_DIR = fileURLToPath(new URL('./wsdl/', import.meta.url));
export const AMOUNT_CHARGING_WSDL = 'amount_charging_service.wsdl';
export const ACCOUNT_MANAGEMENT_WSDL = 'account_management_service.wsdl';
/** Endpoint paths under the configured base URL (Huawei SDP layout, see wsdl/README.md). */
export const AMOUNT_CHARGING_PATH = '/AmountChargingService/services/AmountCharging';
export const ACCOUNT_MANAGEMENT_PATH = '/AccountManagementService/services/AccountManagement';

const REPLY_LIMITS: XmlLimits = { bytesMax: BILLING_SOAP_REPLY_BYTES_MAX, depthMax: BILLING_SOAP_REPLY_DEPTH_MAX };

export interface BillingSoapClientOptions {
  /** Base URL of the carrier's SDP, e.g. http://10.1.2.3:8310; the service paths are appended. */
  url: string;
  /** Deadline of each call; BILLING_SOAP_TIMEOUT_MS unless there is a reason. */
  timeoutMs: number;
  /** Service provider id; when set, every call carries a RequestSOAPHeader. */
  spId?: string;
  /** The secret the carrier issued with spId; only its digest travels (wsdl/README.md). */
  spPassword?: string;
  /** Folder holding the WSDL/XSD files; ./wsdl beside this file by default. */
  wsdlDir?: string;
}

export type BillingSoapClient = BillingPort & { close(): void };

// ---------------------------------------------------------------- transport

/** A failed exchange, already classified: `timeout` when the outcome is unknown, else `service_error`. */
export class SoapTransportError extends Error {
  constructor(readonly kind: 'timeout' | 'service_error', readonly code: string, message: string) {
    super(message);
    this.name = 'SoapTransportError';
  }
}

/** Node error codes meaning "the request may have reached the carrier, the reply did not reach us". */
const OUTCOME_UNKNOWN_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

function transportError(error: unknown): SoapTransportError {
  if (error instanceof SoapTransportError) return error;
  const code = (error as { code?: unknown })?.code;
  const text = `${typeof code === 'string' ? code : 'network error'}: ${(error as Error)?.message ?? String(error)}`;
  if (typeof code === 'string' && OUTCOME_UNKNOWN_CODES.has(code)) return new SoapTransportError('timeout', 'TIMEOUT', `connection lost before the reply (${text})`);
  return new SoapTransportError('service_error', 'UNREACHABLE', `carrier not reachable (${text})`);
}

interface RawReply { status: number; contentType: string; text: string }

/** Refuses what must never reach the XML parser; returns undefined when the reply may be parsed. */
function refuseReply(reply: RawReply): SoapTransportError | undefined {
  // An HTML error page from a proxy (502/503) is the usual non-SOAP reply; say so rather than "bad XML".
  const looksLikeSoap = /^\uFEFF?\s*</.test(reply.text) && /<([\w.-]+:)?Envelope[\s>]/.test(reply.text) && !/html|json/i.test(reply.contentType);
  if (!looksLikeSoap) {
    const what = reply.contentType === '' ? 'a body without content type' : reply.contentType;
    return new SoapTransportError('service_error', 'NOT_SOAP', `HTTP ${reply.status} reply is ${what}, not a SOAP envelope`);
  }
  try {
    assertSafeXml(reply.text, REPLY_LIMITS);
    return undefined;
  } catch (error) {
    if (!(error instanceof XmlGuardError)) throw error;
    return new SoapTransportError('service_error', error.code, `HTTP ${reply.status} reply refused before parsing: ${error.message}`);
  }
}

type SoapCallback = (error: unknown, response?: unknown, body?: unknown) => void;

/**
 * The `httpClient` given to `soap`: one POST per call with a hard deadline, reply size
 * bounded while reading, reply checked by refuseReply before `soap` parses it.
 */
export class GuardedSoapHttpClient {
  constructor(private readonly timeoutMs: number, private readonly agents: { http: http.Agent; https: https.Agent }) {}

  request(rurl: string, data: unknown, callback: SoapCallback, exheaders?: Record<string, unknown>): ReturnType<soap.IHttpClient['request']> {
    const url = new URL(rurl);
    const body = Buffer.from(typeof data === 'string' ? data : '', 'utf8');
    const isHttps = url.protocol === 'https:';
    const headers = { ...stringHeaders(exheaders), 'Content-Length': String(body.length) };
    const req = (isHttps ? https : http).request(url, { method: 'POST', agent: isHttps ? this.agents.https : this.agents.http, headers });
    let deadline: NodeJS.Timeout | undefined;
    const done = once<Parameters<SoapCallback>>((...args) => {
      clearTimeout(deadline);
      callback(...args);
    });
    deadline = setTimeout(() => {
      done(new SoapTransportError('timeout', 'TIMEOUT', `no reply within ${this.timeoutMs} ms`));
      req.destroy();
    }, this.timeoutMs);
    req.on('error', (error) => done(transportError(error)));
    req.on('response', (res) => readReply(res, (error, reply) => {
      if (error || !reply) return done(error ?? transportError(new Error('no reply')));
      const refused = refuseReply(reply);
      if (refused) return done(refused);
      done(null, { status: reply.status, headers: res.headers, data: reply.text, config: {} }, reply.text);
    }));
    req.end(body);
    // `soap` ignores the returned promise; it resolves so that it can never be an unhandled rejection.
    return Promise.resolve(undefined) as unknown as ReturnType<soap.IHttpClient['request']>;
  }
}

function stringHeaders(headers: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) if (value !== undefined && value !== null) out[name] = String(value);
  return out;
}

function once<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  let called = false;
  return (...args: A) => {
    if (called) return;
    called = true;
    fn(...args);
  };
}

/** Reads the whole reply up to BILLING_SOAP_REPLY_BYTES_MAX; larger replies are cut off and refused. */
function readReply(res: http.IncomingMessage, done: (error: SoapTransportError | null, reply?: RawReply) => void): void {
  const finish = once(done);
  const chunks: Buffer[] = [];
  let bytes = 0;
  const status = res.statusCode ?? 0;
  res.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > BILLING_SOAP_REPLY_BYTES_MAX) {
      finish(new SoapTransportError('service_error', 'XML_TOO_LARGE', `HTTP ${status} reply is larger than ${BILLING_SOAP_REPLY_BYTES_MAX} bytes`));
      res.destroy();
      return;
    }
    chunks.push(chunk);
  });
  res.on('error', (error) => finish(transportError(error)));
  res.on('close', () => {
    if (!res.complete) finish(transportError(Object.assign(new Error('reply cut off'), { code: 'ECONNRESET' })));
  });
  res.on('end', () => finish(null, { status, contentType: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') }));
}

// ---------------------------------------------------------------- replies to outcomes

function serviceError(code: string, detail: string): ChargeFailure {
  // One line (sax messages span several), numbers masked, length bounded: details end up in logs and ops screens.
  const masked = maskPhoneNumbers(detail.replace(/\s+/g, ' '));
  return { kind: 'service_error', code, detail: masked.length > FAULT_DETAIL_CHARS_MAX ? `${masked.slice(0, FAULT_DETAIL_CHARS_MAX - 1)}…` : masked };
}

function statusOf(error: { response?: { status?: unknown } }): string {
  return typeof error.response?.status === 'number' ? `HTTP ${error.response.status}` : 'HTTP';
}

/** Whatever a call rejected with, as a ChargeFailure. */
export function failureForError(error: unknown): ChargeFailure {
  if (error instanceof SoapTransportError) {
    return error.kind === 'timeout' ? { kind: 'timeout', code: 'TIMEOUT', detail: error.message } : serviceError(error.code, error.message);
  }
  if (error instanceof BillingWireError) return serviceError(error.code, `reply does not fit the contract: ${error.message}`);
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    root?: { Envelope?: { Body?: { Fault?: unknown } } }; Fault?: { detail?: unknown }; message?: unknown; response?: { status?: unknown };
  };
  const fault = e.root?.Envelope?.Body?.Fault;
  if (fault !== undefined) return failureForFault(parseSoapFault(fault));
  // node-soap reports a sax parse error as a thrown `{ Fault: { faultstring: 'Invalid XML', detail } }`.
  if (e.Fault !== undefined) return serviceError('MALFORMED_XML', `${statusOf(e)} reply is not well-formed XML: ${String(e.Fault.detail ?? '')}`);
  if (e.message === 'Error http status codes') return serviceError('HTTP_STATUS', `${statusOf(e)} reply without a SOAP body`);
  return serviceError('UNEXPECTED_REPLY', `${statusOf(e)} reply could not be read: ${String(e.message ?? error)}`);
}

/**
 * A charge is confirmed only by its (empty) response element. node-soap returns
 * Body[element] as the result: null exactly when the element is there and empty, the
 * standard reply. Any other result (missing element, empty Body, unexpected content) is
 * settled on the reply itself, at the cost of a second parse.
 */
function assertResponseElement(client: soap.Client, result: unknown, rawReply: unknown, element: string): void {
  if (result === null) return;
  const envelope: unknown = typeof rawReply === 'string' ? client.wsdl.xmlToObject(rawReply) : undefined;
  const body = (envelope as { Body?: unknown } | undefined)?.Body;
  if (typeof body !== 'object' || body === null || !Object.hasOwn(body, element)) {
    throw new BillingWireError('BILLING_WIRE_REPLY_INVALID', `the SOAP body holds no ${element}`, element);
  }
}

type SoapAsyncMethod = (args: unknown) => Promise<[unknown, unknown, ...unknown[]]>;

function method(client: soap.Client, name: string): SoapAsyncMethod {
  const fn = client[`${name}Async`] as SoapAsyncMethod | undefined;
  if (typeof fn !== 'function') throw new Error(`WSDL in use has no operation ${name}`);
  return fn.bind(client);
}

async function chargeOrRefund(client: soap.Client, operation: 'chargeAmount' | 'refundAmount', args: unknown, amountFen: number): Promise<ChargeOutcome> {
  try {
    const [result, rawReply] = await method(client, operation)(args);
    assertResponseElement(client, result, rawReply, `${operation}Response`);
    return { kind: 'charged', amountFen };
  } catch (error) {
    return failureForError(error);
  }
}

async function balanceOf(client: soap.Client, msisdn: Msisdn): Promise<BalanceOutcome> {
  const args = { endUserIdentifier: msisdnToTel(msisdn, 'msisdn') };
  try {
    const [result] = await method(client, 'getBalance')(args);
    return { kind: 'balance', balanceFen: parseBalanceReply(result) };
  } catch (error) {
    return failureForError(error);
  }
}

// ---------------------------------------------------------------- the client

/**
 * ChargingInformation's fields are unqualified in the Parlay X schema (no elementFormDefault),
 * but node-soap declares the operation's namespace as the default one, which would put
 * <description>, <currency>, <amount> in it. `xmlns=""` on <charge> keeps them unqualified,
 * as a strict (Axis, CXF) carrier expects.
 */
function unqualifiedCharge<T extends { charge: object }>(args: T): T {
  return { ...args, charge: { attributes: { xmlns: '' }, ...args.charge } };
}

function checkOptions(options: BillingSoapClientOptions): URL {
  const url = new URL(options.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`billing SOAP url must be http(s), not ${url.protocol}`);
  if (!Number.isInteger(options.timeoutMs) || options.timeoutMs <= 0 || options.timeoutMs > BILLING_SOAP_TIMEOUT_MS_MAX) {
    throw new Error(`billing SOAP timeoutMs must be a whole number from 1 to ${BILLING_SOAP_TIMEOUT_MS_MAX}`);
  }
  if ((options.spId === undefined) !== (options.spPassword === undefined)) throw new Error('billing SOAP spId and spPassword go together');
  return url;
}

async function soapClient(wsdlFile: string, endpoint: string, httpClient: GuardedSoapHttpClient, options: BillingSoapClientOptions): Promise<soap.Client> {
  const client = await soap.createClientAsync(wsdlFile, {
    httpClient: httpClient as unknown as soap.IHttpClient,
    // xsd:decimal stays the exact text; soap would otherwise turn amounts into floats.
    customDeserializer: { decimal: (text: string) => text },
    escapeXML: true,
    forceSoap12Headers: false,
    disableCache: false,
  }, endpoint);
  const { spId, spPassword } = options;
  if (spId !== undefined && spPassword !== undefined) client.addSoapHeader(() => sdpRequestHeaderXml(spId, spPassword, new Date()));
  return client;
}

/** BillingPort over the carrier's SOAP interfaces; close() drops the pooled connections. */
export async function createBillingSoapClient(options: BillingSoapClientOptions): Promise<BillingSoapClient> {
  const base = checkOptions(options).href.replace(/\/$/, '');
  const wsdlDir = options.wsdlDir ?? BILLING_WSDL_DIR;
  const agentOptions = { keepAlive: true, maxSockets: BILLING_SOAP_SOCKETS_MAX, timeout: options.timeoutMs };
  const agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };
  const httpClient = new GuardedSoapHttpClient(options.timeoutMs, agents);
  const charging = await soapClient(path.join(wsdlDir, AMOUNT_CHARGING_WSDL), `${base}${AMOUNT_CHARGING_PATH}`, httpClient, options);
  const account = await soapClient(path.join(wsdlDir, ACCOUNT_MANAGEMENT_WSDL), `${base}${ACCOUNT_MANAGEMENT_PATH}`, httpClient, options);
  return {
    getBalance: (msisdn: Msisdn) => balanceOf(account, msisdn),
    // Arguments are built before the call: a malformed request is our bug and throws, it is not a carrier outcome.
    charge: async (request: ChargeRequest) => chargeOrRefund(charging, 'chargeAmount', unqualifiedCharge(chargeArgs(request)), request.amountFen),
    refund: async (request: RefundRequest) => chargeOrRefund(charging, 'refundAmount', unqualifiedCharge(refundArgs(request)), request.amountFen),
    close: () => {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
