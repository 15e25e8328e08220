// The render previews (`POST /api/v1/templates/:id/render`, `POST /api/v1/content/render`): a template, or a
// step's unsaved inline content, rendered for one contact exactly as the channel would send it, except that
// links go straight to their target (there is no touch to track) and the unsubscribe link is inert
// (`PREVIEW_UNSUBSCRIBE_PATH`): a marketer clicking it in the preview must not unsubscribe the contact.
import {
  compileEmail,
  renderEmail,
  type EmailParts,
  type RenderedEmail,
  type TemplateKind,
} from '../../content/index.js';
import { BatonError } from '../../domain/errors.js';
import type { Store } from '../../store/db.js';
import { EmailSendersRepository } from '../../store/email-senders.repository.js';
import { fromJson } from '../../store/json.js';
import { TemplatesRepository } from '../../store/templates.repository.js';
import { textCompanionOf } from '../email.channel.js';

/** The preview's unsubscribe link: no signed token, so the unsubscribe routes answer 404 and change nothing. */
export const PREVIEW_UNSUBSCRIBE_PATH = '/u/preview';

export interface PreviewInput {
  contact_id: string;
  campaign_id?: string;
  step_id?: string;
  variant_id?: string;
  subject?: string;
  preheader?: string;
  /** Strict: a variable the contact does not have is an error (as in lint) instead of empty text. */
  strict?: boolean;
}

interface StepLike {
  id: string;
  subject?: string;
  preheader?: string;
  purpose?: string;
  variants?: Array<{ id: string; subject?: string; preheader?: string }>;
}

export async function previewTemplate(
  store: Store,
  ws: string,
  templateId: string,
  input: PreviewInput,
  env: { secret: string; publicUrl: string },
): Promise<RenderedEmail> {
  const templates = await new TemplatesRepository(store).getMany(ws, [
    templateId,
    textCompanionOf(templateId),
  ]);
  const template = templates.get(templateId);
  if (!template) throw BatonError.notFound('template', templateId);
  const text = templates.get(textCompanionOf(templateId));
  return renderPreview(
    store,
    ws,
    {
      template: { kind: template.kind as TemplateKind, source: template.source },
      ...(text && text !== template ? { text: text.source } : {}),
    },
    input,
    env,
  );
}

/** Content as a planner holds it before the campaign is saved: a step's inline body or template path. */
export interface ContentPreviewInput extends PreviewInput {
  body?: string;
  template?: string;
  purpose?: 'marketing' | 'transactional';
}

/**
 * A step's content rendered for one contact before the campaign is saved: the inline body (or the named
 * workspace template) with the subject and preheader given, exactly as the email channel would render it.
 */
export async function previewContent(
  store: Store,
  ws: string,
  input: ContentPreviewInput,
  env: { secret: string; publicUrl: string },
): Promise<RenderedEmail> {
  if (input.template !== undefined) {
    return previewTemplate(store, ws, input.template, input, env);
  }
  if (input.body === undefined) {
    throw BatonError.invalid([{ path: 'body', message: 'give the content to render: a body or a template' }]);
  }
  return renderPreview(store, ws, { body: input.body }, input, env);
}

async function renderPreview(
  store: Store,
  ws: string,
  content: Pick<EmailParts, 'template' | 'text' | 'body'>,
  input: PreviewInput & { purpose?: string },
  env: { secret: string; publicUrl: string },
): Promise<RenderedEmail> {
  const contact = await store.db
    .selectFrom('contacts')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('id', '=', input.contact_id)
    .executeTakeFirst();
  if (!contact) throw BatonError.notFound('contact', input.contact_id);
  const attributes = fromJson<Record<string, unknown>>(contact.attributes, {});
  const account = contact.account_id
    ? await store.db
        .selectFrom('accounts')
        .selectAll()
        .where('workspace_id', '=', ws)
        .where('id', '=', contact.account_id)
        .executeTakeFirst()
    : undefined;

  let campaign: { id: string; name: string; spec: Record<string, unknown> } | null = null;
  if (input.campaign_id) {
    const row = await store.db
      .selectFrom('campaigns')
      .select(['id', 'name', 'spec'])
      .where('workspace_id', '=', ws)
      .where('id', '=', input.campaign_id)
      .executeTakeFirst();
    if (!row) throw BatonError.notFound('campaign', input.campaign_id);
    campaign = { id: row.id, name: row.name, spec: fromJson<Record<string, unknown>>(row.spec, {}) };
  }
  const steps = (campaign?.spec.sequence as StepLike[] | undefined) ?? [];
  const step = input.step_id ? steps.find((s) => s.id === input.step_id) : undefined;
  if (input.step_id && campaign && !step) {
    throw BatonError.invalid([
      { path: 'step_id', message: `names no step of campaign "${input.campaign_id}"` },
    ]);
  }
  const variant = input.variant_id ? step?.variants?.find((v) => v.id === input.variant_id) : undefined;

  const senders = await new EmailSendersRepository(store).list(ws, { activeOnly: true });
  const wanted = campaign?.spec.sender as string | undefined;
  const sender = senders.find((s) => s.id === wanted || s.email === wanted) ?? senders[0];

  const compiled = await compileEmail({
    subject: input.subject ?? variant?.subject ?? step?.subject ?? '',
    ...((input.preheader ?? variant?.preheader ?? step?.preheader)
      ? { preheader: input.preheader ?? variant?.preheader ?? step?.preheader }
      : {}),
    ...content,
  });
  const utm = (campaign?.spec.utm as Record<string, string> | undefined) ?? {};
  const stepId = step?.id ?? input.step_id;
  const unsubscribe = `${env.publicUrl}${PREVIEW_UNSUBSCRIBE_PATH}`;
  return renderEmail(
    compiled,
    {
      contact: { ...attributes, ...contact, attributes },
      account: account ? { ...fromJson<Record<string, unknown>>(account.attributes, {}), ...account } : null,
      campaign: { id: campaign?.id ?? 'preview', name: campaign?.name ?? 'Preview' },
      step: { id: stepId ?? 'preview', channel: 'email' },
      sender: {
        name: sender?.name ?? null,
        email: sender?.email ?? 'sender@example.invalid',
        postal_address: sender?.postalAddress ?? '(no sender configured: add one with its postal address)',
      },
    },
    {
      touchId: null,
      secret: env.secret,
      publicUrl: env.publicUrl,
      tracking: { opens: false, clicks: false },
      utm: {
        source: utm.source ?? 'baton',
        medium: utm.medium ?? 'email',
        campaign: utm.campaign ?? campaign?.id ?? 'preview',
        ...(utm.content ? { content: utm.content } : stepId ? { content: stepId } : {}),
        ...(utm.term ? { term: utm.term } : {}),
      },
      unsubscribeUrl: unsubscribe,
      marketing: (input.purpose ?? step?.purpose) !== 'transactional',
      strict: input.strict ?? false,
    },
  );
}
