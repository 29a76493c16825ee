import { escapeHtml, marker, noteHtml } from '../../../../src/pipeline/writeback/note-html.js';

const JOB = '3f1c2a9e-8b7d-4c6e-9a5b-1d2e3f4a5b6c';

describe('noteHtml', () => {
  it('turns paragraphs and bullet lines into HTML, with the job marker as footer', () => {
    expect(noteHtml('Context for ticket 7.\n\nAssets:\n- 10.0.4.17 is db-3\n- **VPN** gw', JOB)).toBe(
      [
        '<p>Context for ticket 7.</p>',
        '<p>Assets:</p>',
        '<ul><li>10.0.4.17 is db-3</li><li><b>VPN</b> gw</li></ul>',
        `<p><small>Added by enhancer job ${JOB}</small></p>`,
      ].join('\n'),
    );
    expect(noteHtml('x', JOB)).toContain(marker(JOB));
  });

  it.each([
    '<script>alert(1)</script>',
    '<img src=x onerror="alert(1)">',
    '- <a href="javascript:alert(1)">click</a>',
    '**<img src=x onerror=alert(1)>**',
    '"><svg onload=alert(1)>',
  ])('lets no markup from the text through: %s', (text) => {
    const html = noteHtml(text, JOB);
    const tags = html.match(/<[^>]*>/g) ?? [];
    expect(tags.every((t) => /^<\/?(p|ul|li|b|small)>$/.test(t))).toBe(true);
    expect(html).not.toMatch(/<(script|img|a|svg)/i);
  });

  it('escapes the five HTML specials', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
