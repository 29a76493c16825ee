import { MAX_SUBJECT_CHARS, plainText, subjectProbe } from '../../../../src/pipeline/context/text.js';

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

describe('subjectProbe', () => {
  it('is the first non-empty line, cut', () => {
    expect(subjectProbe('\n\nPrinter jam\nbody')).toBe('Printer jam');
    expect(subjectProbe('x'.repeat(1000))).toHaveLength(MAX_SUBJECT_CHARS);
    expect(subjectProbe('')).toBe('');
  });
});
