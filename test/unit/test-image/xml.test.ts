import { describe, expect, it } from 'vitest';
import { elements, parseXml, textContent, XmlSyntaxError } from '../../../src/core/junit/xml.js';

describe('parseXml', () => {
  it('reads elements, attributes, text, CDATA, comments and character references', () => {
    const src = `\uFEFF<?xml version="1.0" encoding="UTF-8"?>
<!-- a comment -->
<?pi something?>
<a x="1" y='two &amp; &quot;three&quot;' z="tab\there">
  <b/>
  <c>text &lt;tag&gt; &#65;&#x42; <![CDATA[<raw> & stuff]]></c>
</a>
<!-- trailing -->
`;
    const root = parseXml(src);
    expect(root.name).toBe('a');
    expect(root.attrs).toEqual({ x: '1', y: 'two & "three"', z: 'tab here' });
    expect(elements(root).map((e) => e.name)).toEqual(['b', 'c']);
    expect(textContent(elements(root, 'c')[0]!)).toBe('text <tag> AB <raw> & stuff');
    expect(src.slice(root.start, root.contentStart)).toBe(`<a x="1" y='two &amp; &quot;three&quot;' z="tab\there">`);
    expect(src.slice(root.innerEnd, root.end)).toBe('</a>');
    const b = elements(root, 'b')[0]!;
    expect([b.contentStart, b.innerEnd]).toEqual([b.end, b.end]);
  });

  it('accepts > inside attribute values and non-ASCII names and text', () => {
    const root = parseXml('<r name="a > b" ä="ü">日本語</r>');
    expect(root.attrs).toEqual({ name: 'a > b', 'ä': 'ü' });
    expect(textContent(root)).toBe('日本語');
  });

  it.each([
    ['', /no root element/],
    ['<a>', /unclosed element <a>/],
    ['<a></b>', /<\/b> does not close <a>/],
    ['<a/><b/>', /content after the root element/],
    ['text<a/>', /expected the root element/],
    ['<a x=1/>', /must be quoted/],
    ['<a x="1" x="2"/>', /duplicate attribute x/],
    ['<a x="<"/>', /"<" is not allowed in an attribute value/],
    ['<a>fish & chips</a>', /bare & must be written &amp;/],
    ['<a>&nbsp;</a>', /unknown entity &nbsp;/],
    ['<a>&#0;</a>', /not an allowed XML character/],
    ['<a>\u001b[31mred</a>', /U\+001B is not allowed/],
    ['<!DOCTYPE a [<!ENTITY x "y">]><a/>', /DOCTYPE is not accepted/],
    ['<a><!-- x -- y --></a>', /"--" is not allowed inside a comment/],
    ['<a>]]></a>', /"]]>" is not allowed in text/],
    ['<a><?xml version="1.0"?></a>', /only allowed at the very start/],
    ['<?xml version="1.0" encoding="ISO-8859-1"?><a/>', /encoding "ISO-8859-1" is not supported/],
    ['<a b="1"c="2"/>', /expected whitespace before an attribute/],
    ['</a>', /closes nothing/],
  ])('rejects %j', (src, message) => {
    expect(() => parseXml(src)).toThrow(message);
  });

  it('reports the line and column of the problem', () => {
    try {
      parseXml('<a>\n  <b>\n  </c>\n</a>');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(XmlSyntaxError);
      expect(e).toMatchObject({ line: 3, column: 3 });
      expect((e as Error).message).toBe('line 3, column 3: </c> does not close <b>');
    }
  });
});
