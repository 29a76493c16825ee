import type { AssetMatch, Context, KbArticle, SimilarTicket, StepName, StepReport } from './types.js';

/** Characters of a resolution's gist and of an article's excerpt on the note. */
const GIST_CHARS = 220;
const EXCERPT_CHARS = 240;

const STEP_LABELS: Readonly<Record<StepName, string>> = {
  similar_tickets: 'similar tickets',
  kb_articles: 'knowledge base',
  ip_assets: 'IP inventory',
};

/**
 * The extractive note: machines first (what the ticket touches), then similar resolved tickets with
 * the gist of their fix, then articles with links. Plain text, at most `maxChars`, and a function of
 * its inputs only (no clock, no randomness), so the same data always gives the same note. Its first
 * line is the summary stored in result_summary.
 */
export function extractiveNote(
  ticketId: string,
  context: Context,
  steps: Readonly<Record<StepName, StepReport>>,
  maxChars: number,
): string {
  const { ip_assets: assets, similar_tickets: tickets, kb_articles: articles } = context;
  const failedSteps = (Object.keys(steps) as StepName[]).filter((s) => steps[s].status !== 'ok');
  const unavailable = failedSteps.length
    ? `Not available this time: ${failedSteps.map((s) => `${STEP_LABELS[s]} (${steps[s].status})`).join(', ')}.`
    : undefined;

  if (assets.length + tickets.length + articles.length === 0) {
    const head = `No context found for ticket ${ticketId}: no similar resolved tickets, knowledge-base articles or known machines matched.`;
    return cut([head, unavailable].filter(Boolean).join('\n'), maxChars);
  }

  const sections: Section[] = [];
  if (assets.length) sections.push({ title: 'Known assets', lines: assets.map(assetLine) });
  if (tickets.length) sections.push({ title: 'Similar resolved tickets', lines: tickets.map(ticketLine) });
  if (articles.length) sections.push({ title: 'Knowledge base', lines: articles.map(articleLine) });
  const found = [
    count(assets.length, 'known asset'),
    count(tickets.length, 'similar resolved ticket'),
    count(articles.length, 'article'),
  ].filter((c): c is string => c !== undefined);
  const head = `Context for ticket ${ticketId}: ${found.join(', ')}.`;
  return fit(head, sections, unavailable, maxChars);
}

interface Section {
  readonly title: string;
  readonly lines: readonly string[];
}

/** Adds whole lines in order while they fit, then says how many were left out. */
function fit(head: string, sections: readonly Section[], tail: string | undefined, maxChars: number): string {
  const reserve = (tail ? tail.length + 2 : 0) + 40;
  let out = head;
  let left = 0;
  for (const section of sections) {
    const title = `\n\n${section.title}:`;
    section.lines.forEach((line, i) => {
      const add = (i === 0 ? title : '') + `\n- ${line}`;
      if (left === 0 && out.length + add.length + reserve <= maxChars) out += add;
      else left++;
    });
  }
  if (left > 0) out += `\n\n(${left} more not shown)`;
  if (tail) out += `\n\n${tail}`;
  return cut(out, maxChars);
}

function assetLine(a: AssetMatch): string {
  const what =
    a.matched_by === 'hostname'
      ? `${a.hostname} is ${a.network}`
      : isRange(a.network)
        ? `${a.query} is in ${a.network} (${a.hostname})`
        : `${a.query} is ${a.hostname}`;
  const facts = [
    a.owner && `owner ${a.owner}`,
    a.role && `role ${a.role}`,
    a.location && `location ${a.location}`,
  ].filter(Boolean);
  const notes = a.notes ? ` Notes: ${clip(a.notes, 160)}` : '';
  return `${what}${facts.length ? ` — ${facts.join(', ')}` : ''}.${notes}`;
}

function ticketLine(t: SimilarTicket): string {
  const fix = t.resolution ? `: ${gist(t.resolution)}` : ' (no resolution recorded)';
  return `#${t.ticket_id} "${clip(t.subject, 120)}"${fix}`;
}

function articleLine(a: KbArticle): string {
  const link = a.url ? ` ${a.url}` : '';
  return `${a.article_id} "${clip(a.title, 120)}"${link}${a.excerpt ? ` — ${clip(flat(a.excerpt), EXCERPT_CHARS)}` : ''}`;
}

/** The first sentence or two of a resolution, cut at a word boundary. */
export function gist(text: string): string {
  const flatText = flat(text);
  // Sentences end at . ! or ? before a blank or the end: "4.10" or "e.g.x" does not end one.
  const sentence = /[\s\S]*?[.!?]+(?=\s|$)/y;
  let out = '';
  for (let m = sentence.exec(flatText); m; m = sentence.exec(flatText)) {
    if (out.length + m[0].length > GIST_CHARS) break;
    out += m[0];
  }
  return clip(out.trim() || flatText, GIST_CHARS);
}

/** `abbrev(inet)` writes a single address without its /32 or /128: a slash means a range. */
function isRange(network: string): boolean {
  return network.includes('/');
}

function flat(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** At most `max` characters, cut at a word boundary where one is near, never inside a surrogate pair. */
export function clip(text: string, max: number): string {
  const t = flat(text);
  if (t.length <= max) return t;
  let end = max - 1;
  const space = t.lastIndexOf(' ', end);
  if (space > max * 0.6) end = space;
  if (/[\uD800-\uDBFF]/.test(t.charAt(end - 1))) end--;
  return `${t.slice(0, end).trimEnd()}…`;
}

function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  if (/[\uD800-\uDBFF]/.test(text.charAt(end - 1))) end--;
  return `${text.slice(0, end)}…`;
}

/** "1 article", "3 articles"; nothing for none. */
function count(n: number, noun: string): string | undefined {
  return n === 0 ? undefined : `${n} ${noun}${n === 1 ? '' : 's'}`;
}
