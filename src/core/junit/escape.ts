// XML 1.0 text and attribute escaping. Test output is arbitrary bytes: ANSI colour codes, NULs and
// other control characters are not allowed in XML 1.0 at all (not even as &#N; references), so they
// are replaced, or a strict parser (Jenkins') rejects the whole report.

// Allowed: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]. Lone surrogates
// are matched by the `u` flag as single code points in the excluded ranges.
const INVALID_XML_CHARS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Removes ANSI escape sequences (colour, cursor moves) so the report reads as the console did. */
export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(\u0007|\u001b\\)|\u001b[@-Z\\-_]/g, '');
}

/** Replaces characters XML 1.0 cannot carry with U+FFFD. */
export function xmlSafe(s: string): string {
  return stripAnsi(s).replace(INVALID_XML_CHARS, '\uFFFD');
}

export function escapeText(s: string): string {
  return xmlSafe(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Attribute values: quotes and whitespace escaped too (a raw newline would be normalised to a space). */
export function escapeAttr(s: string): string {
  return escapeText(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}
