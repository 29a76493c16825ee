import {
  MAX_QUERY_WORDS,
  MAX_SUBJECT_CHARS,
  anyOfQuery,
  plainText,
  searchWords,
  subjectProbe,
} from '../../../../src/pipeline/context/text';

describe('plainText', () => {
  it('drops tags, decodes entities and keeps line breaks', () => {
    expect(
      plainText('<p>VPN&nbsp;drops</p><div>on <b>10.0.4.17</b> &amp; &lt;b&gt; &#39;x&#x27;</div>'),
    ).toBe("VPN drops\non 10.0.4.17 & <b> 'x'");
  });

  it('keeps an unknown or out-of-range entity as written', () => {
    expect(plainText('&bogus; &#99999999;')).toBe('&bogus; &#99999999;');
  });

  it('collapses blanks but not the first line break', () => {
    expect(plainText('  Subject   here \n\n\n  body   text  ')).toBe('Subject here\nbody text');
  });
});

describe('searchWords', () => {
  it('keeps letters and digits only, lower-cased, each once, in order', () => {
    expect(searchWords('VPN & | ! ( ) : * < > \' " drops, vpn DROPS 10.0.4.17 ünïcode')).toEqual([
      'vpn',
      'drops',
      '10',
      '17',
      'ünïcode',
    ]);
  });

  it('has no search-syntax character in any word', () => {
    const words = searchWords(`&|!():*<>'"\\ -- <-> <2> or and not "phrase" -minus`);
    for (const w of words) expect(w).toMatch(/^[\p{L}\p{N}]+$/u);
  });

  it(`stops at ${MAX_QUERY_WORDS} words`, () => {
    const text = Array.from({ length: 500 }, (_, i) => `word${i}`).join(' ');
    expect(searchWords(text)).toHaveLength(MAX_QUERY_WORDS);
  });

  it('joins words into an OR query', () => {
    expect(anyOfQuery(['vpn', 'drops'])).toBe('vpn or drops');
  });
});

describe('subjectProbe', () => {
  it('is the first non-empty line, cut', () => {
    expect(subjectProbe('\n\nPrinter jam\nbody')).toBe('Printer jam');
    expect(subjectProbe('x'.repeat(1000))).toHaveLength(MAX_SUBJECT_CHARS);
    expect(subjectProbe('')).toBe('');
  });
});
