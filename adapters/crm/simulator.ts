/**
 * A fake carrier CRM speaking the real wire: a node http server with `soap.listen` serving
 * the Subscriber Profile service of ./wsdl from a PopulationBook. It applies the carrier's
 * rules in the order a careful carrier would, so that nothing is revealed before access is
 * justified:
 *   1. a request that does not fit the contract -> ServiceException SVC0002 (variable: the field);
 *   2. an empty consentReference -> PolicyException POL3002;
 *   3. a field group the purpose does not permit (FIELD_GROUPS_BY_PURPOSE) -> POL3003;
 *   4. a number it does not hold -> POL3001 (only now: existence is personal data too);
 *   5. otherwise exactly the requested groups.
 * Every request body passes the XML guard before `soap` parses it (../soap-http.ts); a
 * refused one gets SVC0001. Tests and demos steer it with a CrmFaultPlan: hang, delay, a
 * Parlay X fault, or a malformed reply (a 200 with broken XML, or a well-formed reply whose
 * values break the schema). Requests are kept in an in-memory log with numbers masked.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type * as soap from 'soap';
import { maskMobile } from '../../src/core/identity.js';
import { FIELD_GROUPS_BY_PURPOSE } from '../../src/core/subscriber-profile.js';
import { TEL_URI_PREFIX } from '../billing/soap-mapping.js';
import { ParlayXFaultPlan, soapFault, type DelayAction, type FaultMatch, type ParlayXFaultAction } from '../simulator-faults.js';
import { guardSoapServer, listenSoap } from '../soap-http.js';
import type { XmlLimits } from '../xml-guard.js';
import { CRM_SOAP_DESERIALIZER, CRM_WSDL_DIR, SUBSCRIBER_PROFILE_PATH, SUBSCRIBER_PROFILE_WSDL } from './client.js';
import { CRM_FAULT_IDS, CrmWireError, parseLookupArgs, profileToWire, type ParsedLookup } from './mapping.js';
import type { PopulationBook } from './population.js';

/** Largest request body read, in bytes: a lookup request is under 1 KB. */
export const CRM_SIMULATOR_REQUEST_BYTES_MAX = 64 * 1024;
/** Deepest request nesting accepted. */
export const CRM_SIMULATOR_REQUEST_DEPTH_MAX = 32;
/** Request log entries kept; the oldest half is dropped when full, so long demos stay bounded. */
export const CRM_SIMULATOR_LOG_ENTRIES_MAX = 200_000;
/** Fault rules pending at most. */
export const CRM_FAULT_RULES_MAX = 1_000;

const REQUEST_LIMITS: XmlLimits = { bytesMax: CRM_SIMULATOR_REQUEST_BYTES_MAX, depthMax: CRM_SIMULATOR_REQUEST_DEPTH_MAX };

export interface CrmSimulatorRequestLog {
  /** `refused`: the body failed the XML guard and never reached `soap`. */
  operation: 'getSubscriberProfile' | 'refused';
  /** Masked, 139****0001: the log is for tests and demos, and may be shown. */
  msisdn?: string;
  purpose?: string;
  fieldGroups?: string[];
  referenceCode?: string;
  at: Date;
  /** What the fault plan did to this call, if anything. */
  injected?: CrmFaultAction['type'];
  /** `ok`, `hang`, `malformed`, the messageId of the fault sent, or the guard's code. */
  reply?: string;
}

// ---------------------------------------------------------------- fault plan

/** `broken_xml`: a 200 whose body is not well-formed. `schema_violation`: a well-formed reply with impossible values. */
export type MalformedMode = 'broken_xml' | 'schema_violation';

export type CrmFaultAction =
  | { type: 'hang' }
  | DelayAction
  | ParlayXFaultAction
  | { type: 'malformed'; mode: MalformedMode };

export type CrmFaultMatch = FaultMatch;

/** Injected misbehaviour; each call takes the first matching rule, if any. */
export class CrmFaultPlan extends ParlayXFaultPlan<CrmFaultAction> {
  constructor() {
    super(CRM_FAULT_RULES_MAX);
  }

