import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { CallbackRefused } from './verify';

export type XmlFields = Record<string, string | string[]>;

// WeCom's XML has no attributes, DTDs or entities; refuse anything that declares them so that
// entity expansion ("billion laughs", external entities) can never be reached.
const DECLARATION = /<!(DOCTYPE|ENTITY|ELEMENT|ATTLIST)/i;

const parser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  processEntities: false,
  parseTagValue: false,
  trimValues: true,
  cdataPropName: false,
  isArray: (name, jpath) => jpath === 'xml.MemChangeList.Item',
});

/**
 * Parses one WeCom XML document `<xml>…</xml>` into flat string fields (nested lists such as
 * MemChangeList become arrays). Anything else is refused.
 */
export function parseWecomXml(text: string): XmlFields {
  if (DECLARATION.test(text)) throw new CallbackRefused('hostile_xml');
  if (XMLValidator.validate(text) !== true) throw new CallbackRefused('malformed_xml');
  let doc: unknown;
  try {
    doc = parser.parse(text);
  } catch {
    throw new CallbackRefused('malformed_xml');
  }
  const root = (doc as { xml?: unknown }).xml;
  if (!root || typeof root !== 'object') throw new CallbackRefused('malformed_xml', 'no <xml> root');
  const fields: XmlFields = {};
  for (const [key, value] of Object.entries(root as Record<string, unknown>)) {
    if (typeof value === 'string') fields[key] = value;
    else if (typeof value === 'number') fields[key] = String(value);
    else if (value && typeof value === 'object') {
      const items = (value as { Item?: unknown }).Item;
      fields[key] = Array.isArray(items) ? items.map(String) : '';
    } else fields[key] = '';
  }
  return fields;
}
