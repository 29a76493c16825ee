import {
  DeadlineError,
  DeliveryLimitError,
  InfrastructureError,
  PermanentError,
  TransientError,
  ValidationError,
  errorKind,
  errorType,
} from '../../../src/domain/errors.js';
import { errorMessage } from '../../../src/lib/error-message.js';
import { AttemptAborted } from '../../../src/domain/deadline.js';

describe('error classes', () => {
  it.each([
    [new ValidationError('v'), ValidationError, 'ValidationError', 'validation'],
    [new PermanentError('p'), PermanentError, 'PermanentError', 'permanent'],
    [new TransientError('t'), TransientError, 'TransientError', 'transient'],
    [new DeadlineError('d'), DeadlineError, 'DeadlineError', 'deadline'],
    [new InfrastructureError('i'), InfrastructureError, 'InfrastructureError', 'infrastructure'],
    [new DeliveryLimitError(6), DeliveryLimitError, 'DeliveryLimitError', 'permanent'],
  ])('%s has its name and kind', (err, cls, name, kind) => {
    expect(err).toBeInstanceOf(cls);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe(name);
    expect(errorKind(err)).toBe(kind);
  });

  it('says how often a job over the delivery limit was redelivered', () => {
    const err = new DeliveryLimitError(6);
    expect(err.redeliveries).toBe(6);
    expect(err.message).toBe('redelivered 6 times: the job keeps losing or killing its worker');
  });

  it('classifies by name alone, for errors from another realm', () => {
    expect(errorKind(Object.assign(new Error('x'), { name: 'InfrastructureError' }))).toBe('infrastructure');
  });

  it.each([
    ['a plain Error', new Error('x')],
    ['an AttemptAborted', new AttemptAborted('deadline')],
    ['a string', 'x'],
    ['null', null],
    ['a plain object named like an error', { name: 'PermanentError' }],
  ])('treats %s as transient', (_what, err) => {
    expect(errorKind(err)).toBe('transient');
  });

  it('keeps the partial job of a ValidationError, empty by default', () => {
    expect(new ValidationError('v').partial).toEqual({});
    expect(new ValidationError('v', { jobId: 'j', tenantId: 't' }).partial).toEqual({
      jobId: 'j',
      tenantId: 't',
    });
  });

  it('keeps the cause of an InfrastructureError', () => {
    const cause = new Error('ECONNREFUSED');
    expect(new InfrastructureError('down', { cause }).cause).toBe(cause);
  });

  it('describes any thrown value for logs and headers', () => {
    expect(errorMessage(new TransientError('flaky'))).toBe('flaky');
    expect(errorMessage('plain')).toBe('plain');
    expect(errorMessage(42)).toBe('42');
    expect(errorType(new PermanentError('x'))).toBe('PermanentError');
    expect(errorType('x')).toBe('string');
    expect(errorType(undefined)).toBe('undefined');
  });
});
