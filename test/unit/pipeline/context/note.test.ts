import { clip, extractiveNote, gist } from '../../../../src/pipeline/context/note.js';
import type { Context, StepName, StepReport } from '../../../../src/pipeline/context/types.js';

const ok: StepReport = { status: 'ok', ms: 3, count: 1 };
const allOk: Record<StepName, StepReport> = { similar_tickets: ok, kb_articles: ok, ip_assets: ok };

const context: Context = {
  ip_assets: [
    {
      query: '10.0.4.17',
      matched_by: 'address',
      network: '10.0.4.17',
      hostname: 'db-prod-3',
      owner: 'DBA team',
      role: 'primary',
      location: null,
      notes: null,
    },
    {
      query: '10.0.4.17',
      matched_by: 'address',
      network: '10.0.4.0/24',
      hostname: 'net-dc1-db',
      owner: null,
      role: null,
      location: null,
      notes: 'firewalled',
    },
    {
      query: 'mail-1',
      matched_by: 'hostname',
      network: '10.0.9.9',
      hostname: 'mail-1',
      owner: 'Messaging',
      role: null,
      location: null,
      notes: null,
    },
  ],
  similar_tickets: [
    {
      ticket_id: 'T-1',
      subject: 'VPN drops every hour',
      score: 0.9,
      resolution: 'Reinstalled AnyConnect. Cleared the profile cache. Then the user rebooted.',
      category: 'network',
      resolved_at: '2026-01-01T00:00:00.000Z',
    },
    {
      ticket_id: 'T-2',
      subject: 'VPN slow',
      score: 0.4,
      resolution: null,
      category: null,
      resolved_at: null,
    },
  ],
  kb_articles: [
    {
      article_id: 'KB-1',
      title: 'Resetting AnyConnect',
      url: 'https://kb/1',
      excerpt: 'the **VPN** drops',
      score: 1,
    },
  ],
};

describe('extractiveNote', () => {
  it('lists assets first, then similar tickets with their fix, then articles with links', () => {
    expect(extractiveNote('4711', context, allOk, 4000)).toBe(
      [
        'Context for ticket 4711: 3 known assets, 2 similar resolved tickets, 1 article.',
        '',
        'Known assets:',
        '- 10.0.4.17 is db-prod-3 — owner DBA team, role primary.',
        '- 10.0.4.17 is in 10.0.4.0/24 (net-dc1-db). Notes: firewalled',
        '- mail-1 is 10.0.9.9 — owner Messaging.',
        '',
        'Similar resolved tickets:',
        '- #T-1 "VPN drops every hour": Reinstalled AnyConnect. Cleared the profile cache. Then the user rebooted.',
        '- #T-2 "VPN slow" (no resolution recorded)',
        '',
        'Knowledge base:',
        '- KB-1 "Resetting AnyConnect" https://kb/1 — the **VPN** drops',
      ].join('\n'),
    );
  });

  it('is the same for the same data', () => {
    expect(extractiveNote('1', context, allOk, 4000)).toBe(extractiveNote('1', context, allOk, 4000));
  });

  it('says honestly when nothing matched, and which steps could not run', () => {
    const none: Context = { ip_assets: [], similar_tickets: [], kb_articles: [] };
    const steps = { ...allOk, kb_articles: { status: 'timeout', ms: 5000, count: 0 } as StepReport };
    expect(extractiveNote('9', none, steps, 4000)).toBe(
      'No context found for ticket 9: no similar resolved tickets, knowledge-base articles or known machines matched.\n' +
        'Not available this time: knowledge base (timeout).',
    );
  });

  it('names a failed step under a note that has context', () => {
    const steps = { ...allOk, ip_assets: { status: 'error', ms: 1, count: 0, error: 'x' } as StepReport };
    expect(extractiveNote('9', context, steps, 4000)).toMatch(
      /\n\nNot available this time: IP inventory \(error\)\.$/,
    );
  });

  it.each([200, 300, 500, 1000])('never exceeds %i characters, dropping whole lines and saying so', (max) => {
    const many: Context = {
      ...context,
      similar_tickets: Array.from({ length: 30 }, (_, i) => ({
        ...context.similar_tickets[0]!,
        ticket_id: `T-${i}`,
      })),
    };
    const note = extractiveNote('1', many, allOk, max);
    expect(note.length).toBeLessThanOrEqual(max);
    expect(note.startsWith('Context for ticket 1:')).toBe(true);
    if (max >= 500) expect(note).toMatch(/\(\d+ more not shown\)/);
  });
});

describe('gist', () => {
  it('keeps whole sentences up to the limit', () => {
    expect(gist('One. Two!   Three?')).toBe('One. Two! Three?');
    expect(gist('Reinstalled AnyConnect 4.10 and cleared the cache. Rebooted.')).toBe(
      'Reinstalled AnyConnect 4.10 and cleared the cache. Rebooted.',
    );
    const long = `${'a'.repeat(150)}. ${'b'.repeat(150)}.`;
    expect(gist(long)).toBe(`${'a'.repeat(150)}.`);
  });

  it('cuts text without sentences at a word', () => {
    const out = gist('word '.repeat(100));
    expect(out.length).toBeLessThanOrEqual(220);
    expect(out.endsWith('word…')).toBe(true);
  });
});

describe('clip', () => {
  it('never splits a surrogate pair', () => {
    const out = clip('😀'.repeat(10), 6);
    expect(out.endsWith('…')).toBe(true);
    expect(/[\uD800-\uDBFF]…$/.test(out)).toBe(false);
  });
});
