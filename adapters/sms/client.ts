/**
 * Our side of the carrier SMS gateway's wire: SmsPort over SOAP (Parlay X SendSms.sendSms,
 * ./wsdl), with the `soap` package building the envelopes and the shared guarded HTTP client
 * (../soap-http.ts) carrying them: a deadline per call, a byte limit, HTML refused, the XML
 * guard before any parser. Every message carries our reference as receiptRequest.correlator;
 * the gateway de-duplicates on it, so a resend after a timeout never reaches the phone twice.
 * Outcomes:
 * - a sendSmsResponse with a requestIdentifier -> `accepted`, with the segment count the
 *   gateway bills (smsSegments);
 * - a Parlay X fault -> the fault table in mapping.ts (`refused` for unknown, barred or
 *   opted-out numbers and other policy refusals; `service_error` otherwise);
 * - no reply in time, or the connection lost after sending -> `timeout` (the message may
 *   have gone out; resending with the same reference is safe);
 * - anything else unusable (HTML page, malformed or refused XML, a reply that breaks the
 *   contract, unreachable host) -> `service_error` with a detail saying which.
 * Details never hold a full phone number (mapping.maskedDetail). Nothing is logged here and
 * nothing is retried here: the outbound queue retries (src/sms/outbound.ts).
 */
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as soap from 'soap';
import { smsSegments } from '../../src/core/sms-segments.js';
import type { SmsPort, SmsSendOutcome, SmsSendRequest } from '../../src/sms/sms.port.js';
import { parseSoapFault } from '../billing/soap-mapping.js';
import { GuardedSoapHttpClient, readSoapRejection, soapAsyncMethod, type SoapAsyncMethod } from '../soap-http.js';
import type { XmlLimits } from '../xml-guard.js';
import {
  RECEIPT_ENDPOINT_NONE, SmsWireError, checkSenderName, maskedDetail, outcomeForFault, parseSendSmsReply, sendSmsArgs, type SendSmsOptions,
} from './mapping.js';

/** Default deadline of one send: an OTP is awaited by a clerk and a borrower at the counter. */
export const SMS_SOAP_TIMEOUT_MS = 5_000;
/** Longest deadline a caller may configure: beyond this a stuck gateway would hold queue workers. */
export const SMS_SOAP_TIMEOUT_MS_MAX = 60_000;
/** Largest reply read: a sendSmsResponse is under 1 KB; anything near this is not one. */
export const SMS_SOAP_REPLY_BYTES_MAX = 64 * 1024;
/** Deepest reply nesting accepted: a fault envelope nests 5 deep. */
export const SMS_SOAP_REPLY_DEPTH_MAX = 32;
/** Open connections to the gateway at most, per client (the later TPS limit sits in front of this). */
export const SMS_SOAP_SOCKETS_MAX = 32;

export const SMS_WSDL_DIR = fileURLToPath(new URL('./wsdl/', import.meta.url));
export const SEND_SMS_WSDL = 'sms_send_service.wsdl';
/** Endpoint path under the configured base URL (SDP layout of the Parlay X SendSms service, wsdl/README.md). */
export const SEND_SMS_PATH = '/SendSmsService/services/SendSms';

/**
 * Every typed value stays the exact text: node-soap would turn decimals into floats and
 * "12abc" into 12. mapping.ts reads each strictly instead.
 */
export const SMS_SOAP_DESERIALIZER: Record<string, (text: string) => unknown> = Object.fromEntries(
  ['decimal', 'date', 'dateTime', 'int', 'integer', 'long', 'short', 'boolean', 'double', 'float'].map((type) => [type, (text: string) => text]),
);

const REPLY_LIMITS: XmlLimits = { bytesMax: SMS_SOAP_REPLY_BYTES_MAX, depthMax: SMS_SOAP_REPLY_DEPTH_MAX };

