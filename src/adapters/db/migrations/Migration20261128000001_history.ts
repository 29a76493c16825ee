import { Migration } from '@mikro-orm/migrations';

/** enhancement_history, its indexes, and row-level security keyed on the setting app.tenant_id. */
export class Migration20261128000001History extends Migration {
  override up(): void {
    this.addSql(`
      create table if not exists enhancement_history (
        id uuid primary key default gen_random_uuid(),
        job_id uuid not null unique,
        ticket_id varchar(128),
        tenant_id varchar(64) not null,
        status varchar(16) not null check (status in ('pending', 'completed', 'failed')),
        attempts integer not null default 0,
        result_summary text,
        error_message text,
        processing_time_ms integer,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`);
    this.addSql(`create index if not exists enhancement_history_tenant_created_idx
      on enhancement_history (tenant_id, created_at desc)`);
    this.addSql(`create index if not exists enhancement_history_tenant_ticket_idx
      on enhancement_history (tenant_id, ticket_id)`);
    // Roles are cluster-wide and several databases may migrate at once: tolerate the race.
    this.addSql(`do $$ begin
        create role enhancer_tenant nologin;
      exception when duplicate_object or unique_violation then null;
      end $$`);
    // The connecting role must be able to SET ROLE to it, whether or not it is a superuser.
    this.addSql(`do $$ begin
        execute format('grant enhancer_tenant to %I', current_user);
      exception when others then null;
      end $$`);
    this.addSql(`grant usage on schema public to enhancer_tenant`);
    this.addSql(`grant select, insert, update on enhancement_history to enhancer_tenant`);
    this.addSql(`alter table enhancement_history enable row level security`);
    // A pooled connection that once set the value reads '' afterwards, not null: nullif keeps it unset.
    this.addSql(`create policy enhancement_history_tenant on enhancement_history to enhancer_tenant
      using (tenant_id = nullif(current_setting('app.tenant_id', true), ''))
      with check (tenant_id = nullif(current_setting('app.tenant_id', true), ''))`);
  }

  override down(): void {
    this.addSql(`drop table if exists enhancement_history`);
  }
}
