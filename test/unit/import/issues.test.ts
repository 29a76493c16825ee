import { IssueLog, formatIssue, issueLines, show } from '../../../src/import/issues.js';

describe('issues', () => {
  it('prints an issue as file:line: field: reason', () => {
    expect(formatIssue('tickets.csv', { line: 7, field: 'created_at', reason: 'has no time zone' })).toBe(
      'tickets.csv:7: created_at: has no time zone',
    );
  });

  it('counts every issue but keeps only the first ones', () => {
    const log = new IssueLog(3);
    for (let line = 1; line <= 10; line++) log.add({ line, field: 'f', reason: 'r' });
    expect(log.count).toBe(10);
    expect(log.issues.map((i) => i.line)).toEqual([1, 2, 3]);
  });

  it('lists the first issues, then how many more there are', () => {
    const issues = [1, 2, 3].map((line) => ({ line, field: 'network', reason: 'bad' }));
    expect(issueLines('stdin', issues, 1000, 2)).toEqual([
      'stdin:1: network: bad',
      'stdin:2: network: bad',
      '… and 998 more',
    ]);
    expect(issueLines('stdin', issues.slice(0, 2), 2, 20)).toEqual([
      'stdin:1: network: bad',
      'stdin:2: network: bad',
    ]);
  });

  it('quotes a value on one line, cut to a readable length', () => {
    expect(show('a\nb')).toBe('"a\\nb"');
    expect(show('x'.repeat(50), 10)).toBe(`"${'x'.repeat(10)}…"`);
  });
});
