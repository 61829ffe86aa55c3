/**
 * Our side of the carrier CRM's wire: CrmPort over SOAP (getSubscriberProfile, ./wsdl), with
 * the `soap` package building the envelopes and the shared guarded HTTP client
 * (../soap-http.ts) carrying them: a deadline per call, a byte limit, HTML refused, the XML
 * guard before any parser. Outcomes:
 * - a reply that parses into a profile -> `found`, holding only the requested groups the
 *   purpose allows (mapping.ts minimises it);
 * - a Parlay X fault -> the fault table in mapping.ts (unknown_subscriber / refused /
 *   service_error);
 * - no reply in time, or the connection lost after sending -> `timeout` (a lookup has no side
 *   effect at the carrier beyond its access log, so the caller may simply retry);
 * - anything else unusable (HTML page, malformed or refused XML, a reply that breaks the
 *   contract, unreachable host) -> `service_error` with a detail saying which.
 * Details never hold a full phone or ID number (mapping.maskedDetail). Nothing is logged here
 * and nothing is retried here.
 */
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as soap from 'soap';
import type { CrmPort, SubscriberLookup, SubscriberLookupOutcome } from '../../src/risk/crm.port.js';
import { parseSoapFault } from '../billing/soap-mapping.js';
import { GuardedSoapHttpClient, readSoapRejection, soapAsyncMethod, type SoapAsyncMethod } from '../soap-http.js';
import type { XmlLimits } from '../xml-guard.js';
import { CrmWireError, lookupArgs, maskedDetail, outcomeForFault, parseProfileReply, type CrmFailure } from './mapping.js';

/** Default deadline of one lookup: a store clerk and an applicant are waiting on it. */
export const CRM_SOAP_TIMEOUT_MS = 5_000;
/** Longest deadline a caller may configure. */
export const CRM_SOAP_TIMEOUT_MS_MAX = 60_000;
/** Largest reply read: a full profile is about 4 KB; anything near this is not a profile. */
export const CRM_SOAP_REPLY_BYTES_MAX = 64 * 1024;
/** Deepest reply nesting accepted: a profile nests 7 deep (Envelope/Body/response/result/usage/recharges/amount). */
export const CRM_SOAP_REPLY_DEPTH_MAX = 32;
/** Open connections to the carrier at most, per client. */
export const CRM_SOAP_SOCKETS_MAX = 32;

export const CRM_WSDL_DIR = fileURLToPath(new URL('./wsdl/', import.meta.url));
export const SUBSCRIBER_PROFILE_WSDL = 'subscriber_profile_service.wsdl';
/** Endpoint path under the configured base URL (SDP-style layout, as billing's; wsdl/README.md). */
export const SUBSCRIBER_PROFILE_PATH = '/CrmService/services/SubscriberProfile';

/**
 * Every typed value stays the exact text: node-soap would turn decimals into floats, dates
 * into Date objects and "12abc" into 12. mapping.ts parses each strictly instead.
 */
export const CRM_SOAP_DESERIALIZER: Record<string, (text: string) => unknown> = Object.fromEntries(
  ['decimal', 'date', 'dateTime', 'int', 'integer', 'long', 'short', 'nonNegativeInteger', 'boolean', 'double', 'float'].map((type) => [type, (text: string) => text]),
);

const REPLY_LIMITS: XmlLimits = { bytesMax: CRM_SOAP_REPLY_BYTES_MAX, depthMax: CRM_SOAP_REPLY_DEPTH_MAX };

export interface CrmSoapClientOptions {
  /** Base URL of the carrier's service gateway, e.g. http://10.1.2.4:8310; the service path is appended. */
  url: string;
  /** Deadline of each lookup; CRM_SOAP_TIMEOUT_MS unless there is a reason. */
  timeoutMs: number;
  /** Folder holding the WSDL/XSD files; ./wsdl beside this file by default. */
  wsdlDir?: string;
}

function serviceError(code: string, detail: string): CrmFailure {
  return { kind: 'service_error', code, detail: maskedDetail(detail) };
}

/** Whatever a lookup rejected with, as an outcome. */
export function outcomeForError(error: unknown): SubscriberLookupOutcome {
  if (error instanceof CrmWireError) return serviceError(error.code, `reply does not fit the contract: ${error.message}`);
  const rejection = readSoapRejection(error);
  switch (rejection.type) {
    case 'transport':
      return rejection.error.kind === 'timeout'
        ? { kind: 'timeout', code: 'TIMEOUT', detail: maskedDetail(rejection.error.message) }
        : serviceError(rejection.error.code, rejection.error.message);
    case 'fault':
      try {
        return outcomeForFault(parseSoapFault(rejection.fault));
      } catch {
        return serviceError('SOAP_FAULT', 'a SOAP fault without a readable body');
      }
    case 'unreadable':
      return serviceError(rejection.code, rejection.detail);
  }
}

async function lookup(getSubscriberProfile: SoapAsyncMethod, request: SubscriberLookup): Promise<SubscriberLookupOutcome> {
  // Built before the call: a malformed request is our bug and rejects, it is not a carrier outcome.
  const args = lookupArgs(request);
  try {
    const [response] = await getSubscriberProfile(args);
    return { kind: 'found', profile: parseProfileReply(response, request) };
  } catch (error) {
    return outcomeForError(error);
  }
}

function checkOptions(options: CrmSoapClientOptions): URL {
  const url = new URL(options.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`CRM SOAP url must be http(s), not ${url.protocol}`);
  if (!Number.isInteger(options.timeoutMs) || options.timeoutMs <= 0 || options.timeoutMs > CRM_SOAP_TIMEOUT_MS_MAX) {
    throw new Error(`CRM SOAP timeoutMs must be a whole number from 1 to ${CRM_SOAP_TIMEOUT_MS_MAX}`);
  }
  return url;
}

/** CrmPort over the carrier's Subscriber Profile service; close() drops the pooled connections. */
export async function createCrmSoapClient(options: CrmSoapClientOptions): Promise<CrmPort> {
  const base = checkOptions(options).href.replace(/\/$/, '');
  const wsdlFile = path.join(options.wsdlDir ?? CRM_WSDL_DIR, SUBSCRIBER_PROFILE_WSDL);
  const agentOptions = { keepAlive: true, maxSockets: CRM_SOAP_SOCKETS_MAX, timeout: options.timeoutMs };
  const agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };
  const client = await soap.createClientAsync(wsdlFile, {
    httpClient: new GuardedSoapHttpClient(options.timeoutMs, agents, REPLY_LIMITS) as unknown as soap.IHttpClient,
    customDeserializer: CRM_SOAP_DESERIALIZER,
    escapeXML: true,
    forceSoap12Headers: false,
  }, `${base}${SUBSCRIBER_PROFILE_PATH}`);
  const getSubscriberProfile = soapAsyncMethod(client, 'getSubscriberProfile');
  return {
    lookupSubscriber: (request) => lookup(getSubscriberProfile, request),
    close: () => {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
