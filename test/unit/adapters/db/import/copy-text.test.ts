import { arrayLiteral, copyField, copyLine } from '../../../../../src/adapters/db/import/copy-text.js';

describe('COPY text format', () => {
  it('writes null as \\N and plain text as is', () => {
    expect(copyField(null)).toBe('\\N');
    expect(copyField('VPN drops, again')).toBe('VPN drops, again');
    expect(copyField('\\N')).toBe('\\\\N');
  });

  it('escapes backslash, tab, newline and carriage return', () => {
    expect(copyField('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
  });

  it('writes a list as a quoted array literal, then escapes it for COPY', () => {
    expect(arrayLiteral([])).toBe('{}');
    expect(arrayLiteral(['vpn', 'a,b', '{x}', 'say "hi"', 'back\\slash', ''])).toBe(
      '{"vpn","a,b","{x}","say \\"hi\\"","back\\\\slash",""}',
    );
    expect(copyField(['a\\b'])).toBe('{"a\\\\\\\\b"}');
  });

  it('starts a line with the source line number and ends it with a newline', () => {
    expect(copyLine(42, ['T-1', null, ['x']])).toBe('42\tT-1\t\\N\t{"x"}\n');
  });
});
