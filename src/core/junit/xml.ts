// A small, strict XML 1.0 parser for the subset JUnit reports use: elements, attributes, text,
// CDATA, comments, processing instructions, predefined and numeric character references. No DTDs
// (a DOCTYPE is refused: no entity expansion, no external fetches) and no namespaces processing.
// Strict on purpose: a report Jenkins would choke on must be caught here, with a line and column.

export interface XmlText {
  type: 'text';
  text: string;
}

export interface XmlElement {
  type: 'element';
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  /** Offset of the `<` that opens the element. */
  start: number;
  /** Offset just past the start tag's `>` (equals `end` for `<empty/>`). */
  contentStart: number;
  /** Offset of the `<` of the end tag (equals `end` for `<empty/>`). */
  innerEnd: number;
  /** Offset just past the element (after `>` of the end tag or `/>`). */
  end: number;
}

export type XmlNode = XmlElement | XmlText;

export class XmlSyntaxError extends Error {
  constructor(message: string, readonly line: number, readonly column: number) {
    super(`line ${line}, column ${column}: ${message}`);
    this.name = 'XmlSyntaxError';
  }
}

const NAME_START = /[A-Za-z_:\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD]/;
const NAME_CHARS = /[-.0-9\u00B7\u0300-\u036F\u203F-\u2040A-Za-z_:\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD]*/y;
const INVALID_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

