import { redactSecrets } from '../../../src/lib/redact.js';

describe('redactSecrets', () => {
  it.each([
    ['postgres://app:S3cret@db:5432/x', 'postgres://app:***@db:5432/x'],
    ['amqp://guest:guest@127.0.0.1:5672', 'amqp://guest:***@127.0.0.1:5672'],
    // Not a valid URL (a bad port): the password still goes.
    [
      'invalid DATABASE_URL="postgres://app:S3cret@db:notaport/x": Invalid URL',
      'invalid DATABASE_URL="postgres://app:***@db:notaport/x": Invalid URL',
    ],
    // An unencoded @ in the password: hidden whole, up to the last @ before the host.
    ['amqps://u:p@ss@word@rabbit/vh', 'amqps://u:***@rabbit/vh'],
    ['redis://:only-a-password@cache:6379', 'redis://:***@cache:6379'],
    ['two: amqp://a:one@h1 and postgres://b:two@h2/db', 'two: amqp://a:***@h1 and postgres://b:***@h2/db'],
    ['host=db user=app password=S3cret dbname=x', 'host=db user=app password=*** dbname=x'],
    ["pwd = 'S3 cret' ok", 'pwd = *** ok'],
  ])('hides the password in %j', (text, want) => {
    expect(redactSecrets(text)).toBe(want);
  });

  it.each([
    'postgres://postgres@127.0.0.1:5432/enhancer',
    'http://collector:4318/v1/traces',
    'connect ECONNREFUSED 127.0.0.1:5432',
    'an upward trend, no secret',
  ])('leaves %j alone', (text) => {
    expect(redactSecrets(text)).toBe(text);
  });
});