export interface SmsSoapClientOptions {
  /** Base URL of the carrier's SMS gateway, e.g. http://10.1.2.5:8310; the service path is appended. */
  url: string;
  /** Deadline of each send; SMS_SOAP_TIMEOUT_MS unless there is a reason. */
  timeoutMs: number;
  /** The service provider's sender code or signature the carrier assigned (shown on the handset). */
  senderName: string;
  /**
   * Where the gateway should send delivery receipts (notifySmsDeliveryReceipt). Until the
   * lender serves that endpoint, RECEIPT_ENDPOINT_NONE (wsdl/README.md).
   */
  receiptEndpoint?: string;
  /** Folder holding the WSDL/XSD files; ./wsdl beside this file by default. */
  wsdlDir?: string;
}

type SmsFailure = Exclude<SmsSendOutcome, { kind: 'accepted' }>;

function serviceError(code: string, detail: string): SmsFailure {
  return { kind: 'service_error', code, detail: maskedDetail(detail) };
}

/** Whatever a send rejected with, as an outcome. */
export function outcomeForError(error: unknown, request: SmsSendRequest): SmsSendOutcome {
  if (error instanceof SmsWireError) return serviceError(error.code, `reply does not fit the contract: ${error.message}`);
  const rejection = readSoapRejection(error);
  switch (rejection.type) {
    case 'transport':
      return rejection.error.kind === 'timeout'
        ? { kind: 'timeout', code: 'TIMEOUT', detail: maskedDetail(rejection.error.message) }
        : serviceError(rejection.error.code, rejection.error.message);
    case 'fault':
      try {
        return outcomeForFault(parseSoapFault(rejection.fault), request);
      } catch {
        return serviceError('SOAP_FAULT', 'a SOAP fault without a readable body');
      }
    case 'unreadable':
      return serviceError(rejection.code, rejection.detail);
  }
}

async function send(sendSms: SoapAsyncMethod, request: SmsSendRequest, options: SendSmsOptions): Promise<SmsSendOutcome> {
  // Built before the call: a malformed request is our bug and rejects, it is not a gateway outcome.
  const args = sendSmsArgs(request, options);
  try {
    const [response] = await sendSms(args);
    return { kind: 'accepted', requestIdentifier: parseSendSmsReply(response), segments: smsSegments(request.text).segments };
  } catch (error) {
    return outcomeForError(error, request);
  }
}

function checkOptions(options: SmsSoapClientOptions): URL {
  const url = new URL(options.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`SMS SOAP url must be http(s), not ${url.protocol}`);
  if (!Number.isInteger(options.timeoutMs) || options.timeoutMs <= 0 || options.timeoutMs > SMS_SOAP_TIMEOUT_MS_MAX) {
    throw new Error(`SMS SOAP timeoutMs must be a whole number from 1 to ${SMS_SOAP_TIMEOUT_MS_MAX}`);
  }
  checkSenderName(options.senderName);
  if (options.receiptEndpoint !== undefined && !URL.canParse(options.receiptEndpoint)) throw new Error('SMS receiptEndpoint must be an absolute URI');
  return url;
}

/** SmsPort over the carrier's SendSms service; close() drops the pooled connections. */
export async function createSmsSoapClient(options: SmsSoapClientOptions): Promise<SmsPort> {
  const base = checkOptions(options).href.replace(/\/$/, '');
  const wsdlFile = path.join(options.wsdlDir ?? SMS_WSDL_DIR, SEND_SMS_WSDL);
  const agentOptions = { keepAlive: true, maxSockets: SMS_SOAP_SOCKETS_MAX, timeout: options.timeoutMs };
  const agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };
  const client = await soap.createClientAsync(wsdlFile, {
    httpClient: new GuardedSoapHttpClient(options.timeoutMs, agents, REPLY_LIMITS) as unknown as soap.IHttpClient,
    customDeserializer: SMS_SOAP_DESERIALIZER,
    escapeXML: true,
    forceSoap12Headers: false,
  }, `${base}${SEND_SMS_PATH}`);
  const sendSms = soapAsyncMethod(client, 'sendSms');
  const sendOptions: SendSmsOptions = { senderName: options.senderName, receiptEndpoint: options.receiptEndpoint ?? RECEIPT_ENDPOINT_NONE };
  return {
    send: (request) => send(sendSms, request, sendOptions),
    close: () => {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
