/** What is wrong with one line of an import file, and how it is printed: `file:line: field: reason`. */
export interface ImportIssue {
  /** 1-based line of the source file where the record starts. */
  readonly line: number;
  /** The field at fault, or `json` / `csv` / `header` for a line that could not be read as a record. */
  readonly field: string;
  readonly reason: string;
}

/** How many issues are kept for the report; all of them are counted. */
export const DEFAULT_KEPT_ISSUES = 1000;

/**
 * Every invalid line is counted, the first `keep` are kept: a file of a million bad lines must not
 * need a million objects to say so.
 */
export class IssueLog {
  private readonly kept: ImportIssue[] = [];
  private total = 0;

  constructor(private readonly keep = DEFAULT_KEPT_ISSUES) {}

  add(issue: ImportIssue): void {
    this.total++;
    if (this.kept.length < this.keep) this.kept.push(issue);
  }

  get count(): number {
    return this.total;
  }

  get issues(): readonly ImportIssue[] {
    return this.kept;
  }
}

/** One issue as a line for stderr. `label` is the path given, or `stdin`. */
export function formatIssue(label: string, issue: ImportIssue): string {
  return `${label}:${issue.line}: ${issue.field}: ${issue.reason}`;
}

/** The first `max` issues as lines, then `… and N more` when some were left out. */
export function issueLines(label: string, issues: readonly ImportIssue[], total: number, max = 20): string[] {
  const lines = issues.slice(0, max).map((i) => formatIssue(label, i));
  if (total > lines.length) lines.push(`… and ${total - lines.length} more`);
  return lines;
}

/** A value quoted for an error line: JSON-escaped (so it stays on one line) and cut to `max` characters. */
export function show(value: string, max = 40): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
}
