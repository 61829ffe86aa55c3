/**
 * The HTTP side of every SOAP exchange with a carrier, shared by the adapters (billing, CRM,
 * later SMS). `soap` builds and reads the envelopes; the bytes on the wire are ours, so that
 * nothing foreign reaches an XML parser unchecked.
 *
 * Our side (client): GuardedSoapHttpClient, handed to `soap` as its `httpClient`: one POST
 * per call with a hard deadline (connect to last reply byte), the reply bounded while
 * reading, HTML / non-SOAP bodies refused with a clear reason, assertSafeXml before parsing.
 * Its failures are SoapTransportErrors already classified as `timeout` (the request may have
 * reached the carrier) or `service_error` (it did not, or the reply is unusable).
 * readSoapRejection classifies whatever else a node-soap call rejects with.
 *
 * Carrier side (simulators): guardSoapServer puts the same XML guard in front of `soap.listen`,
 * so a simulator refuses a hostile request before `soap` parses it.
 *
 * Nothing here logs, and nothing here knows a domain: adapters map these results to their
 * port's outcomes and mask numbers in what they keep.
 */
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import * as soap from 'soap';
import { XmlGuardError, assertSafeXml, type XmlLimits } from './xml-guard.js';
import { PARLAY_X_COMMON_NS } from './simulator-faults.js';

// ---------------------------------------------------------------- client transport

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
function refuseReply(reply: RawReply, limits: XmlLimits): SoapTransportError | undefined {
  // An HTML error page from a proxy (502/503) is the usual non-SOAP reply; say so rather than "bad XML".
  const looksLikeSoap = /^\uFEFF?\s*</.test(reply.text) && /<([\w.-]+:)?Envelope[\s>]/.test(reply.text) && !/html|json/i.test(reply.contentType);
  if (!looksLikeSoap) {
    const what = reply.contentType === '' ? 'a body without content type' : reply.contentType;
    return new SoapTransportError('service_error', 'NOT_SOAP', `HTTP ${reply.status} reply is ${what}, not a SOAP envelope`);
  }
  try {
    assertSafeXml(reply.text, limits);
    return undefined;
  } catch (error) {
    if (!(error instanceof XmlGuardError)) throw error;
    return new SoapTransportError('service_error', error.code, `HTTP ${reply.status} reply refused before parsing: ${error.message}`);
  }
}

type SoapCallback = (error: unknown, response?: unknown, body?: unknown) => void;

export interface SoapAgents { http: http.Agent; https: https.Agent }

/**
 * The `httpClient` given to `soap`: one POST per call with a hard deadline, reply size
 * bounded by `limits.bytesMax` while reading, reply checked by refuseReply before `soap` parses it.
 */
