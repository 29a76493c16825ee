/**
 * The note as ServiceDesk Plus shows it. Built from escaped text only: whatever the ticket, our data or
 * the model wrote (`<script>`, `<img onerror=…>`) arrives as text, never as markup. The only tags are
 * the ones made here.
 */

/** How a note says which job wrote it; a later attempt finds an earlier note by it. */
export function marker(jobId: string): string {
  return `enhancer job ${jobId}`;
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Plain-text note → HTML: bullet lines become a list, other lines paragraphs; `**x**` bold; a footer. */
export function noteHtml(note: string, jobId: string): string {
  const parts: string[] = [];
  let items: string[] = [];
  const flush = () => {
    if (items.length) parts.push(`<ul>${items.map((i) => `<li>${i}</li>`).join('')}</ul>`);
    items = [];
  };
  for (const raw of note.split('\n')) {
    const line = raw.trim();
    if (line === '') {
      flush();
      continue;
    }
    const bullet = /^[-*•]\s+(.*)$/.exec(line);
    if (bullet) items.push(inline(bullet[1]!));
    else {
      flush();
      parts.push(`<p>${inline(line)}</p>`);
    }
  }
  flush();
  parts.push(`<p><small>Added by ${escapeHtml(marker(jobId))}</small></p>`);
  return parts.join('\n');
}

/** Escapes first; only then turns the ** pairs the text already had into <b>: no markup gets through. */
function inline(text: string): string {
  return escapeHtml(text).replace(/\*\*([^*]+)\*\*/g, '<b>$1</b>');
}
