/**
 * Validates rendered objects against the Kubernetes, KEDA and prometheus-operator OpenAPI schemas
 * (kubernetes-models). Those schemas accept unknown fields, so tests still assert the fields they rely on.
 */
import * as apps from 'kubernetes-models/apps/v1';
import * as autoscaling from 'kubernetes-models/autoscaling/v2';
import * as batch from 'kubernetes-models/batch/v1';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as policy from 'kubernetes-models/policy/v1';
import * as rbac from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import * as core from 'kubernetes-models/v1';
import * as keda from '@kubernetes-models/keda/keda.sh/v1alpha1';
import * as monitoring from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import type { K8sObject } from './helm.js';

type ModelClass = new (data: K8sObject) => { validate(): void };

const GROUPS: Record<string, Record<string, unknown>> = {
  v1: core,
  'apps/v1': apps,
  'autoscaling/v2': autoscaling,
  'batch/v1': batch,
  'networking.k8s.io/v1': networking,
  'policy/v1': policy,
  'rbac.authorization.k8s.io/v1': rbac,
  'keda.sh/v1alpha1': keda,
  'monitoring.coreos.com/v1': monitoring,
};

/** Throws, naming the object and ajv's errors, when it breaks its schema or its kind is unknown here. */
export function validateObject(obj: K8sObject): void {
  const model = GROUPS[obj.apiVersion]?.[obj.kind] as ModelClass | undefined;
  const id = `${obj.apiVersion} ${obj.kind} ${obj.metadata?.name}`;
  // An unknown kind fails rather than passing unchecked.
  if (typeof model !== 'function') throw new Error(`no schema for ${id}`);
  try {
    new model(obj).validate();
  } catch (err) {
    const details = (err as { errors?: unknown }).errors;
    throw new Error(`${id} is invalid: ${(err as Error).message} ${JSON.stringify(details ?? '')}`, {
      cause: err,
    });
  }
}