export class GuardedSoapHttpClient {
  constructor(private readonly timeoutMs: number, private readonly agents: SoapAgents, private readonly limits: XmlLimits) {}

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
    req.on('response', (res) => readReply(res, this.limits.bytesMax, (error, reply) => {
      if (error || !reply) return done(error ?? transportError(new Error('no reply')));
      const refused = refuseReply(reply, this.limits);
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

/** Reads the whole reply up to `bytesMax`; larger replies are cut off and refused. */
function readReply(res: http.IncomingMessage, bytesMax: number, done: (error: SoapTransportError | null, reply?: RawReply) => void): void {
  const finish = once(done);
  const chunks: Buffer[] = [];
  let bytes = 0;
  const status = res.statusCode ?? 0;
  res.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > bytesMax) {
      finish(new SoapTransportError('service_error', 'XML_TOO_LARGE', `HTTP ${status} reply is larger than ${bytesMax} bytes`));
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

// ---------------------------------------------------------------- client rejections

/**
 * What a node-soap call rejected with, sorted: our transport's verdict, a SOAP fault to be
 * mapped by the adapter's fault table, or a reply that could not be read at all. Anything
 * else (an adapter's own wire error, say) is `other` for the adapter to handle.
 */
export type SoapRejection =
  | { type: 'transport'; error: SoapTransportError }
  | { type: 'fault'; fault: unknown }
  | { type: 'unreadable'; code: 'MALFORMED_XML' | 'HTTP_STATUS' | 'UNEXPECTED_REPLY'; detail: string };

function statusOf(error: { response?: { status?: unknown } }): string {
  return typeof error.response?.status === 'number' ? `HTTP ${error.response.status}` : 'HTTP';
}

export function readSoapRejection(error: unknown): SoapRejection {
  if (error instanceof SoapTransportError) return { type: 'transport', error };
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    root?: { Envelope?: { Body?: { Fault?: unknown } } }; Fault?: { detail?: unknown }; message?: unknown; response?: { status?: unknown };
  };
  const fault = e.root?.Envelope?.Body?.Fault;
  if (fault !== undefined) return { type: 'fault', fault };
  // node-soap reports a sax parse error as a thrown `{ Fault: { faultstring: 'Invalid XML', detail } }`.
  if (e.Fault !== undefined) return { type: 'unreadable', code: 'MALFORMED_XML', detail: `${statusOf(e)} reply is not well-formed XML: ${String(e.Fault.detail ?? '')}` };
  if (e.message === 'Error http status codes') return { type: 'unreadable', code: 'HTTP_STATUS', detail: `${statusOf(e)} reply without a SOAP body` };
  return { type: 'unreadable', code: 'UNEXPECTED_REPLY', detail: `${statusOf(e)} reply could not be read: ${String(e.message ?? error)}` };
}

export type SoapAsyncMethod = (args: unknown) => Promise<[unknown, unknown, ...unknown[]]>;

/** The promise form of a WSDL operation; a missing one is a wrong WSDL, found at start-up. */
export function soapAsyncMethod(client: soap.Client, name: string): SoapAsyncMethod {
  const fn = client[`${name}Async`] as SoapAsyncMethod | undefined;
  if (typeof fn !== 'function') throw new Error(`WSDL in use has no operation ${name}`);
  return fn.bind(client);
}

// ---------------------------------------------------------------- carrier side (simulators)

type RequestListener = (req: http.IncomingMessage, res: http.ServerResponse) => void;


function escapeXmlText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The Parlay X ServiceException SVC0001 a carrier answers an unreadable request with; the variable is the guard's code. */
export function refusalEnvelope(code: string, reason: string): string {
  return '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
    + `<soap:Fault><faultcode>soap:Client</faultcode><faultstring>${escapeXmlText(reason)}</faultstring><detail>`
    + `<px:ServiceException xmlns:px="${PARLAY_X_COMMON_NS}"><messageId>SVC0001</messageId>`
    + `<text>A service error occurred. Error code is %1</text><variables>${escapeXmlText(code)}</variables>`
    + '</px:ServiceException></detail></soap:Fault></soap:Body></soap:Envelope>';
}

export interface SoapServerGuardOptions {
  limits: XmlLimits;
  /** Told about each refused request (the guard's code), e.g. for a simulator's request log. */
  onRefused?: (code: string) => void;
}

/**
 * Call after every `soap.listen` on `server`: reads each POST body (bounded), runs the XML
 * guard, answers a refused one with refusalEnvelope, and hands the rest to `soap` with the
 * body attached. soap.listen chains its listeners in front of the server's; the guard goes
 * in front of them all.
 */
export function guardSoapServer(server: http.Server, options: SoapServerGuardOptions): void {
  const soapListeners = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  const refuse = (res: http.ServerResponse, code: string, reason: string) => {
    options.onRefused?.(code);
    res.writeHead(500, { 'Content-Type': 'text/xml; charset=utf-8' }).end(refusalEnvelope(code, reason));
  };
  const bytesMax = options.limits.bytesMax;
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.method !== 'POST') return soapListeners.forEach((listener) => listener(req, res));
    if ((req.headers['content-encoding'] ?? 'identity') !== 'identity') return refuse(res, 'UNSUPPORTED_ENCODING', 'content-encoding is not supported');
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= bytesMax) chunks.push(chunk);
    });
    req.on('end', () => {
      if (bytes > bytesMax) return refuse(res, 'XML_TOO_LARGE', `request is larger than ${bytesMax} bytes`);
      const body = Buffer.concat(chunks);
      try {
        assertSafeXml(body.toString('utf8'), options.limits);
      } catch (error) {
        if (!(error instanceof XmlGuardError)) throw error;
        return refuse(res, error.code, error.message);
      }
      if (body.length === 0) return refuse(res, 'EMPTY_REQUEST', 'request body is empty');
      // `soap` reads an already-read body from req.body (the body-parser middleware convention).
      Object.assign(req, { body });
      soapListeners.forEach((listener) => listener(req, res));
    });
  });
}

/** Serves one WSDL service on `server` at `endpointPath`; resolves once the WSDL is loaded. */
export function listenSoap(
  server: http.Server, endpointPath: string, wsdlFile: string, services: soap.IServices,
  customDeserializer: Record<string, (text: string) => unknown>,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const options = {
      path: endpointPath,
      services,
      xml: readFileSync(wsdlFile, 'utf8'),
      uri: wsdlFile,
      customDeserializer,
      escapeXML: true,
      suppressStack: true,
      returnFault: true,
      enableChunkedEncoding: false,
      callback: (error: unknown) => (error ? reject(error) : resolve()),
    };
    soap.listen(server, options as soap.IServerOptions);
  });
}
