import { PermanentError, TransientError } from '../../../src/domain/errors.js';
import { excerpt } from '../../../src/worker/process-delivery.js';
import { jobBody } from '../../helpers/jobs.js';
import { world } from '../../helpers/process-world.js';

const DESCRIPTION = 'The printer is on fire';

/** Every field of every line, as one string to search. */
const allText = (w: ReturnType<typeof world>) => JSON.stringify(w.logger.lines);

describe('processDelivery: the ticket description in logs', () => {
  it('is never logged by default: not on success, retry, dead letter or an invalid body', async () => {
    const w = world();
    expect(await w.run(w.delivery())).toBe('completed');
    w.enhancer.run = () => Promise.reject(new TransientError('flaky'));
    expect(await w.run(w.delivery({ attempt: 1 }))).toBe('retried');
    w.enhancer.run = () => Promise.reject(new PermanentError('broken'));
    expect(await w.run(w.delivery({ attempt: 2 }))).toBe('failed');
    // Not JSON, with the description inside: the parse error must not quote it.
    const body = Buffer.from(jobBody().toString().replace(`"${DESCRIPTION}"`, DESCRIPTION));
    expect(await w.run(w.delivery({ body }))).toBe('dead_lettered');

    expect(w.logger.lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining([
        'job started',
        'retry scheduled',
        'job dead-lettered',
        'invalid job dead-lettered',
      ]),
    );
    expect(allText(w)).not.toContain('printer');
    expect(w.logger.lines.filter((l) => 'description' in l.fields)).toEqual([]);
  });

  it('with LOG_DESCRIPTION_CHARS, shows that much on the job started line only, marked as cut', async () => {
    const w = world({ logDescriptionChars: 5 });
    expect(await w.run(w.delivery())).toBe('completed');
    const withDescription = w.logger.lines.filter((l) => 'description' in l.fields);
    expect(withDescription.map((l) => [l.msg, l.fields.description])).toEqual([['job started', 'The p…']]);
    expect(allText(w)).not.toContain(DESCRIPTION);
  });

  it('shows a description within the limit whole, without the marker', async () => {
    const w = world({ logDescriptionChars: DESCRIPTION.length });
    await w.run(w.delivery());
    expect(w.logger.lines.find((l) => l.msg === 'job started')?.fields.description).toBe(DESCRIPTION);
  });
});

describe('excerpt', () => {
  it('cuts at max characters with "…", and never inside a surrogate pair', () => {
    expect(excerpt('abcdef', 3)).toBe('abc…');
    expect(excerpt('abc', 3)).toBe('abc');
    expect(excerpt('a😀b', 2)).toBe('a…');
    expect(excerpt('a😀b', 3)).toBe('a😀…');
  });
});
