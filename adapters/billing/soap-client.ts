/**
 * Our side of the carrier's real-time billing wire: BillingPort over SOAP (Parlay X Payment
 * amount charging + Account Management getBalance), with the `soap` package building the
 * envelopes from the WSDL in ./wsdl.
 *
 * The HTTP exchange is ours (GuardedSoapHttpClient from ../soap-http.ts, handed to `soap` as its `httpClient`)
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
import type { XmlLimits } from '../xml-guard.js';
import { GuardedSoapHttpClient, SoapTransportError } from '../soap-http.js';
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

// The guarded HTTP exchange is shared with the other SOAP adapters (../soap-http.ts); re-exported for existing importers.
export { GuardedSoapHttpClient, SoapTransportError } from '../soap-http.js';

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
  const httpClient = new GuardedSoapHttpClient(options.timeoutMs, agents, REPLY_LIMITS);
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
