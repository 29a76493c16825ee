/** The options of `enhancer enqueue` and `enhancer import`, as commander parses them (src/cli/program.ts). */
export interface EnqueueFlags {
  readonly file?: string;
  readonly tenantId?: string;
  readonly ticketId?: string;
  readonly description: string;
  readonly priority: string;
  readonly jobId?: string;
  readonly traceId?: string;
  readonly simulate?: string;
}

export interface ImportFlags {
  readonly tenant: string;
  readonly file: string;
  readonly format?: string;
  readonly skipInvalid: boolean;
  readonly dryRun: boolean;
}
