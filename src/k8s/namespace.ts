import { readFile } from 'node:fs/promises';

/** Where Kubernetes mounts the service account's namespace in every pod. */
export const SERVICE_ACCOUNT_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** POD_NAMESPACE if set, else the service account's namespace, else `default` (outside a pod). */
export async function resolveNamespace(
  configured: string | undefined,
  read: (path: string) => Promise<string> = (p) => readFile(p, 'utf8'),
): Promise<string> {
  if (configured) return configured;
  try {
    return (await read(SERVICE_ACCOUNT_NAMESPACE)).trim() || 'default';
  } catch {
    return 'default';
  }
}
