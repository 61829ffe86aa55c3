/**
 * A cheap, linear pre-check run on every XML text that arrives from outside (SOAP replies,
 * SOAP requests to our simulators, later SMS and CRM payloads) before any XML parser sees
 * it. Parsers differ in what they do with a DTD (sax ignores it, others expand entities or
 * fetch external ones), so the guard refuses a DTD outright instead of trusting each parser:
 * no DOCTYPE, no ENTITY / ELEMENT / ATTLIST / NOTATION declaration, no processing
 * instruction except the XML declaration at the very start, a size limit and a nesting
 * limit. It does not check well-formedness; the parser that follows does.
 */

export interface XmlLimits {
  /** Largest accepted text, in UTF-8 bytes. */
  bytesMax: number;
  /** Deepest accepted element nesting (the root element is depth 1). */
  depthMax: number;
}

/** Default size limit: 1 MiB is far above any SOAP message this system exchanges. */
export const XML_BYTES_MAX_DEFAULT = 1024 * 1024;
/** Default nesting limit: SOAP envelopes here nest about 6 deep; 64 leaves room for any sane schema. */
export const XML_DEPTH_MAX_DEFAULT = 64;

export const XML_LIMITS_DEFAULT: XmlLimits = { bytesMax: XML_BYTES_MAX_DEFAULT, depthMax: XML_DEPTH_MAX_DEFAULT };

export type XmlGuardCode =
  | 'XML_TOO_LARGE'
  | 'XML_DTD_FORBIDDEN'
  | 'XML_PROCESSING_INSTRUCTION_FORBIDDEN'
  | 'XML_TOO_DEEP'
  | 'XML_UNTERMINATED';

/** Why a text was refused; `code` is stable, the message says where. */
export class XmlGuardError extends Error {
  constructor(readonly code: XmlGuardCode, message: string) {
    super(message);
    this.name = 'XmlGuardError';
  }
}

/** Throws XmlGuardError unless `text` is within the limits and free of DTDs and foreign PIs. */
export function assertSafeXml(text: string, limits: XmlLimits = XML_LIMITS_DEFAULT): void {
  assertSize(text, limits.bytesMax);
  const scanner = { text, at: skipBom(text), depth: 0, depthMax: limits.depthMax };
  while (true) {
    const open = text.indexOf('<', scanner.at);
    if (open < 0) return;
    scanner.at = open;
    scanMarkup(scanner);
  }
}

interface Scanner {
  readonly text: string;
  at: number;
  depth: number;
  readonly depthMax: number;
}

function assertSize(text: string, bytesMax: number): void {
  // A UTF-16 code unit is at least one UTF-8 byte, so the length alone can refuse early
  // without encoding a huge string.
  if (text.length > bytesMax || Buffer.byteLength(text, 'utf8') > bytesMax) {
    throw new XmlGuardError('XML_TOO_LARGE', `XML text is larger than ${bytesMax} bytes`);
  }
}

function skipBom(text: string): number {
  return text.charCodeAt(0) === 0xfeff ? 1 : 0;
}

/** Consumes one construct starting at `<` and advances past it. */
function scanMarkup(s: Scanner): void {
  const { text, at } = s;
  if (text.startsWith('<!--', at)) return skipPast(s, '-->', 'comment');
  if (text.startsWith('<![CDATA[', at)) return skipPast(s, ']]>', 'CDATA section');
  if (text.startsWith('<!', at)) {
    const word = /^<!([A-Za-z]*)/.exec(text.slice(at, at + 12))?.[1] || 'markup';
    throw new XmlGuardError('XML_DTD_FORBIDDEN', `${word.toUpperCase()} declarations are not accepted (offset ${at})`);
  }
  if (text.startsWith('<?', at)) return scanProcessingInstruction(s);
  if (text.startsWith('</', at)) {
    s.depth -= 1;
    return skipPast(s, '>', 'end tag');
  }
  scanStartTag(s);
}

function skipPast(s: Scanner, terminator: string, what: string): void {
  const end = s.text.indexOf(terminator, s.at + 1);
  if (end < 0) throw new XmlGuardError('XML_UNTERMINATED', `unterminated ${what} at offset ${s.at}`);
  s.at = end + terminator.length;
}

/** Only `<?xml ...?>` at the very start is allowed; `<?xml-stylesheet` and friends are PIs. */
function scanProcessingInstruction(s: Scanner): void {
  const isDeclaration = s.at === skipBom(s.text) && /^<\?xml[\s?]/.test(s.text.slice(s.at, s.at + 6));
  if (!isDeclaration) {
    throw new XmlGuardError('XML_PROCESSING_INSTRUCTION_FORBIDDEN', `processing instructions are not accepted (offset ${s.at})`);
  }
  skipPast(s, '?>', 'XML declaration');
}

/** Walks to the closing `>` of a start tag, stepping over quoted attribute values (they may hold `>`). */
function scanStartTag(s: Scanner): void {
  const { text } = s;
  let i = s.at + 1;
  let quote = '';
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '>') {
      break;
    }
  }
  if (i >= text.length) throw new XmlGuardError('XML_UNTERMINATED', `unterminated start tag at offset ${s.at}`);
  const selfClosing = text[i - 1] === '/';
  s.at = i + 1;
  if (selfClosing) return;
  s.depth += 1;
  if (s.depth > s.depthMax) {
    throw new XmlGuardError('XML_TOO_DEEP', `XML nests deeper than ${s.depthMax} elements`);
  }
}
