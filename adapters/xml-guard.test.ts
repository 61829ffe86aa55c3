import { describe, expect, it } from 'vitest';
import { XML_LIMITS_DEFAULT, XmlGuardError, assertSafeXml, type XmlGuardCode } from './xml-guard.js';

const ENVELOPE = `<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Body>
    <!-- a comment with <tags> inside -->
    <ns1:PolicyException xmlns:ns1="http://www.csapi.org/schema/parlayx/common/v2_1" note='a > b'>
      <messageId>POL1000</messageId>
      <text><![CDATA[credit < amount & <b>bold</b>]]></text>
      <variables/>
    </ns1:PolicyException>
  </soap:Body>
</soap:Envelope>`;

function refusal(text: string, limits = XML_LIMITS_DEFAULT): XmlGuardCode | 'accepted' {
  try {
    assertSafeXml(text, limits);
    return 'accepted';
  } catch (error) {
    if (error instanceof XmlGuardError) return error.code;
    throw error;
  }
}

function nested(depth: number): string {
  return `${'<a>'.repeat(depth)}x${'</a>'.repeat(depth)}`;
}

describe('assertSafeXml', () => {
  it('accepts a normal SOAP envelope with comments, CDATA, self-closing tags and ">" in attributes', () => {
    expect(refusal(ENVELOPE)).toBe('accepted');
    expect(refusal(`\uFEFF${ENVELOPE}`)).toBe('accepted');
  });

  it('refuses an XXE payload (external entity in a DOCTYPE)', () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><soap:Envelope xmlns:soap="s"><soap:Body>&x;</soap:Body></soap:Envelope>`;
    expect(refusal(xxe)).toBe('XML_DTD_FORBIDDEN');
  });

  it('refuses the billion laughs entity-expansion bomb', () => {
    const entities = ['<!ENTITY lol "lol">'];
    for (let i = 1; i <= 9; i++) entities.push(`<!ENTITY lol${i} "${`&lol${i === 1 ? '' : i - 1};`.repeat(10)}">`);
    const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [${entities.join('')}]><lolz>&lol9;</lolz>`;
    expect(refusal(bomb)).toBe('XML_DTD_FORBIDDEN');
  });

  it('refuses a bare ENTITY or ELEMENT declaration and an HTML doctype', () => {
    expect(refusal('<r><!ENTITY a "b"></r>')).toBe('XML_DTD_FORBIDDEN');
    expect(refusal('<!ELEMENT r ANY><r/>')).toBe('XML_DTD_FORBIDDEN');
    expect(refusal('<!doctype html><html><body>502 Bad Gateway</body></html>')).toBe('XML_DTD_FORBIDDEN');
  });

  it('refuses a text over the size limit, counting UTF-8 bytes', () => {
    const limits = { bytesMax: 100, depthMax: 10 };
    expect(refusal(`<r>${'x'.repeat(93)}</r>`, limits)).toBe('accepted');
    expect(refusal(`<r>${'x'.repeat(94)}</r>`, limits)).toBe('XML_TOO_LARGE');
    // 32 Chinese characters are 32 UTF-16 units but 96 UTF-8 bytes.
    expect(refusal(`<r>${'余'.repeat(32)}</r>`, limits)).toBe('XML_TOO_LARGE');
    expect(refusal(`<r>${' '.repeat(2 * 1024 * 1024)}</r>`)).toBe('XML_TOO_LARGE');
  });

  it('refuses nesting deeper than the limit and accepts exactly the limit', () => {
    const limits = { bytesMax: 1_000_000, depthMax: 20 };
    expect(refusal(nested(20), limits)).toBe('accepted');
    expect(refusal(nested(21), limits)).toBe('XML_TOO_DEEP');
    expect(refusal(nested(10_000))).toBe('XML_TOO_DEEP');
  });

  it('does not count siblings or self-closing elements as depth', () => {
    const limits = { bytesMax: 1_000_000, depthMax: 3 };
    expect(refusal(`<a><b>${'<c/><c></c>'.repeat(500)}</b></a>`, limits)).toBe('accepted');
  });

  it('refuses processing instructions other than the XML declaration at the start', () => {
    expect(refusal('<?xml-stylesheet href="x.xsl"?><r/>')).toBe('XML_PROCESSING_INSTRUCTION_FORBIDDEN');
    expect(refusal('<r><?php echo 1; ?></r>')).toBe('XML_PROCESSING_INSTRUCTION_FORBIDDEN');
    expect(refusal(' <?xml version="1.0"?><r/>')).toBe('XML_PROCESSING_INSTRUCTION_FORBIDDEN');
  });

  it('refuses unterminated comments and tags instead of scanning on', () => {
    expect(refusal('<r><!-- never closed</r>')).toBe('XML_UNTERMINATED');
    expect(refusal('<r attr="x>')).toBe('XML_UNTERMINATED');
  });
});
