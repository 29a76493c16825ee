/** A small parser for the Prometheus text exposition format, for asserting exact values in tests. */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

/** Every sample line (comments and blank lines skipped); throws on a line it cannot read. */
export function parsePromText(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map(parseLine);
}

function parseLine(line: string): Sample {
  const name = NAME.exec(line)?.[0];
  if (!name) throw new Error(`not a sample line: ${line}`);
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    while (line[i] !== '}') {
      const key = NAME.exec(line.slice(i))?.[0];
      if (!key || line.slice(i + key.length, i + key.length + 2) !== '="')
        throw new Error(`bad label at ${i}: ${line}`);
      i += key.length + 2;
      let value = '';
      for (; line[i] !== '"'; i++) {
        if (i >= line.length) throw new Error(`unterminated label value: ${line}`);
        if (line[i] === '\\') {
          i++;
          value += line[i] === 'n' ? '\n' : line[i];
        } else value += line[i];
      }
      labels[key] = value;
      i++;
      if (line[i] === ',') i++;
    }
    i++;
  }
  const [raw = ''] = line.slice(i).trim().split(/\s+/);
  // Go's parser (Prometheus's) takes NaN and Inf in any case; prom-client writes "Nan".
  const special = /^([+-]?)inf$/i.exec(raw);
  const value = special
    ? special[1] === '-'
      ? -Infinity
      : Infinity
    : /^nan$/i.test(raw)
      ? NaN
      : Number(raw);
  if (raw === '' || (Number.isNaN(value) && !/^nan$/i.test(raw))) throw new Error(`bad value: ${line}`);
  return { name, labels, value };
}

/** The samples of one metric name (for a histogram, name its _count, _sum or _bucket). */
export function samplesOf(samples: readonly Sample[], name: string): Sample[] {
  return samples.filter((s) => s.name === name);
}

/** The value of the one sample with exactly these labels, or undefined. */
export function valueOf(
  samples: readonly Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const want = Object.entries(labels);
  return samples.find(
    (s) =>
      s.name === name &&
      Object.keys(s.labels).length === want.length &&
      want.every(([k, v]) => s.labels[k] === v),
  )?.value;
}
