// The fields of the main response types in api.ts, as data: the web type check holds each list to its
// interface (every field, none extra, and whether it may be absent), and test/web/api-client.test.ts holds
// each list to the response schema of its endpoint in /api/v1/openapi.json. A field renamed, added or made
// optional on either side fails one of the two.
import type { EndpointName } from './api-paths';
import type {
  Calendar,
  CalendarDay,
  Campaign,
  Finding,
  Forecast,
  LintResult,
  Report,
  SessionInfo,
  Task,
} from './api';

type Presence = 'required' | 'optional';
/** Each field of T and whether T declares it optional (`?`). */
export type Fields<T> = { [K in keyof T]-?: object extends Pick<T, K> ? 'optional' : 'required' };

export interface ResponseShape {
  endpoint: EndpointName;
  /** Where in the 200 response the type sits: property names, `[]` for the items of an array. */
  at: string[];
  fields: Record<string, Presence>;
}

const shape = <T>(endpoint: EndpointName, at: string[], fields: Fields<T>): ResponseShape => ({
  endpoint,
  at,
  fields: fields as Record<string, Presence>,
});

type ForecastDay = Forecast['days'][number];

export const RESPONSE_SHAPES: ResponseShape[] = [
  shape<SessionInfo>('session', [], {
    user: 'required',
    workspace: 'required',
    csrf_token: 'required',
    expires_at: 'required',
  }),
  shape<SessionInfo['user']>('session', ['user'], { id: 'required', email: 'required', role: 'required' }),
  shape<Campaign>('getCampaign', [], {
    id: 'required',
    name: 'required',
    kind: 'required',
    status: 'required',
    revision: 'required',
    spec: 'required',
    frozen_plan: 'required',
    frozen_hash: 'required',
    launched_at: 'required',
    ended_at: 'required',
    created_at: 'required',
    updated_at: 'required',
  }),
  shape<LintResult>('lintCampaign', [], { blocking: 'required', findings: 'required' }),
  shape<Finding>('lintCampaign', ['findings', '[]'], {
    code: 'required',
    severity: 'required',
    message: 'required',
    path: 'required',
  }),
  shape<Forecast>('forecast', [], {
    campaign_id: 'required',
    start: 'required',
    end: 'required',
    zone: 'required',
    audience: 'required',
    other_campaign_touches: 'required',
    days: 'required',
    peak: 'required',
    totals: 'required',
    capped: 'required',
    window_closed: 'required',
    steps: 'required',
    last_touch_at: 'required',
  }),
  shape<Forecast['audience']>('forecast', ['audience'], {
    contacts: 'required',
    holdout: 'required',
    treatment: 'required',
  }),
  shape<ForecastDay>('forecast', ['days', '[]'], {
    date: 'required',
    channels: 'required',
    total: 'required',
    conditional: 'required',
  }),
  shape<Forecast['totals']>('forecast', ['totals'], {
    touches: 'required',
    conditional: 'required',
    window_closed: 'required',
  }),
  shape<Forecast['capped']>('forecast', ['capped'], {
    people: 'required',
    touches: 'required',
    median_push_hours: 'required',
    max_push_hours: 'required',
  }),
  shape<Forecast['steps'][number]>('forecast', ['steps', '[]'], {
    id: 'required',
    channel: 'required',
    conditional: 'required',
    planned: 'required',
    pushed: 'required',
    window_closed: 'required',
  }),
  shape<Report>('report', [], {
    campaign: 'required',
    asOf: 'required',
    goal: 'required',
    pacing: 'required',
    funnel: 'required',
    attribution: 'required',
    experiments: 'required',
    lift: 'required',
    cost: 'required',
    learnings: 'required',
  }),
  shape<Report['campaign']>('report', ['campaign'], {
    id: 'required',
    name: 'required',
    kind: 'required',
    status: 'required',
    launchedAt: 'required',
    endedAt: 'required',
    frozenHash: 'required',
    plan: 'required',
  }),
  shape<Calendar>('calendar', [], {
    zone: 'required',
    from: 'required',
    to: 'required',
    days: 'required',
    posts: 'required',
    totals: 'required',
  }),
  shape<CalendarDay>('calendar', ['days', '[]'], {
    date: 'required',
    planned: 'required',
    sent: 'required',
    collisions: 'required',
    entries: 'required',
  }),
  shape<Task>('listTasks', ['data', '[]'], {
    id: 'required',
    type: 'required',
    status: 'required',
    overdue: 'required',
    instructions: 'required',
    assignee: 'required',
    contact: 'required',
    campaign_id: 'required',
    step_id: 'required',
    touch_id: 'required',
    due_at: 'required',
    overdue_at: 'required',
    expires_at: 'required',
    outcome: 'required',
    note: 'required',
    resolved_at: 'required',
    resolved_by: 'required',
    created_at: 'required',
    updated_at: 'required',
  }),
];
