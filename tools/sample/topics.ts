/**
 * What the sample helpdesk talks about: topics with their products, symptoms, everyday words and
 * fixes. A ticket family is one product's one fault (an error code, a symptom, a module); the words of
 * a topic are shared by every ticket of the topic, so they are the noise a search must see through.
 */
export interface Topic {
  readonly category: string;
  readonly products: readonly string[];
  readonly symptoms: readonly string[];
  readonly modules: readonly string[];
  /** Everyday words of the topic, shared by its families. */
  readonly words: readonly string[];
  /** Fix templates: {product}, {module}, {code}. */
  readonly fixes: readonly string[];
  /** The role of the machines a ticket of this topic names. */
  readonly hostRole: string;
}

export const TOPICS: readonly Topic[] = [
  {
    category: 'network',
    products: ['AnyConnect', 'GlobalProtect', 'FortiClient', 'WireGuard', 'OpenVPN'],
    symptoms: ['drops every few minutes', 'will not connect', 'connects but no traffic', 'is very slow'],
    modules: ['tunnel', 'split routing', 'certificate check', 'DNS resolver'],
    words: ['vpn', 'network', 'home', 'office', 'connection', 'internet', 'remote', 'laptop'],
    fixes: [
      'Reinstalled {product} and cleared the profile cache; the {module} works again.',
      'Pushed the new {product} profile with a corrected {module}. Error {code} gone after reconnect.',
      'The {module} was blocked by the home router; switched {product} to TCP 443.',
    ],
    hostRole: 'vpn gateway',
  },
  {
    category: 'email',
    products: ['Outlook', 'Exchange Online', 'Thunderbird', 'Apple Mail'],
    symptoms: [
      'keeps asking for the password',
      'crashes when opening',
      'does not sync',
      'shows an empty inbox',
    ],
    modules: ['shared calendar', 'offline cache', 'autodiscover', 'add-in'],
    words: ['email', 'mail', 'inbox', 'message', 'calendar', 'meeting', 'password', 'account'],
    fixes: [
      'Rebuilt the {product} {module} and re-created the profile; error {code} no longer appears.',
      'Disabled the faulty {module} in {product} and applied the latest update.',
      'Reset the credential cache so {product} stops prompting; {module} re-synced.',
    ],
    hostRole: 'mail server',
  },
  {
    category: 'printing',
    products: ['LaserJet M607', 'Ricoh IM C3000', 'Xerox VersaLink', 'Brother HL-L6400'],
    symptoms: ['reports a paper jam', 'prints blank pages', 'is offline', 'prints garbage characters'],
    modules: ['tray 2', 'fuser unit', 'print spooler', 'duplex unit'],
    words: ['printer', 'print', 'paper', 'page', 'floor', 'toner', 'queue', 'document'],
    fixes: [
      'Replaced the {module} of the {product}; test page fine, error {code} cleared.',
      'Cleared the {module} and updated the {product} firmware.',
      'Restarted the {module} on the print server and re-added the {product} queue.',
    ],
    hostRole: 'print server',
  },
  {
    category: 'database',
    products: ['PostgreSQL 15', 'SQL Server 2019', 'Oracle 19c', 'MySQL 8'],
    symptoms: ['is at 100% CPU', 'rejects new connections', 'replication lags', 'runs out of disk'],
    modules: ['autovacuum', 'connection pool', 'replica', 'transaction log'],
    words: ['database', 'query', 'slow', 'server', 'application', 'report', 'timeout', 'data'],
    fixes: [
      'Killed the runaway query and tuned the {module} of {product}; error {code} stopped.',
      'Raised the {module} limits on {product} and restarted the application tier.',
      'Moved the {module} to a larger volume; {product} recovered.',
    ],
    hostRole: 'database',
  },
  {
    category: 'access',
    products: ['Active Directory', 'Okta', 'Azure AD', 'SharePoint'],
    symptoms: ['denies access with 403', 'locks the account', 'loops on sign-in', 'loses group membership'],
    modules: ['group policy', 'MFA enrolment', 'conditional access', 'site permissions'],
    words: ['access', 'login', 'account', 'permission', 'user', 'sign', 'password', 'team'],
    fixes: [
      'Re-added the user to the right group in {product}; {module} synced, error {code} gone.',
      'Reset the {module} in {product} and asked the user to enrol again.',
      'Fixed the {module} rule in {product} that blocked the request.',
    ],
    hostRole: 'domain controller',
  },
  {
    category: 'storage',
    products: ['OneDrive', 'NetApp share', 'Dropbox', 'Windows file server'],
    symptoms: ['stops syncing', 'says the disk is full', 'shows files as locked', 'is very slow to open'],
    modules: ['quota', 'sync client', 'snapshot', 'file lock'],
    words: ['file', 'folder', 'share', 'drive', 'disk', 'space', 'sync', 'document'],
    fixes: [
      'Raised the {module} on the {product}; error {code} no longer raised.',
      'Reset the {module} of {product} and re-linked the folder.',
      'Released the stale {module} on the {product}.',
    ],
    hostRole: 'file server',
  },
];

/** Syllables for made-up application names, so a large sample has many distinct families. */
export const SYLLABLES = ['dra', 'kel', 'mon', 'vex', 'tor', 'lin', 'qua', 'sor', 'nib', 'zel', 'pra', 'gon'];
