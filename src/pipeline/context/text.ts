/**
 * The ticket text as the context steps read it. Helpdesk descriptions arrive as HTML (ServiceDesk
 * Plus sends its rich text as sent), so tags are dropped and the common entities decoded before
 * anything is searched or quoted; the result is plain text and only ever goes out escaped.
 */

/** How much of a description the searches read: a 64 KiB paste should cost no more than a page. */
export const MAX_SEARCH_CHARS = 16_384;
/** Characters of the first line compared by trigram similarity against past subjects. */
export const MAX_SUBJECT_CHARS = 160;

const ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
};

/** Tags out, entities decoded, runs of blanks collapsed (line breaks kept: the first line is the subject). */
export function plainText(html: string): string {
  return html
    .replace(/<(br|\/p|\/div|\/li|\/tr|\/h[1-6])\b[^>]*>/gi, '\n')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,6});/gi, (whole, name: string) =>
      decodeEntity(whole, name),
    )
    .replace(/[^\S\n]+/g, ' ')
    .replace(/ ?\n[\s]*/g, '\n')
    .trim();
}

function decodeEntity(whole: string, name: string): string {
  if (name[0] === '#') {
    const code =
      name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  }
  return ENTITIES[name.toLowerCase()] ?? whole;
}

/** The first non-empty line, cut to a subject's length: what a past ticket's subject is compared with. */
export function subjectProbe(text: string): string {
  const first = text.split('\n').find((l) => l.trim() !== '') ?? '';
  return first.trim().slice(0, MAX_SUBJECT_CHARS);
}
