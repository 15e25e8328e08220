// /api/v1/templates/:id/render: a template rendered for one contact as the email channel would send it
// (links untracked, so the preview records nothing). The id is the template's path, URL-encoded.
// /api/v1/content/render: the same for a step's content not saved yet (the planner's preview).
import { z } from 'zod';
import { previewContent, previewTemplate } from '../../channels/email/preview.js';
import { requireScope, workspaceOf } from '../auth.js';
import { checkOwnedContact } from '../ownership.js';
import type { RouteModule } from './index.js';
import { commonErrors, errorResponse, inRequest } from './resource-schemas.js';

const renderBody = z
  .object({
    contact_id: z.string().min(1).describe('the contact to render for'),
    campaign_id: z.string().optional().describe('use this campaign’s UTM defaults, sender and step subject'),
    step_id: z.string().optional(),
    variant_id: z.string().optional(),
    subject: z.string().max(300).optional().describe('overrides the step’s subject'),
    preheader: z.string().max(300).optional(),
    strict: z
      .boolean()
      .default(false)
      .describe('a variable the contact lacks is an error (as in lint) rather than empty text'),
  })
  .strict();

const contentBody = renderBody
  .extend({
    body: z.string().max(200_000).optional().describe('the step’s inline body (Liquid; HTML or text)'),
    template: z.string().min(1).max(300).optional().describe('a workspace template path, instead of a body'),
    purpose: z
      .enum(['marketing', 'transactional'])
      .optional()
      .describe('marketing content gets the unsubscribe link'),
  })
  .strict();

const renderResponse = z.object({
  subject: z.string(),
  preheader: z.string().nullable(),
  html: z.string().nullable(),
  text: z.string(),
  links: z.array(z.string()).describe('each link’s target with UTM parameters, in document order'),
});

export const templatesRoutes: RouteModule = (app, ctx) => {
  app.post(
    '/templates/:id/render',
    {
      preValidation: requireScope('read'),
      schema: {
        tags: ['templates'],
        summary: 'Render a template for one contact (subject, preheader, HTML, text, links)',
        params: z.object({
          id: z.string().min(1).max(300).describe('template path, e.g. templates%2Fintro.mjml'),
        }),
        body: renderBody,
        response: { 200: renderResponse, 404: errorResponse, ...commonErrors },
      },
    },
    async (req) => {
      await checkOwnedContact(ctx.store, req, req.body.contact_id);
      return previewTemplate(ctx.store, workspaceOf(req), req.params.id, req.body, ctx).catch(
        inRequest('body'),
      );
    },
  );

  app.post(
    '/content/render',
    {
      preValidation: requireScope('read'),
      schema: {
        tags: ['templates'],
        summary: 'Render unsaved step content (a body or a template) for one contact',
        body: contentBody,
        response: { 200: renderResponse, 404: errorResponse, ...commonErrors },
      },
    },
    async (req) => previewContent(ctx.store, workspaceOf(req), req.body, ctx).catch(inRequest('body')),
  );
};
