// Every endpoint the web app calls, as OpenAPI path templates: test/web/api-client.test.ts checks each one
// against /api/v1/openapi.json, so a renamed route fails a test instead of a page. (No imports: the root
// type check and the test read this file too.)

export const ENDPOINTS = {
  session: { method: 'GET', path: '/api/v1/session' },
  signIn: { method: 'POST', path: '/api/v1/session' },
  signOut: { method: 'DELETE', path: '/api/v1/session' },
  listCampaigns: { method: 'GET', path: '/api/v1/campaigns' },
  createCampaign: { method: 'POST', path: '/api/v1/campaigns' },
  getCampaign: { method: 'GET', path: '/api/v1/campaigns/{id}' },
  updateCampaign: { method: 'PUT', path: '/api/v1/campaigns/{id}' },
  lintSpec: { method: 'POST', path: '/api/v1/campaigns/lint' },
  lintCampaign: { method: 'POST', path: '/api/v1/campaigns/{id}/lint' },
  launch: { method: 'POST', path: '/api/v1/campaigns/{id}/launch' },
  pause: { method: 'POST', path: '/api/v1/campaigns/{id}/pause' },
  resume: { method: 'POST', path: '/api/v1/campaigns/{id}/resume' },
  end: { method: 'POST', path: '/api/v1/campaigns/{id}/end' },
  report: { method: 'GET', path: '/api/v1/campaigns/{id}/report' },
  review: { method: 'PUT', path: '/api/v1/campaigns/{id}/review' },
  clone: { method: 'POST', path: '/api/v1/campaigns/{id}/clone' },
  forecast: { method: 'GET', path: '/api/v1/campaigns/{id}/forecast' },
  previewAudience: { method: 'POST', path: '/api/v1/segments/preview' },
  renderContent: { method: 'POST', path: '/api/v1/content/render' },
  calendar: { method: 'GET', path: '/api/v1/calendar' },
  calendarIcs: { method: 'GET', path: '/api/v1/calendar.ics' },
  listTasks: { method: 'GET', path: '/api/v1/tasks' },
  completeTask: { method: 'POST', path: '/api/v1/tasks/{id}/complete' },
  skipTask: { method: 'POST', path: '/api/v1/tasks/{id}/skip' },
  rescheduleTask: { method: 'POST', path: '/api/v1/tasks/{id}/reschedule' },
  listContacts: { method: 'GET', path: '/api/v1/contacts' },
  getContact: { method: 'GET', path: '/api/v1/contacts/{id}' },
  contactTimeline: { method: 'GET', path: '/api/v1/contacts/{id}/timeline' },
  listAccounts: { method: 'GET', path: '/api/v1/accounts' },
  getAccount: { method: 'GET', path: '/api/v1/accounts/{id}' },
  accountTimeline: { method: 'GET', path: '/api/v1/journey/accounts/{id}/timeline' },
  journeyFlows: { method: 'GET', path: '/api/v1/journey/flows' },
  journeyStages: { method: 'GET', path: '/api/v1/journey/stages' },
  listLists: { method: 'GET', path: '/api/v1/lists' },
  listMembers: { method: 'GET', path: '/api/v1/lists/{id}/members' },
  audit: { method: 'GET', path: '/api/v1/audit' },
  startImport: { method: 'POST', path: '/api/v1/imports' },
  getImport: { method: 'GET', path: '/api/v1/imports/{id}' },
  listImports: { method: 'GET', path: '/api/v1/imports' },
} as const;

export type EndpointName = keyof typeof ENDPOINTS;

/** Fills `{name}` placeholders, encoding each value. */
export function pathOf(name: EndpointName, params: Record<string, string> = {}): string {
  return ENDPOINTS[name].path.replace(/\{(\w+)\}/g, (_, key: string) => {
    const v = params[key];
    if (v === undefined) throw new Error(`${name}: missing path parameter ${key}`);
    return encodeURIComponent(v);
  });
}
