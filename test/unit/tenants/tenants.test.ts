import { TenantRegistry, parseTenants } from '../../../src/tenants/tenants.js';
import type { Logger } from '../../../src/observability/logger.js';

const S1 = 'acme-secret-0123456789';
const S2 = 'acme-secret-next-0123456789';

function recordingLogger() {
  const lines: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const log: Logger = {
    error: (msg, fields) => lines.push({ level: 'error', msg, fields }),
    warn: (msg, fields) => lines.push({ level: 'warn', msg, fields }),
    info: (msg, fields) => lines.push({ level: 'info', msg, fields }),
    debug: (msg, fields) => lines.push({ level: 'debug', msg, fields }),
    child: () => log,
  };
  return { log, lines };
}

describe('parseTenants', () => {
  it('reads secret (one) and secrets (rotation), and require_timestamp', () => {
    const t = parseTenants(
      JSON.stringify({
        tenants: { acme: { secret: S1 }, globex: { secrets: [S2, S1], require_timestamp: true } },
      }),
    );
    expect(t.get('acme')).toEqual({ id: 'acme', secrets: [S1], requireTimestamp: false });
    expect(t.get('globex')).toEqual({ id: 'globex', secrets: [S2, S1], requireTimestamp: true });
    expect(t.size).toBe(2);
  });

  it('reads a tenant without webhook secrets, and its ServiceDesk Plus', () => {
    const t = parseTenants(
      JSON.stringify({
        tenants: {
          acme: { servicedesk: { url: 'https://sdp.acme.example', token: 'tech-key' } },
          globex: {
            secret: S1,
            servicedesk: {
              url: 'https://sdp.globex.example/x',
              auth: 'zoho-oauthtoken',
              token_file: '/run/t',
            },
          },
        },
      }),
    );
    expect(t.get('acme')).toEqual({
      id: 'acme',
      secrets: [],
      requireTimestamp: false,
      servicedesk: { url: 'https://sdp.acme.example', auth: 'authtoken', token: { value: 'tech-key' } },
    });
    expect(t.get('globex')?.servicedesk).toEqual({
      url: 'https://sdp.globex.example/x',
      auth: 'zoho-oauthtoken',
      token: { file: '/run/t' },
    });
  });

  it('never quotes a token in its error', () => {
    const text = JSON.stringify({
      tenants: { acme: { servicedesk: { url: 'https://sdp.example', token: 'S3cretTok', bogus: 1 } } },
    });
    expect(() => parseTenants(text)).toThrow(/^tenants\.acme\.servicedesk: Unrecognized key: "bogus"$/);
  });

  it.each([
    ['{', 'not valid JSON'],
    ['[]', 'the file: Invalid input: expected object, received array'],
    ['{"tenants":{"acme":{"secret":"short"}}}', 'tenants.acme.secret: a secret needs at least 16 characters'],
    [
      `{"tenants":{"acme":{"secret":"${S1}","secrets":["${S2}"]}}}`,
      'tenants.acme: give secret or secrets, not both',
    ],
    [
      `{"tenants":{"acme":{"servicedesk":{"url":"ftp://x"}}}}`,
      'tenants.acme.servicedesk.url: an http(s) URL',
    ],
    [
      `{"tenants":{"acme":{"servicedesk":{"url":"https://u:p@sdp.example","token":"t"}}}}`,
      'tenants.acme.servicedesk.url: no credentials in the URL; use token',
    ],
    [
      `{"tenants":{"acme":{"servicedesk":{"url":"https://sdp.example"}}}}`,
      'tenants.acme.servicedesk: give either token or token_file',
    ],
    [
      `{"tenants":{"acme":{"servicedesk":{"url":"https://sdp.example","token":"t","auth":"basic"}}}}`,
      'tenants.acme.servicedesk.auth',
    ],
    [`{"tenants":{"acme":{"secret":"${S1}","extra":1}}}`, 'tenants.acme: Unrecognized key: "extra"'],
    [`{"tenants":{"${'x'.repeat(65)}":{"secret":"${S1}"}}}`, 'tenants'],
  ])('refuses %s', (text, message) => {
    expect(() => parseTenants(text)).toThrow(message);
  });

  it('never quotes the file in its error (it holds secrets)', () => {
    const text = `{"tenants":{"acme":{"secret":"${S1}"}}`; // one brace short
    let message = '';
    try {
      parseTenants(text);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe('not valid JSON');
  });
});

describe('TenantRegistry.reload', () => {
  const good = (id: string) => JSON.stringify({ tenants: { [id]: { secret: S1 } } });

  it('puts a good file in force and logs who came and went', async () => {
    const { log, lines } = recordingLogger();
    let text = good('acme');
    const reg = new TenantRegistry(parseTenants(text), () => Promise.resolve(text), log);
    text = good('globex');
    expect(await reg.reload()).toBe(true);
    expect(reg.get('acme')).toBeUndefined();
    expect(reg.get('globex')?.secrets).toEqual([S1]);
    expect(lines).toEqual([
      {
        level: 'info',
        msg: 'tenants file reloaded',
        fields: { tenants: 1, added: ['globex'], removed: ['acme'] },
      },
    ]);
  });

  it('keeps the last good tenants when the file is bad or unreadable, and logs without secrets', async () => {
    const { log, lines } = recordingLogger();
    let read = () => Promise.resolve(good('acme'));
    const reg = new TenantRegistry(parseTenants(good('acme')), () => read(), log);
    read = () => Promise.resolve(`{"tenants":{"acme":{"secret":"${S2}"`);
    expect(await reg.reload()).toBe(false);
    read = () => Promise.reject(new Error('ENOENT: no such file'));
    expect(await reg.reload()).toBe(false);
    expect(reg.get('acme')?.secrets).toEqual([S1]);
    expect(lines.map((l) => [l.level, l.fields?.error_message])).toEqual([
      ['error', 'not valid JSON'],
      ['error', 'ENOENT: no such file'],
    ]);
    expect(JSON.stringify(lines)).not.toContain(S2);
    read = () => Promise.resolve(good('later'));
    expect(await reg.reload()).toBe(true);
    expect(reg.get('later')).toBeDefined();
  });
});
