import { SERVICE_ACCOUNT_NAMESPACE, resolveNamespace } from '../../../src/k8s/namespace.js';

describe('resolveNamespace', () => {
  it('prefers POD_NAMESPACE', async () => {
    expect(await resolveNamespace('jobs', () => Promise.reject(new Error('unread')))).toBe('jobs');
  });

  it('reads the service account namespace in a pod', async () => {
    const read = jest.fn((path: string) =>
      Promise.resolve(path === SERVICE_ACCOUNT_NAMESPACE ? 'tickets\n' : ''),
    );
    expect(await resolveNamespace(undefined, read)).toBe('tickets');
  });

  it('falls back to default outside a pod', async () => {
    expect(await resolveNamespace(undefined, () => Promise.reject(new Error('ENOENT')))).toBe('default');
  });
});
