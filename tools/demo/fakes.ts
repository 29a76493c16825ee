import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startFakeModel, type FakeModel } from '../fakes/openai-server.js';
import { startFakeServiceDesk, type FakeServiceDesk } from '../fakes/servicedesk-server.js';

export interface DemoFakes {
  readonly model: FakeModel;
  readonly helpdesk: FakeServiceDesk;
  /** The worker's environment for them: LLM_* and TENANTS_FILE. */
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * `npm run demo -- --with-fakes`: a local OpenAI-compatible model and a local ServiceDesk Plus, so the
 * whole loop runs here: the note is written by "the model" and lands on "the helpdesk". The model
 * stand-in writes its note from the data it is given, as a real one would, only more plainly.
 */
export async function startDemoFakes(dir: string, requests: readonly string[]): Promise<DemoFakes> {
  const [model, helpdesk] = await Promise.all([startFakeModel(), startFakeServiceDesk()]);
  model.reply = demoNote;
  helpdesk.token = 'demo-technician-key';
  requests.forEach((r) => helpdesk.requests.add(r));
  const tenantsFile = path.join(dir, 'tenants.json');
  const servicedesk = { url: helpdesk.url, auth: 'authtoken', token: 'demo-technician-key' };
  await writeFile(
    tenantsFile,
    JSON.stringify({ tenants: { acme: { servicedesk }, globex: { servicedesk } } }),
  );
  return {
    model,
    helpdesk,
    env: { LLM_BASE_URL: model.baseUrl, LLM_MODEL: 'demo-model', TENANTS_FILE: tenantsFile },
    close: async () => {
      await Promise.all([model.close(), helpdesk.close()]);
    },
  };
}

interface PromptData {
  ticket: { id: string };
  known_assets: { seen_in_ticket_as: string; network: string; hostname: string; owner: string | null }[];
  similar_resolved_tickets: { id: string; resolution: string | null }[];
  knowledge_base: { id: string; title: string; url: string | null }[];
}

/** The stand-in model's note: the first fix, the machines and the articles, from the data block. */
function demoNote(user: string): string {
  const line = user.split('\n')[user.split('\n').indexOf('<data>') + 1] ?? '{}';
  const data = JSON.parse(line) as PromptData;
  const out: string[] = [];
  const fix = data.similar_resolved_tickets.find((t) => t.resolution);
  out.push(
    fix
      ? `Looks like the fault fixed in ${fix.id}: ${fix.resolution}`
      : `Nothing in past tickets matches ${data.ticket.id}.`,
  );
  for (const a of data.known_assets)
    out.push(`- ${a.seen_in_ticket_as} is ${a.hostname}${a.owner ? ` (${a.owner})` : ''}`);
  for (const k of data.knowledge_base.slice(0, 2))
    out.push(`- read ${k.id} "${k.title}"${k.url ? ` ${k.url}` : ''}`);
  const others = data.similar_resolved_tickets.filter((t) => t !== fix).map((t) => t.id);
  if (others.length) out.push(`- also similar: ${others.join(', ')}`);
  return out.join('\n');
}
