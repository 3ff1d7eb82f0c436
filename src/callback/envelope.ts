import { CallbackRefused } from './verify';

/**
 * The markup around the Encrypt value: `<xml><ToUserName>…</ToUserName><AgentID>…</AgentID>
 * <Encrypt>…</Encrypt></xml>` is under 200 bytes from WeCom. Anything much bigger is not WeCom.
 */
export const ENVELOPE_MARKUP_MAX_BYTES = 2048;

const DECLARATION = /<!(DOCTYPE|ENTITY|ELEMENT|ATTLIST)/i;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Takes the Encrypt value out of a callback envelope by string search, without an XML parser:
 * the signature covers only this value (API.md 1.3), so an unsigned body never reaches the
 * parser and costs a few index scans, whatever its nesting. The envelope itself is never parsed:
 * nothing in it but Encrypt is used, and the plaintext is parsed only after it verified.
 */
export function extractEncrypt(body: string): string {
  const text = body.trim();
  // One linear scan; WeCom never declares anything, so a declaration is an attack, not a typo.
  if (DECLARATION.test(text)) throw new CallbackRefused('hostile_xml');
  if (!text.startsWith('<xml>') || !text.endsWith('</xml>')) throw new CallbackRefused('malformed_xml', 'not an <xml> envelope');
  const open = text.indexOf('<Encrypt>');
  const close = text.indexOf('</Encrypt>');
  if (open < 0 || close < open || text.indexOf('<Encrypt>', open + 1) >= 0 || text.indexOf('</Encrypt>', close + 1) >= 0) {
    throw new CallbackRefused('malformed_xml', 'expected exactly one <Encrypt> element');
  }
  let value = text.slice(open + '<Encrypt>'.length, close).trim();
  const markup = text.length - value.length;
  if (markup > ENVELOPE_MARKUP_MAX_BYTES) throw new CallbackRefused('too_large', `envelope markup over ${ENVELOPE_MARKUP_MAX_BYTES} bytes`);
  if (value.startsWith('<![CDATA[')) {
    if (!value.endsWith(']]>')) throw new CallbackRefused('malformed_xml', 'unterminated CDATA in <Encrypt>');
    value = value.slice('<![CDATA['.length, -']]>'.length);
  }
  if (!value) throw new CallbackRefused('malformed_xml', 'no <Encrypt> element');
  if (!BASE64.test(value)) throw new CallbackRefused('malformed_xml', '<Encrypt> is not base64');
  return value;
}
