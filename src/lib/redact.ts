/**
 * `scheme://user:password@` anywhere in a text. The password runs to the last `@` before whitespace, a
 * quote or an angle bracket, so one holding an unencoded `@` is hidden whole (at worst more than the
 * password is hidden). Works on strings that are not valid URLs: the config error for
 * `postgres://app:S3cret@db:notaport/x` must hide it too.
 */
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)([^\s:/?#@"'<>]*):([^\s"'<>]*)@/gi;
/** `password=…` in a key=value connection string (libpq style), pasted where a URL was expected. */
const KEY_VALUE_PASSWORD = /\b(password|passwd|pwd)(\s*=\s*)("[^"]*"|'[^']*'|[^\s"',;]+)/gi;

/** Marks where a password was. */
export const REDACTED = '***';

/**
 * `text` with every password in it replaced by `***` (a user name stays: it helps and is not a secret).
 * Applied wherever text can leave the process: config errors, the CLI's error line, log lines, probe
 * reasons and spans.
 */
export function redactSecrets(text: string): string {
  let out = text;
  // Most text holds neither: skip the regular expressions for it (log lines are hot).
  if (out.includes('://')) {
    out = out.replace(URL_CREDENTIALS, (_m, scheme: string, user: string) => `${scheme}${user}:${REDACTED}@`);
  }
  if (/p(ass)?w/i.test(out)) out = out.replace(KEY_VALUE_PASSWORD, `$1$2${REDACTED}`);
  return out;
}