  /** Never reply: the client's deadline passes. */
  hang(match: FaultMatch = {}): void {
    this.add({ type: 'hang' }, match);
  }

  /** Reply with a 200 that is broken XML, or a well-formed reply whose values break the schema. */
  malformed(options: FaultMatch & { mode: MalformedMode }): void {
    this.add({ type: 'malformed', mode: options.mode }, options);
  }
}

// ---------------------------------------------------------------- faults on the wire

const policyFault = (messageId: string, text: string, variables: string[]) => soapFault('PolicyException', messageId, text, variables);

// ---------------------------------------------------------------- the operation

function parseRequest(args: unknown): ParsedLookup {
  try {
    return parseLookupArgs(args);
  } catch (error) {
    if (!(error instanceof CrmWireError)) throw error;
    throw soapFault('ServiceException', 'SVC0002', 'Invalid input value for message part %1', [error.field ?? 'body']);
  }
}

/** The carrier's rules, in the order of the header comment. */
function getSubscriberProfile(book: PopulationBook, args: unknown): { result: Record<string, unknown> } {
  const request = parseRequest(args);
  if (request.consentReference === '') throw policyFault(CRM_FAULT_IDS.consentRefused, 'Consent reference %1 is refused', ['(empty)']);
  const allowed = FIELD_GROUPS_BY_PURPOSE[request.purpose];
  const forbidden = request.fieldGroups.filter((g) => !allowed.includes(g));
  if (forbidden.length > 0) {
    throw policyFault(CRM_FAULT_IDS.groupNotPermitted, 'Field group %1 is not permitted for purpose %2', [forbidden.join(','), request.purpose]);
  }
  const profile = book.get(request.msisdn);
  if (!profile) throw policyFault(CRM_FAULT_IDS.unknownSubscriber, 'Unknown subscriber %1', [`${TEL_URI_PREFIX}${request.msisdn}`]);
  return { result: profileToWire(profile, request.fieldGroups) };
}

type Wire = Record<string, Record<string, unknown>>;

/** A well-formed reply whose every group holds a value the schema forbids; the client must refuse it. */
function violateSchema(reply: { result: Record<string, unknown> }): { result: Record<string, unknown> } {
  const result = structuredClone(reply.result) as Wire;
  if (result.identity) {
    const id = String(result.identity.idNumber);
    result.identity.idNumber = `${id.slice(0, 17)}${id[17] === '0' ? '1' : '0'}`;
  }
  if (result.status) result.status.status = 'dormant';
  if (result.plan) result.plan.activatedOn = '2024-02-30';
  if (result.usage) result.usage.monthlySpend = ['12.345', '1', '1', '1', '1', '1'];
  if (result.address) result.address.homeNightSharePercent = 140;
  if (result.device) result.device.deviceSince = 'yesterday';
  if (result.behaviour) result.behaviour.regularContacts = -1;
  return { result };
}

/** Looks like the start of a reply, then breaks off into mismatched tags: well-guarded, not well-formed. */
const BROKEN_XML = '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
  + '<local:getSubscriberProfileResponse xmlns:local="http://www.carrier-lending.example/schema/crm/subscriber_profile/v1_0/local">'
  + '<local:result><local:endUserIdentifier>tel:+86</local:result></soap:Body></soap:Envelope>';

// ---------------------------------------------------------------- one call

