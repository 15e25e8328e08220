// Every authenticated /api/v1 route module, registered in this order.
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../context.js';
import { listsRoutes } from './lists.routes.js';
import { segmentsRoutes } from './segments.routes.js';
import { accountsRoutes } from './accounts.routes.js';
import { contactsRoutes } from './contacts.routes.js';
import { campaignsRoutes } from './campaigns.routes.js';
import { ingestRoutes } from './ingest.routes.js';
import { trackingRoutes } from './tracking.routes.js';
import { templatesRoutes } from './templates.routes.js';
import { sendersRoutes } from './senders.routes.js';
import { eventsRoutes } from './events.routes.js';
import { reportsRoutes } from './reports.routes.js';
import { forecastRoutes } from './forecast.routes.js';
import { calendarRoutes } from './calendar.routes.js';
import { journeyRoutes } from './journey.routes.js';
import { adsAudiencesRoutes } from './ads-audiences.routes.js';
import { socialClickRoutes, socialRoutes } from './social.routes.js';
import { sessionRoutes } from './session.routes.js';
import { approvalsRoutes } from './approvals.routes.js';
import { auditRoutes } from './audit.routes.js';
import { privacyRoutes } from './privacy.routes.js';
import { tasksRoutes } from './tasks.routes.js';
import { spendRoutes } from './spend.routes.js';
import { smsRoutes } from './sms.routes.js';
import { webhooksRoutes } from './webhooks.routes.js';
import { importsRoutes } from './imports.routes.js';

export type TypedApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

export type RouteModule = (app: TypedApp, ctx: AppContext) => void;

/**
 * Routes outside /api/v1 that do their own authentication: Segment-compatible ingestion (/v1/*, write
 * keys), tracking (/t/*, signed tokens) and unsubscribe (/u/*, signed tokens).
 */
export const publicRouteModules: RouteModule[] = [
  ingestRoutes,
  trackingRoutes,
  sessionRoutes,
  smsRoutes,
  socialClickRoutes,
];

export const apiRouteModules: RouteModule[] = [
  webhooksRoutes,
  templatesRoutes,
  sendersRoutes,
  contactsRoutes,
  accountsRoutes,
  segmentsRoutes,
  listsRoutes,
  campaignsRoutes,
  eventsRoutes,
  forecastRoutes,
  calendarRoutes,
  journeyRoutes,
  adsAudiencesRoutes,
  socialRoutes,
  reportsRoutes,
  approvalsRoutes,
  auditRoutes,
  privacyRoutes,
  tasksRoutes,
  spendRoutes,
  importsRoutes,
];
