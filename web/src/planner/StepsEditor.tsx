// The sequence: steps with their delay, condition, content by channel, A/B variants with weights, and the
// content rendered for a chosen contact.
import { useEffect, useRef, useState } from 'react';
import { ApiError } from '../api';
import { FieldErrors, NumberField, SelectField, TextField, fieldId, useSpec } from './fields';
import { plannerApi, type RenderedContent } from './planner-api';
import {
  CHANNELS,
  CONDITION_OUTCOMES,
  TASK_TYPES,
  choiceToWhen,
  getIn,
  nextStepId,
  removeAt,
  whenToChoice,
  type ConditionOutcome,
  type Spec,
  type WhenChoice,
} from './spec-model';

export interface PreviewContact {
  id: string;
  label: string;
}

const asSteps = (v: unknown): Spec[] => (Array.isArray(v) ? (v as Spec[]) : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function StepsEditor({ contacts }: { contacts: PreviewContact[] }) {
  const { spec, set } = useSpec();
  const steps = asSteps(spec.sequence);
  const add = () => {
    const channels = Array.isArray(spec.channels) ? (spec.channels as string[]) : [];
    const step: Spec = {
      id: nextStepId(steps),
      channel: channels[0] ?? 'email',
      delay: steps.length ? '2d' : '0d',
    };
    set(['sequence'], [...steps, step]);
  };
  const move = (i: number, by: -1 | 1) => {
    const next = [...steps];
    const [s] = next.splice(i, 1);
    next.splice(i + by, 0, s!);
    set(['sequence'], next);
  };
  return (
    <>
      {steps.length === 0 && <p className="muted">No steps yet.</p>}
      {steps.map((step, i) => (
        <fieldset key={i} className="step">
          <legend>
            Step {i + 1}: {str(step.id) ?? ''}
          </legend>
          <StepFields
            index={i}
            step={step}
            earlier={steps.slice(0, i).map((s) => str(s.id) ?? '')}
            contacts={contacts}
          />
          <div className="actions">
            <button type="button" disabled={i === 0} onClick={() => move(i, -1)}>
              Move up
            </button>
            <button type="button" disabled={i === steps.length - 1} onClick={() => move(i, 1)}>
              Move down
            </button>
            <button type="button" className="danger" onClick={() => set(['sequence'], removeAt(steps, i))}>
              Remove step {i + 1}
            </button>
          </div>
        </fieldset>
      ))}
      <FieldErrors path={['sequence']} />
      <div className="actions">
        <button type="button" onClick={add}>
          Add step
        </button>
      </div>
    </>
  );
}

function StepFields({
  index,
  step,
  earlier,
  contacts,
}: {
  index: number;
  step: Spec;
  earlier: string[];
  contacts: PreviewContact[];
}) {
  const { set } = useSpec();
  const at = ['sequence', index] as const;
  const channel = str(step.channel) ?? 'email';
  const variants = Array.isArray(step.variants) ? (step.variants as Spec[]) : [];
  const addVariants = () => {
    const base = { subject: step.subject, body: step.body, template: step.template };
    const fresh = variants.length
      ? [...variants, { id: `v${variants.length + 1}`, weight: 1 }]
      : [
          { id: 'a', weight: 50, ...base },
          { id: 'b', weight: 50, ...base },
        ];
    set([...at, 'variants'], fresh);
    if (!variants.length) {
      set([...at, 'subject'], undefined);
      set([...at, 'body'], undefined);
      set([...at, 'template'], undefined);
    }
  };
  const hasContent = ['email', 'sms', 'social', 'log'].includes(channel);
  return (
    <div className="grid">
      <TextField path={[...at, 'id']} label="Step id" />
      <SelectField path={[...at, 'channel']} label="Channel" options={CHANNELS} />
      <TextField
        path={[...at, 'delay']}
        label="Delay after the previous step"
        placeholder="0d, 4h, 2d, 3bd, 1w"
      />
      <WhenEditor index={index} when={step.when} earlier={earlier} />
      {channel === 'email' && (
        <SelectField
          path={[...at, 'purpose']}
          label="Purpose"
          options={['marketing', 'transactional']}
          empty="marketing (default)"
        />
      )}
      {hasContent && variants.length === 0 && <Content at={[...at]} channel={channel} />}
      {channel === 'ads' && <TextField path={[...at, 'audience']} label="Ads audience" />}
      {channel === 'webhook' && <TextField path={[...at, 'webhook', 'url']} label="Webhook URL" type="url" />}
      {channel === 'task' && (
        <>
          <SelectField path={[...at, 'task', 'type']} label="Task type" options={TASK_TYPES} />
          <TextField path={[...at, 'task', 'assignee']} label="Assignee" placeholder="account.owner" />
          <TextField path={[...at, 'task', 'instructions']} label="Instructions" multiline />
        </>
      )}
      {hasContent && (
        <div className="wide">
          {variants.map((_, v) => (
            <fieldset key={v} className="variant">
              <legend>
                Variant {v + 1} of step {index + 1}
              </legend>
              <div className="grid">
                <TextField path={[...at, 'variants', v, 'id']} label="Variant id" />
                <NumberField path={[...at, 'variants', v, 'weight']} label="Weight" />
                <Content at={[...at, 'variants', v]} channel={channel} />
              </div>
              <button
                type="button"
                className="link"
                onClick={() =>
                  set([...at, 'variants'], variants.length > 2 ? removeAt(variants, v) : undefined)
                }
              >
                Remove variant {v + 1}
              </button>
            </fieldset>
          ))}
          <FieldErrors path={[...at, 'variants']} />
          <button type="button" onClick={addVariants}>
            {variants.length ? 'Add variant' : 'Split into A/B variants'}
          </button>
        </div>
      )}
      {hasContent && <ContentPreview index={index} step={step} contacts={contacts} />}
    </div>
  );
}

function Content({ at, channel }: { at: Array<string | number>; channel: string }) {
  return (
    <>
      {channel === 'email' && (
        <>
          <TextField path={[...at, 'subject']} label="Subject" />
          <TextField path={[...at, 'preheader']} label="Preheader" />
          <TextField path={[...at, 'template']} label="Template" placeholder="templates/intro.mjml" />
        </>
      )}
      <div className="wide">
        <TextField
          path={[...at, 'body']}
          label={channel === 'email' ? 'Body (when no template)' : 'Message'}
          multiline
        />
      </div>
    </>
  );
}

/** The step's `when`: always, (not) an outcome of an earlier step, or raw JSON for anything else. */
function WhenEditor({ index, when, earlier }: { index: number; when: unknown; earlier: string[] }) {
  const { set } = useSpec();
  const path = ['sequence', index, 'when'];
  const [choice, setChoice] = useState<WhenChoice>(() => whenToChoice(when));
  const emitted = useRef(JSON.stringify(when));
  useEffect(() => {
    const incoming = JSON.stringify(when);
    if (incoming !== emitted.current) {
      emitted.current = incoming;
      setChoice(whenToChoice(when));
    }
  }, [when]);
  const pick = (c: WhenChoice) => {
    setChoice(c);
    const out = choiceToWhen(c);
    emitted.current = JSON.stringify(out);
    set(path, out);
  };
  const id = fieldId(path);
  const mode = choice.kind === 'simple' ? `${choice.negate ? 'not_' : ''}${choice.outcome}` : choice.kind;
  return (
    <div className="field">
      <label htmlFor={id}>Condition</label>
      <select
        id={id}
        value={mode}
        onChange={(e) => {
          const v = e.target.value;
          if (v === 'always') pick({ kind: 'always' });
          else if (v === 'raw')
            pick({ kind: 'raw', text: JSON.stringify(choiceToWhen(choice) ?? {}, null, 2) });
          else
            pick({
              kind: 'simple',
              negate: v.startsWith('not_'),
              outcome: v.replace(/^not_/, '') as ConditionOutcome,
              step: choice.kind === 'simple' ? choice.step : (earlier[earlier.length - 1] ?? ''),
            });
        }}
      >
        <option value="always">always</option>
        {CONDITION_OUTCOMES.flatMap((o) => [
          <option key={o} value={o}>
            if {o} an earlier step
          </option>,
          <option key={`not_${o}`} value={`not_${o}`}>
            if not {o} an earlier step
          </option>,
        ])}
        <option value="raw">raw condition (JSON)</option>
      </select>
      {choice.kind === 'simple' && (
        <>
          <label htmlFor={`${id}-step`}>Earlier step</label>
          <select
            id={`${id}-step`}
            value={choice.step}
            onChange={(e) => pick({ ...choice, step: e.target.value })}
          >
            {!earlier.includes(choice.step) && <option value={choice.step}>{choice.step || '—'}</option>}
            {earlier.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </>
      )}
      {choice.kind === 'raw' && (
        <>
          <label htmlFor={`${id}-raw`}>Condition (JSON)</label>
          <textarea
            id={`${id}-raw`}
            className="spec"
            rows={3}
            spellCheck={false}
            value={choice.text}
            onChange={(e) => pick({ kind: 'raw', text: e.target.value })}
          />
        </>
      )}
      <FieldErrors path={path} />
    </div>
  );
}

/** The step's content (or one variant's) rendered for a contact of the audience sample. */
function ContentPreview({
  index,
  step,
  contacts,
}: {
  index: number;
  step: Spec;
  contacts: PreviewContact[];
}) {
  const variants = Array.isArray(step.variants) ? (step.variants as Spec[]) : [];
  const [contact, setContact] = useState('');
  const [variant, setVariant] = useState(0);
  const [out, setOut] = useState<RenderedContent | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = `preview-${index}`;
  const chosen = contact || contacts[0]?.id || '';
  const render = async () => {
    const src: Spec = variants.length ? (variants[variant] ?? {}) : step;
    setBusy(true);
    setError(null);
    try {
      setOut(
        await plannerApi.renderContent({
          contact_id: chosen,
          ...(str(step.id) ? { step_id: str(step.id)! } : {}),
          ...(str(getIn(src, ['subject'])) !== undefined ? { subject: str(src.subject)! } : {}),
          ...(str(src.preheader) ? { preheader: str(src.preheader)! } : {}),
          ...(str(src.template) ? { template: str(src.template)! } : { body: str(src.body) ?? '' }),
          ...(step.purpose === 'transactional' ? { purpose: 'transactional' as const } : {}),
        }),
      );
    } catch (e) {
      setOut(null);
      setError(
        e instanceof ApiError && e.issues.length
          ? e.issues.map((i) => `${i.path.replace(/^body\./, '')}: ${i.message}`).join('; ')
          : e instanceof Error
            ? e.message
            : String(e),
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="wide content-preview">
      <div className="seg-line">
        <label htmlFor={`${id}-contact`}>Preview for contact</label>
        <select id={`${id}-contact`} value={chosen} onChange={(e) => setContact(e.target.value)}>
          {contacts.length === 0 && <option value="">(the audience preview lists contacts)</option>}
          {contacts.map((c) => (
            <option key={c.id} value={c.id}>
              {c.label}
            </option>
          ))}
        </select>
        {variants.length > 0 && (
          <>
            <label htmlFor={`${id}-variant`}>Variant</label>
            <select id={`${id}-variant`} value={variant} onChange={(e) => setVariant(Number(e.target.value))}>
              {variants.map((v, k) => (
                <option key={k} value={k}>
                  {str(v.id) ?? k + 1}
                </option>
              ))}
            </select>
          </>
        )}
        <button type="button" disabled={busy || !chosen} onClick={() => void render()}>
          Render step {index + 1}
        </button>
      </div>
      {error && <p className="field-error">{error}</p>}
      {out && (
        <div className="rendered" aria-label={`Rendered content of step ${index + 1}`} role="region">
          <p>
            <strong>Subject:</strong> {out.subject || '(none)'}
          </p>
          {out.html !== null && (
            <iframe
              title={`HTML of step ${index + 1}`}
              sandbox=""
              srcDoc={out.html}
              className="rendered-html"
            />
          )}
          <pre className="rendered-text">{out.text}</pre>
        </div>
      )}
    </div>
  );
}