interface Simulation {
  book: PopulationBook;
  faults: CrmFaultPlan;
  latencyMs: number;
  log: CrmSimulatorRequestLog[];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** A reply that never comes; the connection is dropped by the client's deadline or by close(). */
const never = () => new Promise<never>(() => undefined);

function record(sim: Simulation, entry: CrmSimulatorRequestLog): CrmSimulatorRequestLog {
  if (sim.log.length >= CRM_SIMULATOR_LOG_ENTRIES_MAX) sim.log.splice(0, CRM_SIMULATOR_LOG_ENTRIES_MAX / 2);
  sim.log.push(entry);
  return entry;
}

/** Best-effort fields for the log and the fault plan; the operation validates them properly. */
function peek(args: unknown): { msisdn?: string; entry: CrmSimulatorRequestLog } {
  const a = (typeof args === 'object' && args !== null ? args : {}) as Record<string, unknown>;
  const entry: CrmSimulatorRequestLog = { operation: 'getSubscriberProfile', at: new Date() };
  const tel = typeof a.endUserIdentifier === 'string' ? a.endUserIdentifier : '';
  const msisdn = tel.startsWith(TEL_URI_PREFIX) ? tel.slice(TEL_URI_PREFIX.length) : undefined;
  if (msisdn !== undefined) entry.msisdn = maskMobile(msisdn);
  if (typeof a.purpose === 'string') entry.purpose = a.purpose;
  const groups = Array.isArray(a.fieldGroups) ? a.fieldGroups : [a.fieldGroups];
  if (groups.every((g) => typeof g === 'string')) entry.fieldGroups = groups as string[];
  if (typeof a.referenceCode === 'string') entry.referenceCode = a.referenceCode;
  return { msisdn, entry };
}

async function handle(sim: Simulation, args: unknown, res: http.ServerResponse): Promise<object> {
  const { msisdn, entry } = peek(args);
  record(sim, entry);
  try {
    if (sim.latencyMs > 0) await sleep(sim.latencyMs);
    const action = sim.faults.take(msisdn);
    if (action) entry.injected = action.type;
    if (action?.type === 'delay') await sleep(action.delayMs);
    if (action?.type === 'fault') throw soapFault(action.exception, action.messageId, action.text, action.variables);
    if (action?.type === 'hang') {
      entry.reply = 'hang';
      return await never();
    }
    if (action?.type === 'malformed' && action.mode === 'broken_xml') {
      // Written past `soap`, which cannot be made to send broken XML; its own reply never comes.
      entry.reply = 'malformed';
      res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8' }).end(BROKEN_XML);
      return await never();
    }
    const reply = getSubscriberProfile(sim.book, args);
    entry.reply = action?.type === 'malformed' ? 'malformed' : 'ok';
    return action?.type === 'malformed' ? violateSchema(reply) : reply;
  } catch (error) {
    const detail = (error as { Fault?: { detail?: Record<string, { messageId?: string }> } }).Fault?.detail;
    entry.reply = detail ? Object.values(detail)[0]?.messageId ?? 'fault' : 'error';
    throw error;
  }
}

// ---------------------------------------------------------------- the server

export interface CrmSimulatorOptions {
  book: PopulationBook;
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Added before every reply. */
  latencyMs?: number;
}

export interface CrmSimulator {
  /** Base URL; the client appends SUBSCRIBER_PROFILE_PATH. */
  url: string;
  faults: CrmFaultPlan;
  /** A copy of the request log, oldest first; numbers masked. */
  requests(): CrmSimulatorRequestLog[];
  close(): Promise<void>;
}

export async function startCrmSimulator(options: CrmSimulatorOptions): Promise<CrmSimulator> {
  const sim: Simulation = { book: options.book, faults: new CrmFaultPlan(), latencyMs: options.latencyMs ?? 0, log: [] };
  const server = http.createServer((_req, res) => {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('no such service');
  });
  const services: soap.IServices = {
    CrmService: {
      SubscriberProfile: {
        // node-soap calls (args, callback, headers, req, res); the response is needed only for broken replies.
        getSubscriberProfile: (args: unknown, _callback: unknown, _headers: unknown, _req: unknown, res: http.ServerResponse) => handle(sim, args, res),
      },
    },
  };
  await listenSoap(server, SUBSCRIBER_PROFILE_PATH, path.join(CRM_WSDL_DIR, SUBSCRIBER_PROFILE_WSDL), services, CRM_SOAP_DESERIALIZER);
  guardSoapServer(server, { limits: REQUEST_LIMITS, onRefused: (code) => record(sim, { operation: 'refused', at: new Date(), reply: code }) });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    faults: sim.faults,
    requests: () => sim.log.map((entry) => ({ ...entry, ...(entry.fieldGroups ? { fieldGroups: [...entry.fieldGroups] } : {}) })),
    close: () => new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      // Hung calls keep their connections open; drop them so close() returns.
      server.closeAllConnections();
    }),
  };
}
