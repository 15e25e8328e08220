// The planner's calls beyond the shared client: the audience preview and the content render.
import { call } from '../api';

/** POST /segments/preview (src/api/routes/segments.routes.ts). */
export interface AudiencePreview {
  channel: 'email' | 'sms' | 'none';
  count: number;
  matched: number;
  removed: Array<{ reason: string; count: number }>;
  reachable: number;
  share: number;
  sample: Array<{
    id: string;
    email: string | null;
    first_name: string | null;
    last_name: string | null;
    lifecycle_stage: string | null;
    account_id: string | null;
  }>;
}

/** POST /content/render (src/api/routes/templates.routes.ts). */
export interface RenderedContent {
  subject: string;
  preheader: string | null;
  html: string | null;
  text: string;
  links: string[];
}

export interface ContentToRender {
  contact_id: string;
  step_id?: string;
  subject?: string;
  preheader?: string;
  body?: string;
  template?: string;
  purpose?: 'marketing' | 'transactional';
}

export const plannerApi = {
  previewAudience: (body: unknown) => call<AudiencePreview>('previewAudience', { body }),
  renderContent: (body: ContentToRender) => call<RenderedContent>('renderContent', { body }),
};