function isXmlCodePoint(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

export function parseXml(src: string): XmlElement {
  let i = src.charCodeAt(0) === 0xfeff ? 1 : 0;

  const fail = (message: string, at = i): never => {
    let line = 1;
    let lineStart = 0;
    for (let k = 0; k < at && k < src.length; k++) {
      if (src[k] === '\n') {
        line++;
        lineStart = k + 1;
      }
    }
    throw new XmlSyntaxError(message, line, at - lineStart + 1);
  };

  const checkChars = (s: string, offset: number) => {
    const m = INVALID_CHAR.exec(s);
    if (m) fail(`character U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} is not allowed in XML`, offset + m.index);
  };

  const skipSpace = () => {
    while (isSpace(src[i])) i++;
  };

  const readName = (): string => {
    if (!NAME_START.test(src[i] ?? '')) fail(`expected a name, found ${src[i] === undefined ? 'the end of the file' : JSON.stringify(src[i])}`);
    NAME_CHARS.lastIndex = i + 1;
    NAME_CHARS.exec(src);
    const name = src.slice(i, NAME_CHARS.lastIndex);
    i = NAME_CHARS.lastIndex;
    return name;
  };

  const decode = (raw: string, offset: number): string => {
    checkChars(raw, offset);
    if (!raw.includes('&')) return raw;
    return raw.replace(/&([^;&\s<]*);?/g, (whole, ref: string, at: number) => {
      if (!whole.endsWith(';')) fail('a bare & must be written &amp;', offset + at);
      if (ref in PREDEFINED) return PREDEFINED[ref]!;
      const num = /^#x([0-9a-fA-F]+)$/.exec(ref) ?? /^#([0-9]+)$/.exec(ref);
      if (num) {
        const cp = parseInt(num[1]!, ref[1] === 'x' ? 16 : 10);
        if (!isXmlCodePoint(cp)) fail(`character reference &${ref}; is not an allowed XML character`, offset + at);
        return String.fromCodePoint(cp);
      }
      return fail(`unknown entity &${ref}; (only &lt; &gt; &amp; &quot; &apos; and &#N; exist without a DTD)`, offset + at);
    });
  };

  const until = (marker: string, what: string): number => {
    const j = src.indexOf(marker, i);
    if (j < 0) fail(`unterminated ${what}`);
    return j;
  };

  const skipComment = () => {
    const j = until('-->', 'comment');
    const body = src.slice(i + 4, j);
    if (body.includes('--') || body.endsWith('-')) fail('"--" is not allowed inside a comment');
    checkChars(body, i + 4);
    i = j + 3;
  };

  const skipPi = () => {
    i += 2;
    const target = readName();
    if (target.toLowerCase() === 'xml') fail('the XML declaration is only allowed at the very start of the file', i - 3 - 2);
    const j = until('?>', 'processing instruction');
    i = j + 2;
  };

  // Prolog: optional declaration, then comments/PIs/whitespace. A DOCTYPE is refused.
  if (src.startsWith('<?xml', i) && (isSpace(src[i + 5]) || src[i + 5] === '?')) {
    const j = until('?>', 'XML declaration');
    const decl = src.slice(i, j);
    const enc = /encoding\s*=\s*["']([^"']*)["']/.exec(decl)?.[1];
    if (enc && !/^(utf-?8|us-ascii|ascii)$/i.test(enc)) fail(`encoding ${JSON.stringify(enc)} is not supported (write UTF-8)`);
    i = j + 2;
  }
  const skipMisc = () => {
    for (;;) {
      skipSpace();
      if (src.startsWith('<!--', i)) skipComment();
      else if (src.startsWith('<?', i)) skipPi();
      else if (src.startsWith('<!DOCTYPE', i)) fail('a DOCTYPE is not accepted in a JUnit report');
      else return;
    }
  };
  skipMisc();
  if (src[i] !== '<') fail(i >= src.length ? 'no root element' : 'expected the root element');

  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (!root) {
    if (i >= src.length) fail(`unclosed element <${stack[stack.length - 1]?.name}>`);
    if (src[i] !== '<') {
      const j = src.indexOf('<', i);
      const end = j < 0 ? src.length : j;
      const raw = src.slice(i, end);
      if (raw.includes(']]>')) fail('"]]>" is not allowed in text', i + raw.indexOf(']]>'));
      stack[stack.length - 1]!.children.push({ type: 'text', text: decode(raw, i) });
      i = end;
      continue;
    }
    if (src.startsWith('<!--', i)) {
      skipComment();
    } else if (src.startsWith('<![CDATA[', i)) {
      if (stack.length === 0) fail('expected the root element');
      const j = until(']]>', 'CDATA section');
      const text = src.slice(i + 9, j);
      checkChars(text, i + 9);
      stack[stack.length - 1]!.children.push({ type: 'text', text });
      i = j + 3;
    } else if (src.startsWith('<?', i)) {
      skipPi();
    } else if (src.startsWith('<!', i)) {
      fail('a DOCTYPE or declaration is not allowed here');
    } else if (src.startsWith('</', i)) {
      const at = i;
      i += 2;
      const name = readName();
      skipSpace();
      if (src[i] !== '>') fail(`expected > to close </${name}`);
      i++;
      const open = stack.pop();
      if (!open) return fail(`</${name}> closes nothing`, at);
      if (open.name !== name) fail(`</${name}> does not close <${open.name}>`, at);
      open.innerEnd = at;
      open.end = i;
      if (stack.length === 0) root = open;
    } else {
      const el: XmlElement = { type: 'element', name: '', attrs: {}, children: [], start: i, contentStart: -1, innerEnd: -1, end: -1 };
      i++;
      el.name = readName();
      for (;;) {
        const hadSpace = isSpace(src[i]);
        skipSpace();
        if (src.startsWith('/>', i)) {
          i += 2;
          el.contentStart = el.innerEnd = el.end = i;
          break;
        }
        if (src[i] === '>') {
          i++;
          el.contentStart = i;
          break;
        }
        if (i >= src.length) fail(`unterminated start tag <${el.name}`);
        if (!hadSpace) fail(`expected whitespace before an attribute in <${el.name}>`);
        const attrAt = i;
        const attr = readName();
        skipSpace();
        if (src[i] !== '=') fail(`attribute ${attr} of <${el.name}> needs a value`);
        i++;
        skipSpace();
        const q = src[i];
        if (q !== '"' && q !== "'") fail(`the value of ${attr} must be quoted`);
        const close = src.indexOf(q!, i + 1);
        if (close < 0) fail(`unterminated value of attribute ${attr}`);
        const raw = src.slice(i + 1, close);
        const lt = raw.indexOf('<');
        if (lt >= 0) fail(`"<" is not allowed in an attribute value`, i + 1 + lt);
        if (attr in el.attrs) fail(`duplicate attribute ${attr} in <${el.name}>`, attrAt);
        el.attrs[attr] = decode(raw.replace(/[\t\n\r]/g, ' '), i + 1);
        i = close + 1;
      }
      stack[stack.length - 1]?.children.push(el);
      if (el.end >= 0) {
        if (stack.length === 0) root = el;
      } else {
        stack.push(el);
      }
    }
  }
  skipMisc();
  if (i < src.length) fail('content after the root element');
  return root;
}

export function elements(el: XmlElement, name?: string): XmlElement[] {
  return el.children.filter((c): c is XmlElement => c.type === 'element' && (name === undefined || c.name === name));
}

export function textContent(el: XmlElement): string {
  return el.children.map((c) => (c.type === 'text' ? c.text : textContent(c))).join('');
}
